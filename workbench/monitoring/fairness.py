"""Fairness of a binary classifier across the groups of a sensitive feature.

:func:`group_report` computes, per group: the number of rows, selection rate (share predicted
positive), true- and false-positive rates, precision and accuracy, each with a bootstrap
confidence interval (percentile, resampling rows within the group); then, per metric, the
largest difference and the smallest ratio between groups. ``demographic_parity_ratio`` is the
selection rates' ratio, ``equalized_odds_difference`` the larger of the TPR and FPR
differences — the definitions Fairlearn uses, so its ``MetricFrame`` gives the same figures on
the same data (the tests check it). A metric a group cannot have (a TPR without positives)
is ``None`` and left out of that metric's difference and ratio.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["METRICS", "group_report"]

METRICS = ("selection_rate", "tpr", "fpr", "precision", "accuracy")
MIN_GROUP_ROWS = 1


def _rates(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Rows of (selection_rate, tpr, fpr, precision, accuracy) for boolean arrays whose last
    axis is the rows (NaN where a rate has no denominator)."""
    n = t.shape[-1]
    tp = (t & p).sum(-1)
    fp = (~t & p).sum(-1)
    pos, neg, predicted = t.sum(-1), (~t).sum(-1), p.sum(-1)
    correct = (t == p).sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.stack([predicted / n, np.where(pos > 0, tp / np.maximum(pos, 1), np.nan),
                         np.where(neg > 0, fp / np.maximum(neg, 1), np.nan),
                         np.where(predicted > 0, tp / np.maximum(predicted, 1), np.nan),
                         correct / n], axis=-1)


def _plain(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def group_report(y_true: Sequence[Any], y_pred: Sequence[Any], groups: Sequence[Any], positive: Any,
                 *, n_boot: int = 200, level: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """Per-group metrics with intervals, and the differences and ratios between groups."""
    t = np.asarray(y_true) == positive
    p = np.asarray(y_pred) == positive
    g = np.asarray([str(v) for v in groups], dtype=object)
    if not len(t) == len(p) == len(g):
        raise ValueError("y_true, y_pred and groups must have the same length")
    rng = np.random.default_rng(seed)
    tail = (1.0 - level) / 2.0
    per_group: dict[str, dict[str, Any]] = {}
    for name in sorted(set(g.tolist())):
        rows = np.flatnonzero(g == name)
        if len(rows) < MIN_GROUP_ROWS:
            continue
        point = _rates(t[rows], p[rows])
        entry: dict[str, Any] = {"n": len(rows)}
        boot = None
        if n_boot:  # resamples in batches of about two million rows, so memory stays bounded
            step = max(1, 2_000_000 // len(rows))
            parts = []
            for start in range(0, n_boot, step):
                picks = rows[rng.integers(0, len(rows), size=(min(step, n_boot - start), len(rows)))]
                parts.append(_rates(t[picks], p[picks]))
            boot = np.concatenate(parts)
        for i, metric in enumerate(METRICS):
            value = _plain(point[i])
            low = high = None
            if boot is not None and value is not None:
                column = boot[:, i][np.isfinite(boot[:, i])]
                if len(column):
                    low, high = (float(np.quantile(column, tail)), float(np.quantile(column, 1 - tail)))
            entry[metric] = {"value": value, "low": low, "high": high}
        per_group[name] = entry
    between: dict[str, dict[str, float | None]] = {}
    for metric in METRICS:
        values = [e[metric]["value"] for e in per_group.values() if e[metric]["value"] is not None]
        if len(values) < 2:
            between[metric] = {"difference": None, "ratio": None}
            continue
        largest, smallest = max(values), min(values)
        between[metric] = {"difference": largest - smallest,
                           "ratio": (smallest / largest) if largest > 0 else None}
    tpr_d, fpr_d = between["tpr"]["difference"], between["fpr"]["difference"]
    odds = None if tpr_d is None or fpr_d is None else max(tpr_d, fpr_d)
    return {"groups": per_group, "between": between, "positive": _label(positive),
            "demographic_parity_ratio": between["selection_rate"]["ratio"],
            "demographic_parity_difference": between["selection_rate"]["difference"],
            "equalized_odds_difference": odds, "level": level, "n_boot": n_boot}


def _label(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value
