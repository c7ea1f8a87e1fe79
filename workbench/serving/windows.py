"""Summaries of prediction windows for the served predictions, in the batch format.

Owns :func:`summarise`: the same summary as batch inference's ``window_summary`` (count,
score mean/std/histogram, positive and class rates, per-feature ``mean, std, min, max,
missing`` for numeric features and ``missing, distinct`` for the others, the model's first
``MAX_FEATURE_SUMMARIES`` features), so monitoring reads REST and batch windows alike.

Rules: the score part is ``window_summary`` itself; numeric features are summarised in one
pass over a ``(rows, features)`` array instead of one pandas series per feature (the writer
thread shares the interpreter with the request path, so its work is kept small); other
features go through ``window_summary``. Means and standard deviations are population figures
(ddof 0) over the non-missing values; non-finite results become ``null``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.models import Predictor
from workbench.engines.runtime.serving import MAX_FEATURE_SUMMARIES, window_summary
from workbench.serving.validation import FeatureSpec

__all__ = ["summarise"]


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def _numeric(rows: Sequence[Mapping[str, Any]], names: list[str]) -> dict[str, dict[str, Any]]:
    matrix = np.array([[row.get(name) for name in names] for row in rows], dtype=np.float64)
    present = ~np.isnan(matrix)
    counts = present.sum(axis=0)
    missing = len(rows) - counts
    safe = np.where(present, matrix, 0.0)
    sums = safe.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
        variances = np.where(present, (matrix - means) ** 2, 0.0).sum(axis=0) / counts
    lows = np.where(present, matrix, np.inf).min(axis=0)
    highs = np.where(present, matrix, -np.inf).max(axis=0)
    out: dict[str, dict[str, Any]] = {}
    for j, name in enumerate(names):
        if counts[j] == 0:
            out[name] = {"mean": None, "std": None, "min": None, "max": None,
                         "missing": int(missing[j])}
            continue
        out[name] = {"mean": _number(means[j]), "std": _number(math.sqrt(variances[j])),
                     "min": _number(lows[j]), "max": _number(highs[j]),
                     "missing": int(missing[j])}
    return out


def summarise(rows: Sequence[Mapping[str, Any]], labels: Sequence[Any],
              scores: Sequence[float | None], predictor: Predictor,
              schema: Mapping[str, FeatureSpec] | None = None) -> dict[str, Any]:
    """The summary of one window of served rows (see the module docstring)."""
    n = len(rows)
    label_array = np.empty(n, dtype=object)
    label_array[:] = list(labels)
    score_array = np.array([np.nan if s is None else s for s in scores], dtype=np.float64)
    summary = window_summary(pd.DataFrame(index=pd.RangeIndex(n)), label_array, score_array,
                             predictor)
    names = list(predictor.features)[:MAX_FEATURE_SUMMARIES]
    kinds = schema or {}
    numeric = [f for f in names if kinds.get(f, FeatureSpec()).kind == "number"]
    features: dict[str, dict[str, Any]] = _numeric(rows, numeric) if numeric else {}
    others = [f for f in names if f not in features]
    if others:
        frame = pd.DataFrame.from_records([{f: row.get(f) for f in others} for row in rows],
                                          columns=others)
        features.update(window_summary(frame, label_array, score_array, predictor)["features"])
    summary["features"] = {f: features[f] for f in names if f in features}
    return summary
