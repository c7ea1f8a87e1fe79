"""A/B tests against statsmodels and scipy."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from workbench.errors import InvalidInputError
from workbench.monitoring import ab_test, two_proportion_ztest, welch_ttest


@pytest.mark.parametrize(
    ("ka", "na", "kb", "nb"),
    [(120, 1000, 150, 1000), (5, 40, 9, 37), (0, 10, 3, 12), (500, 9000, 520, 9100)],
)
def test_two_proportion_z_matches_statsmodels(ka, na, kb, nb):
    result = two_proportion_ztest(ka, na, kb, nb)
    z, p = proportions_ztest([kb, ka], [nb, na])
    assert result.statistic == pytest.approx(z) and result.p_value == pytest.approx(p)
    low, high = confint_proportions_2indep(kb, nb, ka, na, method="wald", compare="diff")
    assert (result.ci_low, result.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert result.effect == pytest.approx(kb / nb - ka / na)
    for alternative, sm in (("greater", "larger"), ("less", "smaller")):
        one = two_proportion_ztest(ka, na, kb, nb, alternative=alternative)
        assert one.p_value == pytest.approx(
            proportions_ztest([kb, ka], [nb, na], alternative=sm)[1]
        )


@pytest.mark.parametrize("seed", range(6))
def test_welch_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    a = rng.normal(10, 2, int(rng.integers(2, 300)))
    b = rng.normal(10.5, 5, int(rng.integers(2, 300)))
    result = welch_ttest(a, b)
    expected = stats.ttest_ind(b, a, equal_var=False)
    assert result.statistic == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.df == pytest.approx(expected.df)
    ci = expected.confidence_interval(0.95)
    assert (result.ci_low, result.ci_high) == (pytest.approx(ci.low), pytest.approx(ci.high))
    one = welch_ttest(a, b, alternative="greater")
    assert one.p_value == pytest.approx(
        stats.ttest_ind(b, a, equal_var=False, alternative="greater").pvalue
    )


def test_minimum_detectable_effect_matches_power_analysis():
    rng = np.random.default_rng(1)
    a, b = rng.normal(0, 3, 400), rng.normal(0, 3, 600)
    result = welch_ttest(a, b, alpha=0.05, power=0.8)
    d = NormalIndPower().solve_power(nobs1=400, ratio=1.5, alpha=0.05, power=0.8)
    pooled = np.sqrt(a.var(ddof=1) / 400 + b.var(ddof=1) / 600) / np.sqrt(1 / 400 + 1 / 600)
    assert result.mde == pytest.approx(d * pooled, rel=1e-4)
    conv = two_proportion_ztest(100, 1000, 110, 1000)
    expected = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * np.sqrt(0.1 * 0.9 * 2 / 1000)
    assert conv.mde == pytest.approx(expected)
    assert two_proportion_ztest(100, 4000, 110, 4000).mde < conv.mde


def test_ab_test_from_a_frame_and_bad_input():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame(
        {
            "variant": rng.choice(["control", "new"], 2000),
            "converted": rng.random(2000) < 0.1,
            "revenue": rng.exponential(20, 2000),
        }
    )
    conv = ab_test(frame, "variant", "converted", control="control")
    assert conv.test == "two_proportion_z" and conv.n_a + conv.n_b == 2000
    rev = ab_test(frame, "variant", "revenue", control="control")
    assert rev.test == "welch_t" and not rev.significant
    with pytest.raises(InvalidInputError, match="exactly two"):
        ab_test(frame.assign(variant="one"), "variant", "revenue")
    with pytest.raises(InvalidInputError, match="whole number"):
        two_proportion_ztest(5, 3, 1, 10)
    with pytest.raises(InvalidInputError, match="at least two"):
        welch_ttest([1.0], [1.0, 2.0])
    with pytest.raises(InvalidInputError, match="alpha"):
        welch_ttest([1.0, 2.0], [1.0, 2.0], alpha=2)
    flat = welch_ttest([1.0, 1.0], [1.0, 1.0])
    assert flat.p_value == 1.0 and not flat.significant
