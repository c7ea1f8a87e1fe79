"""Canary and champion/challenger comparison of two prediction sets on the same inputs.

Predictions are paired row by row (rows where either side is missing are dropped and
counted). They are *scores* when numeric; scores in [0, 1] are also turned into labels with
``label_threshold`` (0.5); non-numeric predictions are labels only.

* labels: agreement rate, Cohen's κ, and — with true labels — both accuracies and McNemar's
  test (exact binomial when the discordant pairs number under 25, else χ² with continuity
  correction, as ``statsmodels.stats.contingency_tables.mcnemar``);
* scores: mean absolute difference, the share of rows whose difference exceeds
  ``tolerance`` (0.1), and the distance between the two score distributions (KS with its
  p-value, Jensen–Shannon and PSI on the champion's quantile bins);
* ``histogram_rmse``: ParallelM's canary score — the square root of the summed squared
  differences of the two normalised prediction histograms (10 equal-width bins over the
  pooled range for scores, the union of classes for labels);
* bootstrap intervals (``ci_level`` 0.95, ``n_boot`` 1000 resamples of the rows): for the
  agreement and κ by resampling the confusion table (a multinomial draw, exact and cheap
  at any size), for the share above tolerance by a binomial draw, for the mean absolute
  difference by resampling rows (at most ``2·10^7`` draws; beyond that an m-out-of-n
  bootstrap rescaled by ``√(m/n)``).

The verdict: ``divergent`` when ``metric`` crosses ``threshold`` — below it for
``agreement`` (default, 0.95) and ``kappa`` (0.8), above it for the others. With the feature
frames of both sides, ``same_traffic`` checks that they came from the same traffic (no
column drifted); when they did not, the comparison is marked ``valid=False``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InvalidInputError
from workbench.monitoring import univariate as uv

METRICS = {  # name -> (default threshold, divergent when lower)
    "agreement": (0.95, True),
    "kappa": (0.8, True),
    "mean_abs_diff": (0.05, False),
    "share_above_tolerance": (0.05, False),
    "histogram_rmse": (0.1, False),
    "ks": (0.1, False),
    "jensenshannon": (0.1, False),
    "psi": (0.1, False),
}
BOOT_DRAW_LIMIT = 20_000_000


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


@dataclass(frozen=True)
class McNemarResult:
    statistic: float
    p_value: float
    exact: bool
    champion_only_correct: int  # b
    challenger_only_correct: int  # c


@dataclass(frozen=True)
class TrafficCheck:
    valid: bool
    n_checked: int
    drifted_columns: tuple[str, ...]
    share_drifted: float


@dataclass(frozen=True)
class CanaryResult:
    n: int
    n_dropped: int
    kind: str  # "scores" or "labels"
    metric: str
    value: float
    threshold: float
    divergent: bool
    valid: bool
    agreement: float | None = None
    agreement_ci: Interval | None = None
    kappa: float | None = None
    kappa_ci: Interval | None = None
    mean_abs_diff: float | None = None
    mean_abs_diff_ci: Interval | None = None
    tolerance: float | None = None
    share_above_tolerance: float | None = None
    share_above_tolerance_ci: Interval | None = None
    ks: float | None = None
    ks_p_value: float | None = None
    jensenshannon: float | None = None
    psi: float | None = None
    histogram_rmse: float | None = None
    champion_accuracy: float | None = None
    challenger_accuracy: float | None = None
    mcnemar: McNemarResult | None = None
    traffic: TrafficCheck | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


def cohen_kappa(table: np.ndarray) -> float:
    """Cohen's κ of a square confusion table (rows: champion, columns: challenger)."""
    table = np.asarray(table, dtype=np.float64)
    n = table.sum()
    observed = np.trace(table) / n
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / n**2
    if expected == 1.0:
        return float("nan")
    return float((observed - expected) / (1.0 - expected))


def _kappas(tables: np.ndarray, k: int) -> np.ndarray:
    """κ for a stack of flattened k×k tables."""
    t = tables.reshape(-1, k, k).astype(np.float64)
    n = t.sum(axis=(1, 2))
    observed = np.trace(t, axis1=1, axis2=2) / n
    expected = np.einsum("bi,bi->b", t.sum(axis=2), t.sum(axis=1)) / n**2
    with np.errstate(divide="ignore", invalid="ignore"):
        return (observed - expected) / (1.0 - expected)


def mcnemar_test(champion_correct: np.ndarray, challenger_correct: np.ndarray) -> McNemarResult:
    a = np.asarray(champion_correct, bool)
    b = np.asarray(challenger_correct, bool)
    only_a = int(np.sum(a & ~b))
    only_b = int(np.sum(~a & b))
    discordant = only_a + only_b
    if discordant == 0:
        return McNemarResult(0.0, 1.0, True, only_a, only_b)
    if discordant < 25:
        statistic = float(min(only_a, only_b))
        p_value = float(min(1.0, 2.0 * stats.binom.cdf(statistic, discordant, 0.5)))
        return McNemarResult(statistic, p_value, True, only_a, only_b)
    statistic = float((abs(only_a - only_b) - 1.0) ** 2 / discordant)
    return McNemarResult(statistic, float(stats.chi2.sf(statistic, 1)), False, only_a, only_b)


