"""Label-free performance estimates beyond binary CBPE (``cbpe``): multiclass CBPE and direct
loss estimation (DLE) for regression, as NannyML documents them.

* **Multiclass CBPE** (:func:`fit_multiclass_cbpe`): each class's probability is calibrated
  one-vs-rest on labelled reference rows (isotonic, kept only when it lowers that class's
  out-of-fold Brier score) and the calibrated rows renormalised to sum to one. With predicted
  class ``c`` and calibrated probability ``p_k`` of each class, a row is correct with
  probability ``p_c``; per class ``E[TP] = Σ_{pred=k} p_k``, ``E[FP] = Σ_{pred=k} (1 - p_k)``,
  ``E[FN] = Σ_{pred≠k} p_k``. Accuracy and macro-averaged precision, recall and F1 follow.
* **DLE** (:func:`fit_dle`): a gradient-boosting model learns, on reference rows, the absolute
  and the squared error of the monitored model from its inputs and its prediction; on rows
  without labels the estimated MAE is the mean predicted absolute error and the estimated
  RMSE the root of the mean predicted squared error. Like NannyML's, it learns within the
  reference's range: rows far outside it get the errors learnt at its edge (trees do not
  extrapolate), so a shift beyond the reference is underestimated.

Both ``estimate(...)`` without labels, or with them (then the realised figures stand beside
the estimates). scikit-learn is imported inside the fitting functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError

__all__ = ["DLEModel", "MulticlassCBPE", "fit_dle", "fit_multiclass_cbpe", "multiclass_metrics"]


def _macro(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, float]:
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
        recall = np.where(tp + fn > 0, tp / (tp + fn), np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), np.nan)
    return {"precision": float(np.nanmean(precision)), "recall": float(np.nanmean(recall)),
            "f1": float(np.nanmean(f1))}


def multiclass_metrics(labels: np.ndarray, predicted: np.ndarray, classes: list[Any]) -> dict[str, float]:
    """Realised accuracy and macro precision/recall/F1."""
    tp = np.array([np.sum((predicted == k) & (labels == k)) for k in classes], dtype=float)
    fp = np.array([np.sum((predicted == k) & (labels != k)) for k in classes], dtype=float)
    fn = np.array([np.sum((predicted != k) & (labels == k)) for k in classes], dtype=float)
    return {"accuracy": float(np.mean(labels == predicted)), **_macro(tp, fp, fn)}


@dataclass
class MulticlassCBPE:
    classes: list[Any]
    calibrators: list[Any]  # per class: an isotonic map, or None (raw probability kept)
    reference: dict[str, float] = field(default_factory=dict)

    def calibrated(self, proba: np.ndarray) -> np.ndarray:
        columns = [proba[:, k] if cal is None else cal.predict(proba[:, k])
                   for k, cal in enumerate(self.calibrators)]
        matrix = np.clip(np.column_stack(columns), 1e-12, None)
        return matrix / matrix.sum(axis=1, keepdims=True)

    def estimate(self, proba: np.ndarray, labels: Any = None) -> dict[str, Any]:
        proba = _matrix(proba, len(self.classes))
        p = self.calibrated(proba)
        predicted = proba.argmax(axis=1)
        tp = np.array([p[predicted == k, k].sum() for k in range(len(self.classes))])
        fp = np.array([(1 - p[predicted == k, k]).sum() for k in range(len(self.classes))])
        fn = np.array([p[predicted != k, k].sum() for k in range(len(self.classes))])
        estimated = {"accuracy": float(p[np.arange(len(p)), predicted].mean()), **_macro(tp, fp, fn)}
        out: dict[str, Any] = {"estimated": estimated, "n": int(len(p))}
        if labels is not None:
            classes = np.asarray(self.classes, dtype=object)
            out["realised"] = multiclass_metrics(np.asarray(labels, dtype=object), classes[predicted], self.classes)
        return out


def _matrix(proba: Any, k: int) -> np.ndarray:
    matrix = np.asarray(proba, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[1] != k or not len(matrix):
        raise InvalidInputError(f"expected probabilities of {k} classes per row, got shape {matrix.shape}")
    return matrix


def fit_multiclass_cbpe(proba: Any, labels: Any, classes: list[Any], *, folds: int = 3) -> MulticlassCBPE:
    """Calibrate on labelled reference rows (probabilities in ``classes`` order)."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import KFold

    matrix = _matrix(proba, len(classes))
    truth = np.asarray(labels, dtype=object)
    if len(truth) != len(matrix):
        raise InvalidInputError("the reference has a different number of labels and probability rows")
    calibrators: list[Any] = []
    for k, name in enumerate(classes):
        y = (truth == name).astype(float)
        raw_brier = float(np.mean((matrix[:, k] - y) ** 2))
        oof = np.empty(len(y))
        for train, test in KFold(folds, shuffle=True, random_state=0).split(matrix):
            fitted = IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(matrix[train, k], y[train])
            oof[test] = fitted.predict(matrix[test, k])
        keep = float(np.mean((oof - y) ** 2)) < raw_brier
        calibrators.append(IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(matrix[:, k], y)
                           if keep else None)
    model = MulticlassCBPE(list(classes), calibrators)
    model.reference = model.estimate(matrix, truth)["realised"]
    return model


@dataclass
class DLEModel:
    features: list[str]
    absolute: Any
    squared: Any
    reference: dict[str, float] = field(default_factory=dict)

    def _inputs(self, frame: pd.DataFrame, predictions: np.ndarray) -> np.ndarray:
        numeric = frame[self.features].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=np.float64)
        return np.column_stack([numeric, np.asarray(predictions, dtype=np.float64)])

    def estimate(self, frame: pd.DataFrame, predictions: Any, labels: Any = None) -> dict[str, Any]:
        x = self._inputs(frame, np.asarray(predictions))
        mae = float(np.mean(np.clip(self.absolute.predict(x), 0, None)))
        rmse = float(np.sqrt(np.mean(np.clip(self.squared.predict(x), 0, None))))
        out: dict[str, Any] = {"estimated": {"mae": mae, "rmse": rmse}, "n": int(len(x))}
        if labels is not None:
            error = np.asarray(labels, dtype=np.float64) - np.asarray(predictions, dtype=np.float64)
            out["realised"] = {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2)))}
        return out


def fit_dle(frame: pd.DataFrame, predictions: Any, labels: Any, features: list[str], *, seed: int = 0) -> DLEModel:
    """Learn the model's absolute and squared errors on labelled reference rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor

    if len(frame) < 20:
        raise InvalidInputError(f"DLE needs at least 20 labelled reference rows, got {len(frame)}")
    model = DLEModel(list(features), None, None)
    x = model._inputs(frame, np.asarray(predictions))
    error = np.asarray(labels, dtype=np.float64) - np.asarray(predictions, dtype=np.float64)
    model.absolute = HistGradientBoostingRegressor(random_state=seed, max_iter=200).fit(x, np.abs(error))
    model.squared = HistGradientBoostingRegressor(random_state=seed, max_iter=200).fit(x, error ** 2)
    model.reference = {"mae": float(np.mean(np.abs(error))), "rmse": float(np.sqrt(np.mean(error ** 2)))}
    return model
