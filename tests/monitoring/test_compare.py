"""compare(): every method per column against scipy, defaults, thresholds and verdicts."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial.distance import jensenshannon

from workbench.errors import InvalidInputError
from workbench.monitoring import compare, fit_profile, json_safe

COLUMNS = ["column", "kind", "method", "statistic", "p_value", "threshold", "drifted"]


def data(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "f64": rng.normal(shift, 1, n),
            "f32": rng.normal(shift, 2, n).astype(np.float32),
            "int": rng.poisson(3 + shift, n) + 2,
            "ties": rng.integers(0, 3, n).astype(float),
            "text": rng.choice(["a", "b", "c", "d"], n, p=[0.4, 0.3, 0.2, 0.1]),
            "cat": pd.Categorical(rng.choice(["x", "y", "z"], n)),
            "flag": rng.random(n) < 0.5 + shift / 4,
        }
    )


def scipy_numeric(ref: np.ndarray, cur: np.ndarray) -> dict[str, tuple[float, float | None]]:
    ref, cur = ref[np.isfinite(ref)], cur[np.isfinite(cur)]
    ks = stats.ks_2samp(ref, cur)
    return {
        "ks": (ks.statistic, ks.pvalue),
        "wasserstein": (stats.wasserstein_distance(ref, cur) / max(ref.std(), 1e-3), None),
    }


def scipy_categorical(ref: pd.Series, cur: pd.Series) -> dict[str, tuple[float, float | None]]:
    cats = list(pd.unique(pd.concat([ref.dropna(), cur.dropna()]).astype(object)))
    r = ref.astype(object).value_counts().reindex(cats, fill_value=0).to_numpy()
    c = cur.astype(object).value_counts().reindex(cats, fill_value=0).to_numpy()
    table = np.vstack([r, c])
    out = {"jensenshannon": (jensenshannon(r, c, base=2), None)}
    if table.shape[1] > 1:
        chi = stats.chi2_contingency(table)
        out["chi2"] = (chi.statistic, chi.pvalue)
    return out


@pytest.mark.parametrize("seed", range(12))
def test_all_methods_match_scipy_per_column(seed):
    rng = np.random.default_rng(seed)
    n_ref = int(rng.choice([1, 2, 30, 800, 3000]))
    n_cur = int(rng.choice([1, 3, 50, 1500]))
    ref, cur = data(n_ref, seed), data(n_cur, seed + 100, shift=float(rng.choice([0, 0.5])))
    report = compare(ref, cur, "all")
    frame = report.to_frame()
    assert list(frame.columns) == COLUMNS
    for name in ("f64", "f32", "int"):
        expected = scipy_numeric(ref[name].to_numpy(np.float64), cur[name].to_numpy(np.float64))
        for method, (statistic, p_value) in expected.items():
            got = report.result(name, method)
            assert got.statistic == pytest.approx(statistic, rel=1e-9, abs=1e-12), (name, method)
            if p_value is not None:
                assert got.p_value == pytest.approx(p_value, rel=1e-8, abs=1e-300)
    for name in ("text", "cat", "flag"):
        expected = scipy_categorical(ref[name], cur[name])
        for method, (statistic, p_value) in expected.items():
            got = report.result(name, method)
            assert got.statistic == pytest.approx(statistic, rel=1e-9, abs=1e-12), (name, method)
            if p_value is not None:
                assert got.p_value == pytest.approx(p_value, rel=1e-8, abs=1e-300)
    assert set(frame["method"]) >= {
        "ks",
        "psi",
        "jensenshannon",
        "wasserstein",
        "hellinger",
        "linf",
        "chi2",
    }
    assert not frame["statistic"].isna().any()


def test_unseen_categories_enter_the_chi2_table():
    ref = pd.DataFrame({"c": ["a"] * 50 + ["b"] * 50})
    cur = pd.DataFrame({"c": ["a"] * 40 + ["b"] * 40 + ["new"] * 20})
    report = compare(ref, cur, ["chi2", "psi", "jensenshannon"])
    chi = stats.chi2_contingency([[50, 50, 0], [40, 40, 20]])
    result = report.result("c", "chi2")
    assert result.statistic == pytest.approx(chi.statistic)
    assert result.p_value == pytest.approx(chi.pvalue)
    assert result.drifted and result.detail["n_categories"] == 3
    p = np.array([0.5, 0.5, 1e-4])
    q = np.array([0.4, 0.4, 0.2])
    assert report.result("c", "psi").statistic == pytest.approx(np.sum((q - p) * np.log(q / p)))
    unseen = report.findings_for("unseen_categories")
    assert len(unseen) == 1 and unseen[0].counts["n_rows"] == 20
    assert unseen[0].counts["examples"] == ["new"]


def test_default_methods_by_kind_and_size():
    small = compare(data(500, 1), data(200, 2))
    assert {(c.kind, c.method) for c in small.columns} == {
        ("numeric", "ks"),
        ("categorical", "chi2"),
        ("boolean", "chi2"),
    }
    large = compare(data(2_000, 1), data(200, 2))
    assert {(c.kind, c.method) for c in large.columns} == {
        ("numeric", "wasserstein"),
        ("categorical", "jensenshannon"),
        ("boolean", "jensenshannon"),
    }
    assert len(large.results) == 7


def test_verdicts_thresholds_and_dataset_share():
    ref, cur = data(3_000, 3), data(3_000, 4, shift=1.0)
    report = compare(ref, cur, ["ks", "chi2"])
    assert report.drifted and report.share_drifted >= 0.5
    for r in report.results:
        assert r.drifted == (r.p_value < r.threshold)
    same = compare(ref, data(3_000, 5), ["wasserstein", "jensenshannon"])
    assert not same.drifted
    for r in same.results:
        assert r.drifted == (r.statistic >= r.threshold)
    strict = compare(
        ref,
        data(3_000, 5),
        ["wasserstein", "jensenshannon"],
        {"wasserstein": 1e-6, "jensenshannon": 1e-6},
    )
    assert strict.drifted and strict.share_drifted == 1.0
    per_col = compare(ref, cur, ["ks"], {"f64": {"ks": 1e-300}})
    assert per_col.result("f64", "ks").threshold == 1e-300
    assert per_col.result("int", "ks").threshold == 0.05
    share = compare(ref, cur, ["ks", "chi2"], drift_share=1.0)
    assert share.drifted == (share.n_drifted == share.n_checked)


def test_primary_method_decides_the_column_verdict():
    ref = pd.DataFrame({"x": np.random.default_rng(0).normal(size=3000)})
    cur = pd.DataFrame({"x": np.random.default_rng(1).normal(0.05, 1, size=3000)})
    first_ks = compare(ref, cur, ["ks", "wasserstein"])
    first_w = compare(ref, cur, ["wasserstein", "ks"])
    assert first_ks.columns[0].method == "ks" and first_w.columns[0].method == "wasserstein"
    assert first_ks.columns[0].drifted == first_ks.result("x", "ks").drifted
    assert first_w.columns[0].drifted == first_w.result("x", "wasserstein").drifted


def test_method_names_aliases_and_applicability():
    ref, cur = data(300, 6), data(300, 7)
    report = compare(ref, cur, ["JS", "kolmogorov_smirnov"])
    methods = {(r.column, r.method) for r in report.results}
    assert ("f64", "ks") in methods and ("text", "jensenshannon") in methods
    assert ("text", "ks") not in methods
    only_ks = compare(ref, cur, "ks")
    assert set(only_ks.unchecked) == {"text", "cat", "flag"}
    assert only_ks.n_checked == 4
    per_column = compare(ref, cur, {"f64": ["psi"], "text": "linf"})
    assert per_column.result("f64", "psi") and per_column.result("text", "linf")
    assert per_column.columns[-1].method in {"ks", "chi2"}
    with pytest.raises(InvalidInputError, match="unknown drift method"):
        compare(ref, cur, ["bogus"])
    with pytest.raises(InvalidInputError, match="apply to none"):
        compare(ref[["text"]], cur[["text"]], ["ks"])
    with pytest.raises(InvalidInputError, match="significance level"):
        compare(ref, cur, ["ks"], {"ks": 5})
    with pytest.raises(InvalidInputError, match="not a number"):
        compare(ref, cur, ["psi"], {"psi": "high"})


def test_nans_constant_and_single_row_columns():
    ref = pd.DataFrame(
        {"x": [1.0, 2.0, np.nan, 4.0] * 50, "k": [5.0] * 200, "s": ["a", None, "b", "a"] * 50}
    )
    cur = pd.DataFrame({"x": [np.nan] * 9 + [2.0], "k": [5.0] * 10, "s": [None] * 9 + ["b"]})
    report = compare(ref, cur, "all")
    x = report.result("x", "ks")
    expected = stats.ks_2samp([1.0, 2.0, 4.0] * 50, [2.0])
    assert x.statistic == pytest.approx(expected.statistic) and x.n_current == 1
    assert x.p_value == pytest.approx(expected.pvalue)
    assert report.result("k", "wasserstein").statistic == 0.0
    assert not report.result("k", "ks").drifted
    checks = {(f.check, f.column) for f in report.findings}
    assert ("missing_rate_jump", "x") in checks and ("missing_rate_jump", "s") in checks
    assert ("constant_column", "k") in checks
    frame = report.to_frame()
    assert not frame["statistic"].isna().any()


def test_all_missing_and_non_numeric_values_are_findings_not_nan_verdicts():
    ref = pd.DataFrame({"x": np.arange(100.0), "y": np.arange(100.0), "z": [np.nan] * 100})
    y = [str(v) for v in range(38)] + ["oops", "n/a", None, None]
    cur = pd.DataFrame({"x": [np.nan] * 42, "y": y, "z": [1.0] * 42})
    report = compare(ref, cur, "all")
    assert set(report.unchecked) == {"x", "z"}
    assert "current" in report.unchecked["x"] and "reference" in report.unchecked["z"]
    assert all(r.column == "y" for r in report.results)
    checks = {(f.check, f.column) for f in report.findings}
    assert ("all_missing", "x") in checks and ("all_missing", "z") in checks
    assert ("non_numeric_values", "y") in checks and ("type_change", "y") not in checks
    bad = next(f for f in report.findings if f.check == "non_numeric_values")
    assert bad.counts["n_non_numeric"] == 2
    assert report.result("y", "ks").n_current == 38
    words = pd.DataFrame({"x": ["north", "south"] * 10, "y": [1.0] * 20, "z": [1.0] * 20})
    changed = compare(ref, words, "all")
    assert ("type_change", "x") in {(f.check, f.column) for f in changed.findings}
    assert "x" in changed.unchecked


def test_schema_findings_and_shared_columns():
    ref, cur = data(200, 8), data(200, 9)
    cur = cur.drop(columns=["int"]).assign(extra=1)
    report = compare(ref, cur)
    checks = {(f.check, f.column) for f in report.findings}
    assert ("missing_column", "int") in checks and ("extra_column", "extra") in checks
    assert "int" not in {c.column for c in report.columns}
    with pytest.raises(InvalidInputError, match="share no column"):
        compare(ref, pd.DataFrame({"other": [1, 2]}))
    with pytest.raises(InvalidInputError, match="no rows"):
        compare(ref, ref.iloc[:0])
    with pytest.raises(InvalidInputError, match="DataFrame"):
        compare(ref, [1, 2, 3])
    with pytest.raises(InvalidInputError, match="drift_share"):
        compare(ref, ref, drift_share=0)


def test_threads_give_the_same_report():
    ref, cur = data(60_000, 10), data(60_000, 11, shift=0.1)
    one = compare(ref, cur, "all", workers=1).to_frame()
    two = compare(ref, cur, "all", workers=2).to_frame()
    pd.testing.assert_frame_equal(one, two)


def test_report_serialises_to_json():
    report = compare(data(100, 12), data(100, 13), "all")
    text = json.dumps(json_safe(report), allow_nan=False)
    back = json.loads(text)
    assert back["n_checked"] == 7 and len(back["results"]) == len(report.results)
    assert set(back) >= {"drifted", "share_drifted", "results", "findings", "columns"}


def test_large_window_against_small_profile_uses_the_fast_paths():
    rng = np.random.default_rng(14)
    ref = pd.DataFrame({"x": rng.normal(size=40_000).round(2)})
    cur = pd.DataFrame({"x": rng.normal(0.02, 1, size=700).round(2)})
    profile = fit_profile(ref)
    report = compare(profile, cur, ["ks", "wasserstein"])
    expected = stats.ks_2samp(ref["x"], cur["x"])
    assert report.result("x", "ks").statistic == pytest.approx(expected.statistic, rel=1e-12)
    assert report.result("x", "ks").p_value == pytest.approx(expected.pvalue, rel=1e-8)
    w = stats.wasserstein_distance(ref["x"], cur["x"]) / ref["x"].std(ddof=0)
    assert report.result("x", "wasserstein").statistic == pytest.approx(w, rel=1e-9)


@pytest.mark.parametrize("shift", [0.0, 0.02, 0.5])
def test_large_equal_windows_use_bounded_ks_and_quantile_wasserstein(shift):
    rng = np.random.default_rng(15)
    ref = pd.DataFrame({"x": rng.normal(size=30_000), "t": rng.normal(size=30_000).round(1)})
    cur = pd.DataFrame(
        {"x": rng.normal(shift, 1, 30_000), "t": rng.normal(shift, 1, 30_000).round(1)}
    )
    report = compare(ref, cur, ["ks", "wasserstein"])
    for name in ("x", "t"):
        expected = stats.ks_2samp(ref[name], cur[name])
        got = report.result(name, "ks")
        assert got.statistic == pytest.approx(expected.statistic, rel=1e-12)
        assert got.p_value == pytest.approx(expected.pvalue, rel=1e-8, abs=1e-300)
        w = stats.wasserstein_distance(ref[name], cur[name]) / ref[name].std(ddof=0)
        assert report.result(name, "wasserstein").statistic == pytest.approx(w, rel=1e-9)