def histogram_rmse(champion: np.ndarray, challenger: np.ndarray, bins: int = 10) -> float:
    """ParallelM's canary score for numeric predictions (see the module docstring)."""
    low = float(min(champion.min(), challenger.min()))
    high = float(max(champion.max(), challenger.max()))
    if high <= low:
        return 0.0
    edges = np.linspace(low, high, bins + 1)
    p = np.histogram(champion, edges)[0] / champion.shape[0]
    q = np.histogram(challenger, edges)[0] / challenger.shape[0]
    return float(np.sqrt(np.sum((p - q) ** 2)))


def _category_rmse(table: np.ndarray) -> float:
    n = table.sum()
    return float(np.sqrt(np.sum((table.sum(axis=1) / n - table.sum(axis=0) / n) ** 2)))


def _percentile_interval(draws: np.ndarray, level: float) -> Interval:
    draws = draws[np.isfinite(draws)]
    if draws.size == 0:
        return Interval(float("nan"), float("nan"))
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Interval(float(low), float(high))


def _as_array(values: object, what: str) -> np.ndarray:
    if isinstance(values, pd.DataFrame):
        if values.shape[1] != 1:
            raise InvalidInputError(f"{what}: give one column of predictions, not a frame")
        values = values.iloc[:, 0]
    array = np.asarray(values)
    if array.ndim != 1:
        array = array.ravel()
    return array


def _class_keys(values: np.ndarray) -> np.ndarray:
    """Comparable class keys: numbers and booleans as floats (1, 1.0 and True agree)."""
    series = pd.Series(values)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype(np.float64).astype(str).to_numpy()
    numbers = pd.to_numeric(series, errors="coerce")
    if numbers.notna().all():
        return numbers.astype(np.float64).astype(str).to_numpy()
    return series.astype(str).to_numpy()


def _missing(array: np.ndarray) -> np.ndarray:
    return pd.isna(pd.Series(array)).to_numpy()


def same_traffic(
    champion_features: pd.DataFrame, challenger_features: pd.DataFrame, **compare_options: Any
) -> TrafficCheck:
    """Did both prediction sets see the same traffic? Valid when no feature column drifted."""
    from workbench.monitoring.drift import compare

    report = compare(champion_features, challenger_features, **compare_options)
    return TrafficCheck(
        valid=report.n_drifted == 0,
        n_checked=report.n_checked,
        drifted_columns=tuple(report.drifted_columns),
        share_drifted=report.share_drifted,
    )


