"""The numpy fast path: a scikit-learn model on all-numeric features scores validated rows as
a float64 array, skipping pandas and scikit-learn's per-column frame checks (about 0.45 ms of
a one-row request's 0.6 ms).

A request's rows are already checked against the training schema and laid out in the model's
feature order (``validation.to_frame``), so the array holds exactly what the frame held. The
path is taken only when the model was fitted on those features in that order
(``feature_names_in_``) and scores a probe identically both ways; anything else — a pipeline
that selects columns by name, a string feature — keeps the frame path.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.models import Predictor, SklearnPredictor
from workbench.serving.validation import FeatureSpec

__all__ = ["NumpySklearnPredictor", "fast_predictor"]

_NAMES_WARNING = "X does not have valid feature names"


class NumpySklearnPredictor(SklearnPredictor):
    def _array(self, df: pd.DataFrame) -> np.ndarray:
        if tuple(df.columns) != tuple(self.features):
            df = self.frame(df)
        return df.to_numpy(dtype=np.float64, copy=False)

    def proba_matrix(self, df: pd.DataFrame) -> np.ndarray | None:
        if not hasattr(self.estimator, "predict_proba"):
            return None
        return np.asarray(self.estimator.predict_proba(self._array(df)), dtype=np.float64)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict(self._array(df)))


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "fc" and b.dtype.kind in "fc":
        return bool(np.allclose(a, b, rtol=0, atol=1e-12, equal_nan=True))
    return bool((a == b).all())


def fast_predictor(predictor: Predictor, schema: dict[str, FeatureSpec]) -> Predictor:
    """``predictor`` on the numpy path when that is safe for it, else ``predictor`` itself."""
    if type(predictor) is not SklearnPredictor:
        return predictor
    features = list(predictor.features)
    fitted = getattr(predictor.estimator, "feature_names_in_", None)
    if fitted is None or list(fitted) != features:
        return predictor
    if any(schema.get(f, FeatureSpec()).kind != "number" for f in features):
        return predictor
    fast = NumpySklearnPredictor(**{f: getattr(predictor, f) for f in predictor.__dataclass_fields__})
    probe = pd.DataFrame(np.array([[0.0] * len(features), [1.0] * len(features),
                                   [-2.5] * len(features)]), columns=features)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_NAMES_WARNING, category=UserWarning)
            if not all(_same(x, y) for x, y in zip(predictor.predict_and_score(probe),
                                                    fast.predict_and_score(probe), strict=True)):
                return predictor
    except Exception:
        return predictor
    # the array is laid out in the fitted order; the warning would only repeat that it has no names
    warnings.filterwarnings("ignore", message=_NAMES_WARNING, category=UserWarning)
    return fast
