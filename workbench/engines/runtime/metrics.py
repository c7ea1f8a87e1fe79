"""Model quality metrics, the same for training hold-out scores and for ``evaluate``.

Classification: ``accuracy``, ``precision``, ``recall``, ``f1`` (binary: of the positive class,
the second of the sorted classes; more classes: macro averages), ``roc_auc`` (binary, when the
model gives probabilities and both classes occur), ``log_loss`` (when the model gives
probabilities) and the ``confusion_matrix`` (``{"labels": [...], "matrix": [[...]]}``, rows are
true labels; not a scalar, so it only goes into the metrics file). Regression: ``rmse``,
``mae``, ``r2``. Every metric set carries ``n_rows``.

Rules: scikit-learn is imported inside the functions; a metric that is undefined for the data
(one class only, one row) is left out rather than reported as NaN.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["classification_metrics", "regression_metrics", "scalar_metrics"]


def scalar_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Only the finite numeric entries (what ``result["metrics"]`` may hold)."""
    out: dict[str, float] = {}
    for key, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.number):
            continue
        number = float(value)
        if np.isfinite(number):
            out[key] = int(value) if isinstance(value, int | np.integer) else number
    return out


def classification_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None, classes: Sequence[Any]
) -> dict[str, Any]:
    """Metrics of predicted labels (and, when given, the ``(n, K)`` class probabilities)."""
    from sklearn import metrics as skm

    labels = list(classes)
    out: dict[str, Any] = {"n_rows": int(len(y_true))}
    if len(y_true) == 0:
        return out
    out["accuracy"] = float(skm.accuracy_score(y_true, y_pred))
    binary = len(labels) == 2
    kwargs: dict[str, Any] = (
        {"average": "binary", "pos_label": labels[1]} if binary
        else {"average": "macro", "labels": labels}
    )
    for name, fn in (("precision", skm.precision_score), ("recall", skm.recall_score),
                     ("f1", skm.f1_score)):
        out[name] = float(fn(y_true, y_pred, zero_division=0, **kwargs))
    if proba is not None and proba.ndim == 2 and proba.shape[1] == len(labels):
        present = set(np.unique(y_true).tolist())
        if binary and len(present) == 2:
            out["roc_auc"] = float(skm.roc_auc_score(y_true == labels[1], proba[:, 1]))
        if present <= set(labels):
            clipped = np.clip(proba, 1e-15, 1 - 1e-15)
            out["log_loss"] = float(skm.log_loss(y_true, clipped / clipped.sum(axis=1,
                                                                                 keepdims=True),
                                                 labels=labels))
    matrix = skm.confusion_matrix(y_true, y_pred, labels=labels)
    out["confusion_matrix"] = {"labels": labels, "matrix": matrix.tolist()}
    return out


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, Any]:
    from sklearn import metrics as skm

    out: dict[str, Any] = {"n_rows": int(len(y_true))}
    if len(y_true) == 0:
        return out
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    out["rmse"] = float(np.sqrt(np.mean((y_true - y_pred) ** 2)))
    out["mae"] = float(skm.mean_absolute_error(y_true, y_pred))
    if len(y_true) > 1:
        out["r2"] = float(skm.r2_score(y_true, y_pred))
    return out
