"""The per-method kernels against scipy, on generated data of many shapes and sizes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import special, stats
from scipy.spatial.distance import jensenshannon

from workbench.monitoring import compare
from workbench.monitoring import univariate as uv
from workbench.monitoring.ranks import tie_index


def _samples(seed: int):
    """Two samples of varied size and shape: continuous, heavy ties, constants, offsets."""
    rng = np.random.default_rng(seed)
    n1 = int(rng.choice([1, 2, 3, 7, 50, 333, 1200]))
    n2 = int(rng.choice([1, 2, 5, 40, 401, 999]))
    shape = seed % 6
    if shape == 0:
        a, b = rng.normal(size=n1), rng.normal(0.3, 1.3, size=n2)
    elif shape == 1:  # heavy ties
        a, b = rng.integers(0, 4, n1).astype(float), rng.integers(-1, 5, n2).astype(float)
    elif shape == 2:  # constant reference
        a, b = np.full(n1, 2.5), rng.integers(1, 4, n2).astype(float)
    elif shape == 3:  # both constant, same value
        a, b = np.full(n1, 7.0), np.full(n2, 7.0)
    elif shape == 4:  # large offset, rounded (ties and cancellation)
        a, b = rng.normal(1e6, 3, n1).round(1), rng.normal(1e6 + 1, 3, n2).round(1)
    else:  # disjoint supports
        a, b = rng.exponential(size=n1), rng.exponential(size=n2) + 10
    return np.sort(a), np.sort(b)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's own asymp p at n=1
@pytest.mark.parametrize("seed", range(60))
def test_ks_statistic_and_wasserstein_match_scipy(seed):
    a, b = _samples(seed)
    expected = stats.ks_2samp(a, b, method="asymp").statistic
    assert uv.ks_statistic(a, b) == pytest.approx(expected, rel=1e-12, abs=1e-15)
    fence = uv.fence_of(a)
    runs = uv.runs(b)
    at = uv.ref_counts_at(a, runs[0], uv.all_distinct(a), fence)
    assert uv.ks_statistic(a, b, cur_runs=runs, ref_at_cur=at) == pytest.approx(expected, rel=1e-12)
    w = stats.wasserstein_distance(a, b)
    assert uv.wasserstein_sorted(a, b) == pytest.approx(w, rel=1e-9, abs=1e-12)
    shift = float(a[len(a) // 2])
    got = uv.wasserstein_sorted(a, b, shift=shift, prefix=uv.prefix_sums(a, shift))
    assert got == pytest.approx(w, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("seed", range(40))
def test_ks_test_matches_ks_2samp_auto(seed):
    a, b = _samples(seed)
    res = stats.ks_2samp(a, b)
    d, p = uv.ks_test(a, b)
    assert d == pytest.approx(res.statistic, rel=1e-12)
    assert p == pytest.approx(res.pvalue, rel=1e-9, abs=1e-300)


@pytest.mark.parametrize(
    ("n1", "n2", "shift"),
    [
        (12_000, 300, 0.0),
        (12_000, 300, 0.4),
        (20_000, 15_000, 0.05),
        (10_001, 10_001, 0.03),
        (50_000, 2_000, 0.2),
    ],
)
def test_ks_asymptotic_pvalues_match_scipy(n1, n2, shift):
    rng = np.random.default_rng(n1 + n2)
    a = np.sort(rng.normal(size=n1))
    b = np.sort(rng.normal(shift, 1, size=n2))
    res = stats.ks_2samp(a, b)
    d, p = uv.ks_test(a, b, ref_distinct=True)
    assert d == pytest.approx(res.statistic, rel=1e-12)
    assert p == pytest.approx(res.pvalue, rel=1e-8, abs=1e-300)


@pytest.mark.parametrize("n", [141, 999, 9901, 50_000, 500_000])
def test_kolmogorov_sf_matches_kstwo_over_its_branches(n):
    xs = np.concatenate([np.geomspace(0.2 / n, 0.99, 25 if n < 100_000 else 8), [0.5, 0.75]])
    for x in xs:
        expected = stats.distributions.kstwo.sf(x, n)
        got = uv.kolmogorov_sf(n, float(x))
        if expected > 1e-250:
            assert got == pytest.approx(expected, rel=1e-8), (n, x)
        else:
            assert got < 1e-240


@pytest.mark.parametrize("n", [200, 3_000, 40_000])
def test_smirnov_upper_matches_scipy(n):
    for x in (np.sqrt(2.2 / n), 0.02, 0.1, 0.3, 0.6):
        expected = special.smirnov(n, x)
        if expected > 1e-280:
            assert uv.smirnov_upper(n, x) == pytest.approx(expected, rel=1e-8)


def test_searchsorted_fenced_equals_searchsorted():
    rng = np.random.default_rng(3)
    for n in (1, 15, 16, 17, 1000, 40_003):
        ref = np.sort(rng.integers(0, max(n // 3, 2), n).astype(float))
        keys = np.sort(rng.integers(-2, max(n // 3, 2) + 2, 500).astype(float))
        fence = uv.fence_of(ref)
        for side in ("left", "right"):
            assert np.array_equal(
                uv.searchsorted_fenced(ref, fence, keys, side), np.searchsorted(ref, keys, side)
            )


@pytest.mark.parametrize("seed", range(25))
def test_histogram_distances_match_scipy_and_definitions(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(1, 30))
    p = rng.integers(0, 50, k)
    q = rng.integers(0, 50, k)
    p[rng.integers(k)] += 1
    q[rng.integers(k)] += 1
    assert uv.js_distance(p, q) == pytest.approx(jensenshannon(p, q, base=2), abs=1e-12)
    pp, qq = p / p.sum(), q / q.sum()
    assert uv.hellinger(p, q) == pytest.approx(np.sqrt(1 - np.sum(np.sqrt(pp * qq))), abs=1e-7)
    assert uv.linf(p, q) == pytest.approx(np.max(np.abs(pp - qq)))
    fp, fq = np.where(pp == 0, 1e-4, pp), np.where(qq == 0, 1e-4, qq)
    assert uv.psi(p, q) == pytest.approx(np.sum((fq - fp) * np.log(fq / fp)))
    assert 0 <= uv.js_distance(p, q) <= 1 and 0 <= uv.hellinger(p, q) <= 1


def test_distances_of_identical_and_disjoint_histograms():
    assert uv.js_distance([5, 5], [1, 1]) == 0.0
    assert uv.js_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert uv.hellinger([1, 0], [0, 1]) == pytest.approx(1.0)
    assert uv.linf([1, 0], [0, 1]) == 1.0
    assert uv.psi([3, 3], [1, 1]) == 0.0


@pytest.mark.parametrize("seed", range(30))
def test_chi2_matches_chi2_contingency(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 12))
    ref = rng.integers(0, 40, k)
    cur = rng.integers(0, 40, k)
    ref[0] += 1
    cur[-1] += 1
    table = np.vstack([ref, cur])
    table = table[:, table.sum(axis=0) > 0]
    expected = stats.chi2_contingency(table)
    stat, p, dof = uv.chi2_test(ref, cur)
    assert dof == expected.dof
    assert stat == pytest.approx(expected.statistic, rel=1e-10, abs=1e-12)
    assert p == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


def test_chi2_one_category_and_empty_side():
    assert uv.chi2_test([5], [3]) == (0.0, 1.0, 0)
    with pytest.raises(ValueError):
        uv.chi2_test([5, 2], [0, 0])


def test_quantile_edges_and_bin_counts():
    ref = np.sort(np.arange(1, 101, dtype=float))
    edges = uv.quantile_edges(ref, 10)
    assert list(edges) == [10, 20, 30, 40, 50, 60, 70, 80, 90]
    counts = uv.bin_counts(ref, edges)
    assert list(counts) == [10] * 10
    cur = np.sort(np.array([-5.0, 10.0, 10.5, 95.0, 1e9]))
    assert list(uv.bin_counts(cur, edges)) == [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    ties = np.sort(np.r_[np.zeros(70), np.ones(30)])
    assert list(uv.quantile_edges(ties, 10)) == [0.0, 1.0]
    assert list(uv.bin_counts(ties, uv.quantile_edges(ties, 10))) == [70, 30, 0]
    assert uv.quantile_edges(np.array([3.0]), 10).tolist() == [3.0]
    assert uv.psi_band(0.05) == "none" and uv.psi_band(0.2) == "moderate"
    assert uv.psi_band(0.3) == "major"


_values = st.lists(
    st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
        st.sampled_from([0.0, 1.0, 2.5, float("nan")]),
    ),
    min_size=1,
    max_size=60,
)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # scipy's exact-to-asymp switch
@settings(max_examples=60, deadline=None)
@given(ref=_values, cur=_values)
def test_compare_matches_scipy_on_arbitrary_columns(ref, cur):
    r = np.array(ref)
    c = np.array(cur)
    report = compare(pd.DataFrame({"x": r}), pd.DataFrame({"x": c}), ["ks", "wasserstein", "psi"])
    rv, cv = r[~np.isnan(r)], c[~np.isnan(c)]
    if rv.size == 0 or cv.size == 0:
        assert "x" in report.unchecked and not report.results
        return
    if np.all(np.isin(rv, (0.0, 1.0))):
        return  # a 0/1 column is boolean by the kind rules
    ks = stats.ks_2samp(rv, cv)
    assert report.result("x", "ks").statistic == pytest.approx(ks.statistic, rel=1e-12)
    assert report.result("x", "ks").p_value == pytest.approx(ks.pvalue, rel=1e-8)
    w = stats.wasserstein_distance(rv, cv) / max(rv.std(), 1e-3)
    assert report.result("x", "wasserstein").statistic == pytest.approx(w, rel=1e-8, abs=1e-9)
    assert np.isfinite(report.result("x", "psi").statistic)


@pytest.mark.parametrize("seed", range(16))
def test_bounded_ks_statistic_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    n1, n2 = int(rng.integers(2_000, 40_000)), int(rng.integers(2_000, 40_000))
    shape = seed % 4
    if shape == 0:
        a, b = rng.normal(size=n1), rng.normal(rng.choice([0, 0.01, 0.3]), 1, n2)
    elif shape == 1:
        a, b = rng.integers(0, 50, n1).astype(float), rng.integers(0, 52, n2).astype(float)
    elif shape == 2:
        a, b = rng.normal(size=n1).round(2), rng.normal(0.02, 1, n2).round(2)
    else:
        a, b = rng.exponential(size=n1), np.r_[rng.exponential(size=n2 - 100), np.full(100, 0.5)]
    a, b = np.sort(a), np.sort(b)
    expected = stats.ks_2samp(a, b, method="asymp").statistic
    for bins in (0, 17, 300):
        got = uv.ks_statistic_bounded(a, b, bins=bins, ref_distinct=uv.all_distinct(a))
        assert got == pytest.approx(expected, rel=1e-12)


def test_dense_search_equals_searchsorted():
    from workbench.monitoring.ranks import searchsorted_dense

    rng = np.random.default_rng(9)
    for n1, n2, ties in ((100_000, 80_000, False), (30_000, 70_000, True), (5, 70_000, True)):
        ref = np.sort(rng.normal(size=n1))
        keys = np.sort(rng.normal(size=n2))
        if ties:
            ref, keys = ref.round(2), keys.round(2)
        for side in ("left", "right"):
            assert np.array_equal(
                searchsorted_dense(ref, keys, side), np.searchsorted(ref, keys, side)
            )


@pytest.mark.parametrize("seed", range(30))
def test_quantile_wasserstein_matches_scipy_for_any_sizes(seed):
    """Window sizes far below, near and above the reference size; ties on either side."""
    rng = np.random.default_rng(100 + seed)
    n1 = int(rng.choice([2, 9, 101, 4_000, 60_000]))
    n2 = int(rng.choice([1, 3, 100, 1_000, 7_777, 60_001]))
    decimals = int(rng.integers(0, 4))
    a = np.sort(rng.lognormal(0, 0.8, n1).round(decimals) * rng.choice([1e-3, 1.0, 1e4]))
    b = np.sort(rng.lognormal(rng.normal(0, 0.2), 0.8, n2).round(decimals) * a.std() + a.min())
    if seed % 5 == 0:  # the window drawn from the reference itself
        b = np.sort(rng.choice(a, n2))
    expected = stats.wasserstein_distance(a, b)
    assert uv.wasserstein_sorted(a, b) == pytest.approx(expected, rel=1e-9, abs=1e-12)
    shift = float(a[n1 // 2])
    prefix = uv.prefix_sums(a, shift)
    plan = uv.quantile_plan(a, n2, shift, prefix)
    got = uv.wasserstein_sorted(a, b, prefix=prefix, plan=plan)
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)
    other = uv.quantile_plan(a, n2 + 1, shift, prefix)  # a plan for another size is not used
    assert uv.wasserstein_sorted(a, b, prefix=prefix, plan=other) == pytest.approx(got, rel=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_bounded_ks_with_a_cut_plan_matches_scipy_for_small_windows(seed):
    rng = np.random.default_rng(200 + seed)
    a = np.sort(rng.normal(size=200_000).round(int(rng.integers(1, 6))))
    n2 = int(rng.choice([4_000, 10_000, 33_333]))
    b = np.sort(rng.normal(rng.choice([0.0, 0.01, 0.2]), 1, n2).round(3))
    distinct = uv.all_distinct(a)
    plan = uv.cut_plan(a, n2, ref_distinct=distinct, ref_fence=uv.fence_of(a))
    assert plan is not None and plan.edges.shape[0] > 10
    expected = stats.ks_2samp(a, b, method="asymp").statistic
    got = uv.ks_statistic_bounded(a, b, ref_distinct=distinct, plan=plan)
    assert got == pytest.approx(expected, rel=1e-12)


def test_tie_index_counts_equal_searchsorted():
    rng = np.random.default_rng(4)
    ref = np.sort(rng.integers(0, 300, 50_000).astype(float))
    ties = tie_index(ref)
    assert ties is not None and ties[0].shape[0] <= 300
    keys = np.sort(np.r_[rng.integers(-5, 305, 2_000).astype(float), 0.5, 299.0, 1e9])
    below, up_to = uv.ref_counts_at(ref, keys, False, uv.fence_of(ref), ties)
    assert np.array_equal(below, np.searchsorted(ref, keys, "left"))
    assert np.array_equal(up_to, np.searchsorted(ref, keys, "right"))
    assert tie_index(np.sort(rng.normal(size=10_000))) is None  # mostly distinct: no index


def test_pelz_good_matches_scipy_where_scipy_uses_it():
    from scipy.stats._ksstats import _kolmogn_PelzGood

    rng = np.random.default_rng(5)
    for _ in range(2_000):
        n = int(rng.integers(141, 3_000_000))
        x = float(rng.uniform(1e-4, 0.2))
        if n * x * x >= 2.2:  # scipy sums the Smirnov series there, not this approximation
            continue
        assert uv.pelz_good_cdf(n, x) == pytest.approx(
            float(_kolmogn_PelzGood(n, x)), rel=1e-13, abs=1e-13
        )
        assert uv.kolmogorov_sf(n, x) == pytest.approx(
            float(stats.kstwo.sf(x, n)), rel=1e-9, abs=1e-13
        )
