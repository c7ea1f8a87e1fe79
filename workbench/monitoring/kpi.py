"""KPI impact: did a model (its scores, its drift, its deployments) move a business KPI?

Series are pandas Series indexed by time (a ``DatetimeIndex``) or plain sequences taken as
equally spaced. Time-indexed series are put on a regular grid explicitly (``regularise``):
to ``freq`` when given, else to the frequency pandas infers, else to the median spacing;
values falling in one period are averaged, empty periods are filled by time interpolation,
and the result says which frequency was used and how many periods were filled.

* ``lagged_cross_correlation(kpi, metric)``: ``r(k) = corr(metric_t, kpi_{t+k})`` — positive
  lags: the metric leads the KPI. The estimator is the standard one (sums over the overlap
  divided by ``n``, as ``statsmodels.tsa.stattools.ccf(adjusted=False)``; ``adjusted=True``
  divides by ``n - |k|``). The band is ``±z_{1-α/2}/√n``; the best lag is the one with the
  largest ``|r|``.
* ``deployment_impact(kpi, events)``: interrupted time series — segmented regression
  ``y_t = b0 + b1·t + Σ_e [level_e·D_e(t) + slope_e·(t - t_e)·D_e(t)]`` with ``D_e = 1`` from
  the first period starting at or after event ``e``; Newey–West (HAC, Bartlett kernel)
  standard errors with ``floor(4·(n/100)^(2/9))`` lags unless given, and normal p-values
  (as statsmodels' ``OLS(...).fit(cov_type="HAC")``). Each event also gets a plain
  before/after comparison: Welch's t of the periods since the previous event against those
  up to the next one (at most ``window`` periods each side when given).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InvalidInputError
from workbench.monitoring.abtest import welch_ttest


@dataclass(frozen=True)
class Regular:
    values: pd.Series
    freq: str | None
    n_filled: int
    resampled: bool


def _numeric_series(values: object, what: str) -> pd.Series:
    series = values.copy() if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    if isinstance(values, pd.DataFrame):
        raise InvalidInputError(f"{what}: give one series, not a frame")
    numbers = pd.to_numeric(series, errors="coerce")
    bad = int((numbers.isna() & series.notna()).sum())
    if bad:
        raise InvalidInputError(f"{what} has {bad} value(s) that are not numbers")
    return numbers.astype(np.float64)


def regularise(values: object, freq: str | None = None, what: str = "series") -> Regular:
    series = _numeric_series(values, what)
    if not isinstance(series.index, pd.DatetimeIndex):
        if freq is not None:
            raise InvalidInputError(f"{what} has no time index, so freq= cannot be applied")
        filled = int(series.isna().sum())
        if filled == len(series):
            raise InvalidInputError(f"{what} has no numeric value")
        series = series.reset_index(drop=True).interpolate(limit_direction="both")
        return Regular(series, None, filled, False)
    series = series.sort_index()
    if series.index.tz is not None:
        series.index = series.index.tz_convert(None)
    if series.notna().sum() < 3:
        raise InvalidInputError(f"{what} needs at least three values with a time")
    resampled = True
    if freq is None:
        inferred = pd.infer_freq(series.index) if series.index.is_unique else None
        if inferred is not None and series.notna().all():
            return Regular(series.asfreq(inferred), inferred, 0, False)
        step = pd.Series(series.index).diff().dropna().median()
        if step <= pd.Timedelta(0):
            raise InvalidInputError(f"{what}: all values share one time")
        freq = pd.tseries.frequencies.to_offset(step).freqstr
    try:
        grid = series.resample(freq).mean()
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"cannot resample {what} to {freq!r}: {exc}") from None
    filled = int(grid.isna().sum())
    grid = grid.interpolate(method="time", limit_direction="both")
    return Regular(grid, freq, filled, resampled)


@dataclass(frozen=True)
class CrossCorrelation:
    lags: tuple[int, ...]
    values: tuple[float, ...]
    band: float
    best_lag: int
    best_value: float
    significant: bool
    n: int
    freq: str | None = None
    n_filled: int = 0

    def at(self, lag: int) -> float:
        return self.values[self.lags.index(lag)]


def lagged_cross_correlation(
    kpi: object,
    metric: object,
    *,
    max_lag: int | None = None,
    freq: str | None = None,
    alpha: float = 0.05,
    adjusted: bool = False,
) -> CrossCorrelation:
    from scipy.signal import correlate

    first = regularise(kpi, freq, "the KPI")
    second = regularise(metric, freq or first.freq, "the metric")
    x, y = first.values, second.values
    if isinstance(x.index, pd.DatetimeIndex) != isinstance(y.index, pd.DatetimeIndex):
        raise InvalidInputError("index both series by time, or neither")
    if isinstance(x.index, pd.DatetimeIndex):
        x, y = x.align(y, join="inner")
    elif len(x) != len(y):
        raise InvalidInputError(f"the KPI has {len(x)} values and the metric {len(y)}")
    n = len(x)
    if n < 3:
        raise InvalidInputError(f"the two series overlap in {n} period(s); at least 3 are needed")
    xv, yv = x.to_numpy(np.float64), y.to_numpy(np.float64)
    sx, sy = xv.std(), yv.std()
    if sx == 0 or sy == 0:
        which = "the KPI" if sx == 0 else "the metric"
        raise InvalidInputError(f"{which} is constant over the overlap; correlation is undefined")
    limit = min(n - 1, max(1, int(10 * math.log10(n)))) if max_lag is None else int(max_lag)
    if not 0 <= limit < n:
        raise InvalidInputError(f"max_lag must be in [0, {n - 1}], got {max_lag!r}")
    full = correlate(xv - xv.mean(), yv - yv.mean(), mode="full")  # index n-1+k: Σ x[t+k] y[t]
    lags = np.arange(-limit, limit + 1)
    sums = full[n - 1 + lags]
    divisor = (n - np.abs(lags)) if adjusted else n
    r = sums / divisor / (sx * sy)
    band = float(stats.norm.ppf(1 - alpha / 2) / math.sqrt(n))
    best = int(np.argmax(np.abs(r)))
    return CrossCorrelation(
        lags=tuple(int(v) for v in lags),
        values=tuple(float(v) for v in r),
        band=band,
        best_lag=int(lags[best]),
        best_value=float(r[best]),
        significant=bool(abs(r[best]) > band),
        n=n,
        freq=first.freq,
        n_filled=first.n_filled + second.n_filled,
    )


# ------------------------------------------------------------------------------ ITS


def newey_west_lags(n: int) -> int:
    return int(math.floor(4 * (n / 100.0) ** (2.0 / 9.0)))


def ols_hac(x: np.ndarray, y: np.ndarray, maxlags: int) -> tuple[np.ndarray, np.ndarray, float]:
    """OLS coefficients, their Newey–West covariance and R² (as statsmodels' HAC fit)."""
    xtx_inv = np.linalg.pinv(x.T @ x)
    beta = xtx_inv @ (x.T @ y)
    resid = y - x @ beta
    scores = x * resid[:, None]
    meat = scores.T @ scores
    for lag in range(1, maxlags + 1):
        weight = 1.0 - lag / (maxlags + 1.0)
        cross = scores[lag:].T @ scores[:-lag]
        meat += weight * (cross + cross.T)
    cov = xtx_inv @ meat @ xtx_inv
    centred = y - y.mean()
    total = float(centred @ centred)
    r2 = 1.0 - float(resid @ resid) / total if total > 0 else float("nan")
    return beta, cov, r2


@dataclass(frozen=True)
class Estimate:
    value: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float


@dataclass(frozen=True)
class EventImpact:
    name: str
    time: object
    position: int
    level_change: Estimate
    slope_change: Estimate
    before_mean: float
    after_mean: float
    before_after_diff: float
    before_after_ci: tuple[float, float]
    before_after_p: float
    n_before: int
    n_after: int


@dataclass(frozen=True)
class ImpactResult:
    n: int
    freq: str | None
    n_filled: int
    hac_lags: int
    r_squared: float
    baseline_level: Estimate
    baseline_slope: Estimate
    events: tuple[EventImpact, ...]


def _estimate(value: float, se: float, alpha: float) -> Estimate:
    q = stats.norm.ppf(1 - alpha / 2)
    p = float(2 * stats.norm.sf(abs(value / se))) if se > 0 else 1.0 if value == 0 else 0.0
    return Estimate(float(value), float(se), float(value - q * se), float(value + q * se), p)


def _event_positions(index: pd.Index, events: object) -> list[tuple[str, object, int]]:
    if isinstance(events, pd.DataFrame):
        if events.shape[1] == 0 or events.shape[0] == 0:
            raise InvalidInputError("no deployment events")
        times = events.iloc[:, 0].tolist()
        names = events.iloc[:, 1].astype(str).tolist() if events.shape[1] > 1 else None
    elif isinstance(events, pd.Series | Sequence | np.ndarray | pd.Index):
        times = list(events)
        names = None
    else:
        raise InvalidInputError("events must be a list of times or a frame of (time, name)")
    if not times:
        raise InvalidInputError("no deployment events")
    out = []
    for i, when in enumerate(times):
        name = names[i] if names else f"event {i + 1}"
        if isinstance(index, pd.DatetimeIndex):
            stamp = pd.to_datetime(when, errors="coerce")
            if pd.isna(stamp):
                raise InvalidInputError(f"{name}: {when!r} is not a time")
            if stamp.tzinfo is not None:
                stamp = stamp.tz_convert(None)
            position = int(index.searchsorted(stamp, side="left"))
        else:
            try:
                position = int(when)
            except (TypeError, ValueError):
                raise InvalidInputError(f"{name}: {when!r} is not a period number") from None
        out.append((name, when, position))
    return sorted(out, key=lambda item: item[2])


def deployment_impact(
    kpi: object,
    events: object,
    *,
    freq: str | None = None,
    hac_lags: int | None = None,
    alpha: float = 0.05,
    window: int | None = None,
    min_points: int = 2,
) -> ImpactResult:
    regular = regularise(kpi, freq, "the KPI")
    y = regular.values.to_numpy(np.float64)
    n = y.shape[0]
    placed = _event_positions(regular.values.index, events)
    bounds = [0] + [p for _, _, p in placed] + [n]
    for (name, when, position), before, after in zip(placed, bounds[:-2], bounds[2:], strict=True):
        if position - before < min_points or after - position < min_points:
            raise InvalidInputError(
                f"{name} ({when}) needs at least {min_points} periods before and after it "
                f"(and before the next event); the series has {n} periods",
                hint="drop the event, merge close events, or use a finer freq",
            )
    t = np.arange(n, dtype=np.float64)
    columns = [np.ones(n), t]
    for _, _, position in placed:
        after = (t >= position).astype(np.float64)
        columns += [after, (t - position) * after]
    x = np.column_stack(columns)
    if n <= x.shape[1]:
        raise InvalidInputError(f"{n} periods are too few for {len(placed)} event(s)")
    lags = newey_west_lags(n) if hac_lags is None else int(hac_lags)
    if lags < 0:
        raise InvalidInputError(f"hac_lags must be >= 0, got {hac_lags!r}")
    beta, cov, r2 = ols_hac(x, y, lags)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    impacts = []
    for i, (name, when, position) in enumerate(placed):
        lo = bounds[i] if window is None else max(bounds[i], position - window)
        hi = bounds[i + 2] if window is None else min(bounds[i + 2], position + window)
        test = welch_ttest(y[lo:position], y[position:hi], alpha=alpha)
        impacts.append(
            EventImpact(
                name=name,
                time=when,
                position=position,
                level_change=_estimate(beta[2 + 2 * i], se[2 + 2 * i], alpha),
                slope_change=_estimate(beta[3 + 2 * i], se[3 + 2 * i], alpha),
                before_mean=test.estimate_a,
                after_mean=test.estimate_b,
                before_after_diff=test.effect,
                before_after_ci=(test.ci_low, test.ci_high),
                before_after_p=test.p_value,
                n_before=test.n_a,
                n_after=test.n_b,
            )
        )
    return ImpactResult(
        n=n,
        freq=regular.freq,
        n_filled=regular.n_filled,
        hac_lags=lags,
        r_squared=r2,
        baseline_level=_estimate(beta[0], se[0], alpha),
        baseline_slope=_estimate(beta[1], se[1], alpha),
        events=tuple(impacts),
    )
