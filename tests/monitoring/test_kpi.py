"""KPI impact: cross-correlation against statsmodels' ccf, ITS against OLS with HAC."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.tsa.stattools import ccf

from workbench.errors import InvalidInputError
from workbench.monitoring import deployment_impact, lagged_cross_correlation, regularise


@pytest.mark.parametrize(
    ("seed", "lag", "adjusted"), [(0, 3, False), (1, 0, False), (2, 5, True), (3, -2, False)]
)
def test_cross_correlation_matches_statsmodels(seed, lag, adjusted):
    rng = np.random.default_rng(seed)
    n = 200
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    metric = pd.Series(rng.normal(size=n), index=idx)
    kpi = metric.shift(lag).fillna(0.0) * 2 + rng.normal(0, 0.5, n)
    result = lagged_cross_correlation(kpi, metric, max_lag=8, adjusted=adjusted)
    forward = ccf(kpi.to_numpy(), metric.to_numpy(), adjusted=adjusted)
    backward = ccf(metric.to_numpy(), kpi.to_numpy(), adjusted=adjusted)
    for k in range(9):
        assert result.at(k) == pytest.approx(forward[k])
        assert result.at(-k) == pytest.approx(backward[k])
    assert result.best_lag == lag and result.significant
    assert result.band == pytest.approx(1.959964 / np.sqrt(n), rel=1e-6)
    assert result.freq == "D" and result.n_filled == 0


def test_cross_correlation_of_irregular_series_is_resampled_explicitly():
    rng = np.random.default_rng(4)
    stamps = pd.to_datetime("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 60, 400)), "D")
    kpi = pd.Series(rng.normal(size=400), index=stamps)
    metric = pd.Series(rng.normal(size=400), index=stamps)
    result = lagged_cross_correlation(kpi, metric, freq="D")
    assert result.freq == "D" and result.n == 60
    irregular = regularise(kpi)
    assert irregular.resampled and irregular.freq is not None
    with pytest.raises(InvalidInputError, match="constant"):
        lagged_cross_correlation([1.0] * 10, list(range(10)))
    with pytest.raises(InvalidInputError, match="not numbers"):
        lagged_cross_correlation(["a", "b", "c"], [1, 2, 3])
    plain = lagged_cross_correlation([1.0, 3.0, 2.0, 5.0, 4.0], [2.0, 1.0, 4.0, 3.0, 6.0])
    assert plain.freq is None and len(plain.lags) == 2 * min(4, int(10 * np.log10(5))) + 1


def test_deployment_impact_matches_ols_with_newey_west():
    rng = np.random.default_rng(5)
    n = 150
    idx = pd.date_range("2024-01-01", periods=n, freq="D")
    t = np.arange(n)
    e = np.zeros(n)
    for i in range(1, n):  # autocorrelated noise: where HAC errors matter
        e[i] = 0.6 * e[i - 1] + rng.normal(0, 1)
    y = 50 + 0.1 * t + np.where(t >= 60, 4.0, 0) + np.where(t >= 100, -0.2 * (t - 100), 0) + e
    events = pd.DataFrame({"time": [idx[60], idx[100]], "name": ["v2", "v3"]})
    result = deployment_impact(pd.Series(y, index=idx), events, hac_lags=5)
    d1, d2 = (t >= 60).astype(float), (t >= 100).astype(float)
    x = np.column_stack([np.ones(n), t, d1, (t - 60) * d1, d2, (t - 100) * d2])
    fit = sm.OLS(y, x).fit(cov_type="HAC", cov_kwds={"maxlags": 5})
    got = [result.baseline_level, result.baseline_slope]
    for ev in result.events:
        got += [ev.level_change, ev.slope_change]
    for i, est in enumerate(got):
        assert est.value == pytest.approx(fit.params[i])
        assert est.se == pytest.approx(fit.bse[i])
        assert est.p_value == pytest.approx(fit.pvalues[i], rel=1e-6, abs=1e-300)
        low, high = fit.conf_int()[i]
        assert (est.ci_low, est.ci_high) == (pytest.approx(low), pytest.approx(high))
    assert result.r_squared == pytest.approx(fit.rsquared)
    v2 = result.events[0]
    assert v2.name == "v2" and v2.position == 60 and v2.level_change.p_value < 0.01
    assert v2.n_before == 60 and v2.n_after == 40 and v2.before_after_diff > 0
    assert result.events[1].slope_change.value < 0


def test_deployment_impact_resamples_irregular_kpis_and_checks_events():
    rng = np.random.default_rng(6)
    stamps = pd.to_datetime("2024-01-01") + pd.to_timedelta(np.sort(rng.uniform(0, 40, 300)), "D")
    kpi = pd.Series(rng.normal(10, 1, 300) + (stamps >= "2024-01-21") * 3.0, index=stamps)
    result = deployment_impact(kpi, ["2024-01-21"], freq="D")
    assert result.freq == "D" and result.n == 40
    assert result.events[0].level_change.value == pytest.approx(3.0, abs=1.0)
    assert result.hac_lags == int(4 * (40 / 100) ** (2 / 9))
    with pytest.raises(InvalidInputError, match="periods before and after"):
        deployment_impact(kpi, ["2024-02-09T12:00"], freq="D")
    with pytest.raises(InvalidInputError, match="not a time"):
        deployment_impact(kpi, ["yesterday-ish"], freq="D")
    with pytest.raises(InvalidInputError, match="no deployment events"):
        deployment_impact(kpi, [], freq="D")
