"""Confidence-based performance estimation (CBPE) for binary classifiers, without labels.

If the model's scores are calibrated probabilities, each row is a positive with probability
``p``, so the confusion matrix has an expected value: over the rows predicted positive
(``score >= threshold``) ``E[TP] = Σ p`` and ``E[FP] = Σ (1 - p)``; over the rows predicted
negative ``E[FN] = Σ p`` and ``E[TN] = Σ (1 - p)``. Accuracy, precision, recall and F1 are
computed from the expected counts; ROC AUC from the expected true- and false-positive rates
at every score threshold (rows sorted by score, tied scores taken together).

Calibration is fitted on labelled reference data: ``calibration="auto"`` fits an isotonic
map (scikit-learn, imported inside) and keeps it only when it lowers the out-of-fold Brier
score of the reference; ``"isotonic"`` always uses it; ``"none"`` trusts the raw scores.
Once labels arrive, ``estimate(scores, labels)`` puts the realised metric beside each
estimate. Metrics that are undefined (precision with no predicted positive, AUC with one
class) are NaN.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from workbench.errors import InvalidInputError
from workbench.monitoring.multivariate import roc_auc

METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den > 0 else float("nan")


def metrics_from_counts(tp: float, fp: float, fn: float, tn: float) -> dict[str, float]:
    total = tp + fp + fn + tn
    return {
        "accuracy": _ratio(tp + tn, total),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
    }


def expected_roc_auc(scores: np.ndarray, probabilities: np.ndarray) -> float:
    """AUC of the expected ROC curve: thresholds at each distinct score, high to low."""
    order = np.argsort(-scores, kind="stable")
    s, p = scores[order], probabilities[order]
    tp = np.cumsum(p)
    fp = np.cumsum(1.0 - p)
    if tp[-1] <= 0 or fp[-1] <= 0:
        return float("nan")
    last = np.flatnonzero(np.r_[s[1:] != s[:-1], True])  # end of each tie group
    tpr = np.r_[0.0, tp[last] / tp[-1]]
    fpr = np.r_[0.0, fp[last] / fp[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1])) / 2.0)


def realised_metrics(
    labels: np.ndarray, predictions: np.ndarray, scores: np.ndarray
) -> dict[str, float]:
    y = labels.astype(bool)
    yhat = predictions.astype(bool)
    tp = float(np.sum(y & yhat))
    fp = float(np.sum(~y & yhat))
    fn = float(np.sum(y & ~yhat))
    tn = float(np.sum(~y & ~yhat))
    out = metrics_from_counts(tp, fp, fn, tn)
    out["roc_auc"] = roc_auc(y, scores)
    return out


@dataclass(frozen=True)
class CBPEEstimate:
    n_rows: int
    estimated: Mapping[str, float]
    realised: Mapping[str, float] | None = None
    window: int | None = None

    def difference(self) -> dict[str, float] | None:
        """Realised minus estimated, per metric (when labels were given)."""
        if self.realised is None:
            return None
        return {m: self.realised[m] - self.estimated[m] for m in METRICS}


@dataclass(frozen=True, eq=False)
class CBPEModel:
    threshold: float
    calibration: str  # "isotonic" or "none"
    knots_x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    knots_y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    reference: CBPEEstimate | None = None
    brier_raw: float | None = None
    brier_calibrated: float | None = None

    def calibrate(self, scores: np.ndarray) -> np.ndarray:
        scores = _scores(scores, "scores")
        if self.calibration == "none":
            return scores
        return np.interp(scores, self.knots_x, self.knots_y)

    def estimate(
        self,
        scores: np.ndarray,
        labels: np.ndarray | None = None,
        predictions: np.ndarray | None = None,
        *,
        window: int | None = None,
    ) -> CBPEEstimate:
        """Estimated metrics of one window (``predictions`` default to score >= threshold)."""
        s = _scores(scores, "scores")
        if s.shape[0] == 0:
            raise InvalidInputError("no scores to estimate performance from")
        yhat = (s >= self.threshold) if predictions is None else _labels(predictions, len(s))
        p = self.calibrate(s)
        tp = float(p[yhat].sum())
        fp = float((1 - p[yhat]).sum())
        fn = float(p[~yhat].sum())
        tn = float((1 - p[~yhat]).sum())
        estimated = metrics_from_counts(tp, fp, fn, tn)
        estimated["roc_auc"] = expected_roc_auc(s, p)
        realised = None
        if labels is not None:
            realised = realised_metrics(_labels(labels, len(s)), yhat, s)
        return CBPEEstimate(len(s), estimated, realised, window)

    def estimate_windows(
        self, scores: np.ndarray, size: int, labels: np.ndarray | None = None
    ) -> list[CBPEEstimate]:
        """One estimate per consecutive window of ``size`` rows (the last may be shorter)."""
        if size < 1:
            raise InvalidInputError(f"window size must be at least 1, got {size!r}")
        s = _scores(scores, "scores")
        y = None if labels is None else _labels(labels, len(s))
        return [
            self.estimate(s[i : i + size], None if y is None else y[i : i + size], window=k)
            for k, i in enumerate(range(0, len(s), size))
        ]


def _scores(values: object, what: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidInputError(f"{what} must be numbers (probabilities in [0, 1])") from None
    if not np.all(np.isfinite(array)):
        raise InvalidInputError(f"{what} contain NaN or infinite values", hint="drop those rows")
    if array.size and (array.min() < 0 or array.max() > 1):
        raise InvalidInputError(f"{what} must be probabilities in [0, 1]")
    return array


def _labels(values: object, n: int) -> np.ndarray:
    array = np.asarray(values).ravel()
    if array.shape[0] != n:
        raise InvalidInputError(f"{array.shape[0]} labels for {n} scores")
    try:
        numbers = array.astype(np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError("labels must be 0/1 or booleans") from None
    if not np.all(np.isin(numbers, (0.0, 1.0))):
        raise InvalidInputError("labels must be 0/1 or booleans (a binary classifier)")
    return numbers.astype(bool)


def _brier(p: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean((p - y) ** 2))


def fit_cbpe(
    reference_scores: np.ndarray,
    reference_labels: np.ndarray,
    *,
    threshold: float = 0.5,
    calibration: str = "auto",
    folds: int = 5,
    seed: int = 0,
) -> CBPEModel:
    """Fit CBPE's calibration on labelled reference scores (see the module docstring)."""
    from sklearn.isotonic import IsotonicRegression
    from sklearn.model_selection import StratifiedKFold

    if calibration not in ("auto", "isotonic", "none"):
        raise InvalidInputError(f"calibration must be auto, isotonic or none, not {calibration!r}")
    if not 0 < threshold < 1:
        raise InvalidInputError(f"threshold must be in (0, 1), got {threshold!r}")
    s = _scores(reference_scores, "reference scores")
    y = _labels(reference_labels, len(s))
    if len(s) < 2 or y.all() or not y.any():
        raise InvalidInputError("the reference needs labelled rows of both classes")
    yf = y.astype(np.float64)

    def isotonic() -> IsotonicRegression:
        return IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")

    brier_raw = _brier(s, yf)
    brier_cal = None
    use = calibration
    if calibration == "auto":
        n_splits = int(min(folds, np.bincount(y.astype(int)).min()))
        if n_splits >= 2:
            oof = np.empty_like(s)
            splitter = StratifiedKFold(n_splits=n_splits, shuffle=True, random_state=seed)
            for train, test in splitter.split(s, y):
                oof[test] = isotonic().fit(s[train], yf[train]).predict(s[test])
            brier_cal = _brier(oof, yf)
            use = "isotonic" if brier_cal < brier_raw else "none"
        else:
            use = "none"
    knots_x = knots_y = np.zeros(0)
    if use == "isotonic":
        fitted = isotonic().fit(s, yf)
        knots_x = np.asarray(fitted.X_thresholds_, dtype=np.float64)
        knots_y = np.asarray(fitted.y_thresholds_, dtype=np.float64)
    model = CBPEModel(threshold, use, knots_x, knots_y, None, brier_raw, brier_cal)
    reference = model.estimate(s, y)
    return CBPEModel(threshold, use, knots_x, knots_y, reference, brier_raw, brier_cal)