def compare_predictions(
    champion: object,
    challenger: object,
    labels: object = None,
    *,
    metric: str | None = None,
    threshold: float | None = None,
    tolerance: float = 0.1,
    label_threshold: float = 0.5,
    n_boot: int = 1000,
    ci_level: float = 0.95,
    seed: int = 0,
    champion_features: pd.DataFrame | None = None,
    challenger_features: pd.DataFrame | None = None,
    traffic_options: Mapping[str, Any] | None = None,
) -> CanaryResult:
    """Compare a challenger's (or canary's) predictions with the champion's, row by row."""
    a, b = _as_array(champion, "champion"), _as_array(challenger, "challenger")
    if a.shape[0] != b.shape[0]:
        raise InvalidInputError(
            f"the champion has {a.shape[0]} predictions and the challenger {b.shape[0]}; "
            "a canary comparison pairs predictions on the same inputs",
            hint="join both on a request id first",
        )
    y = None if labels is None else _as_array(labels, "labels")
    if y is not None and y.shape[0] != a.shape[0]:
        raise InvalidInputError(f"{y.shape[0]} labels for {a.shape[0]} predictions")
    if not 0 < ci_level < 1 or n_boot < 1:
        raise InvalidInputError("ci_level must be in (0, 1) and n_boot >= 1")
    keep = ~(_missing(a) | _missing(b) | (_missing(y) if y is not None else False))
    n_dropped = int((~keep).sum())
    a, b = a[keep], b[keep]
    y = y[keep] if y is not None else None
    n = int(a.shape[0])
    if n == 0:
        raise InvalidInputError("no row has a prediction from both sides")
    rng = np.random.default_rng(seed)
    notes: list[str] = []
    values: dict[str, Any] = {}

    numeric = pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype)
    numeric = numeric and not (a.dtype == bool or b.dtype == bool)
    la = lb = None
    if numeric:
        sa, sb = a.astype(np.float64), b.astype(np.float64)
        if not (np.isfinite(sa).all() and np.isfinite(sb).all()):
            raise InvalidInputError("predictions contain infinite values")
        integral = np.all(sa == np.round(sa)) and np.all(sb == np.round(sb))
        probability = sa.min() >= 0 and sb.min() >= 0 and sa.max() <= 1 and sb.max() <= 1
        if probability and not integral:
            la, lb = sa >= label_threshold, sb >= label_threshold
        elif integral and len(np.union1d(np.unique(sa), np.unique(sb))) <= 20:
            la, lb = sa, sb  # class ids
        diff = np.abs(sa - sb)
        values["mean_abs_diff"] = float(diff.mean())
        values["tolerance"] = tolerance
        above = int(np.sum(diff > tolerance))
        values["share_above_tolerance"] = above / n
        values["share_above_tolerance_ci"] = _percentile_interval(
            rng.binomial(n, above / n, size=n_boot) / n, ci_level
        )
        values["mean_abs_diff_ci"] = _bootstrap_mean(diff, n_boot, ci_level, rng)
        ra, rb = np.sort(sa), np.sort(sb)
        ks, ks_p = uv.ks_test(ra, rb)
        edges = uv.quantile_edges(ra, 10)
        ca, cb = uv.bin_counts(ra, edges), uv.bin_counts(rb, edges)
        values.update(
            ks=ks,
            ks_p_value=ks_p,
            jensenshannon=uv.js_distance(ca, cb),
            psi=uv.psi(ca, cb),
            histogram_rmse=histogram_rmse(sa, sb),
        )
    else:
        la, lb = a, b
    if la is not None:
        ka, kb = _class_keys(la), _class_keys(lb)
        classes, codes = np.unique(np.concatenate([ka, kb]), return_inverse=True)
        k = classes.shape[0]
        table = np.bincount(codes[:n] * k + codes[n:], minlength=k * k).reshape(k, k)
        values["agreement"] = float(np.trace(table) / n)
        values["kappa"] = cohen_kappa(table)
        draws = rng.multinomial(n, table.ravel() / n, size=n_boot)
        values["agreement_ci"] = _percentile_interval(
            draws.reshape(-1, k, k).trace(axis1=1, axis2=2) / n, ci_level
        )
        values["kappa_ci"] = _percentile_interval(_kappas(draws, k), ci_level)
        if not numeric:
            values["histogram_rmse"] = _category_rmse(table)
            ca, cb = table.sum(axis=1), table.sum(axis=0)
            values["jensenshannon"] = uv.js_distance(ca, cb)
            values["psi"] = uv.psi(ca, cb)
        if y is not None:
            truth = _class_keys(y)
            correct_a, correct_b = ka == truth, kb == truth
            values["champion_accuracy"] = float(correct_a.mean())
            values["challenger_accuracy"] = float(correct_b.mean())
            values["mcnemar"] = mcnemar_test(correct_a, correct_b)
    elif y is not None:
        notes.append("labels were given but the predictions are not classes; McNemar skipped")

    chosen = metric or ("agreement" if "agreement" in values else "histogram_rmse")
    if chosen not in METRICS:
        raise InvalidInputError(
            f"unknown canary metric {chosen!r}", hint=f"use one of {list(METRICS)}"
        )
    if values.get(chosen) is None:
        raise InvalidInputError(f"metric {chosen!r} does not apply to these predictions")
    limit, lower_is_worse = METRICS[chosen]
    limit = limit if threshold is None else float(threshold)
    value = float(values[chosen])
    if np.isnan(value):
        notes.append(f"{chosen} is undefined here (one class only); not divergent by it")
        divergent = False
    else:
        divergent = value < limit if lower_is_worse else value > limit

    traffic = None
    if (champion_features is None) != (challenger_features is None):
        raise InvalidInputError("give the features of both sides, or of neither")
    if champion_features is not None:
        traffic = same_traffic(champion_features, challenger_features, **(traffic_options or {}))
        if not traffic.valid:
            notes.append(
                "the two sides did not see the same traffic (drifted: "
                f"{', '.join(traffic.drifted_columns)}); the comparison is not valid"
            )
    return CanaryResult(
        n=n,
        n_dropped=n_dropped,
        kind="scores" if numeric else "labels",
        metric=chosen,
        value=value,
        threshold=limit,
        divergent=bool(divergent),
        valid=traffic.valid if traffic is not None else True,
        traffic=traffic,
        notes=tuple(notes),
        **values,
    )


def _bootstrap_mean(
    values: np.ndarray, n_boot: int, level: float, rng: np.random.Generator
) -> Interval:
    n = values.shape[0]
    m = min(n, max(1, BOOT_DRAW_LIMIT // n_boot))
    sample = values if m == n else rng.choice(values, size=m, replace=False)
    means = np.empty(n_boot)
    chunk = max(1, BOOT_DRAW_LIMIT // (10 * m))
    for start in range(0, n_boot, chunk):
        stop = min(start + chunk, n_boot)
        means[start:stop] = sample[rng.integers(0, m, size=(stop - start, m))].mean(axis=1)
    if m < n:  # m-out-of-n: rescale the spread to n
        centre = values.mean()
        means = centre + (means - sample.mean()) * np.sqrt(m / n)
    return _percentile_interval(means, level)
