"""Explanations for the people who approve models: permutation feature importance of a model
on its hold-out rows, and confusion matrices — computed from the artifacts, Qt-free.

Permutation importance is scikit-learn's (``sklearn.inspection.permutation_importance``)
with the model's own scoring (accuracy for classifiers, R² for regressors), ``n_repeats``
shuffles per feature, on the test rows of the model's split (or all rows for other data).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Importance:
    feature: str
    mean: float
    std: float


def permutation_importance(model_path: Path, model_sha256: str, model_meta: dict[str, Any],
                           data_path: Path, artifact_root: Path | None = None, *, n_repeats: int = 5,
                           max_rows: int = 2000, seed: int = 0) -> list[Importance]:
    """Importances sorted from most to least important."""
    import pandas as pd
    from sklearn.inspection import permutation_importance as sk_permutation_importance
    from sklearn.metrics import accuracy_score, r2_score

    from workbench.engines.runtime.models import load_model
    from workbench.engines.runtime.split import split_mask

    predictor = load_model(model_path, model_sha256, model_meta, artifact_root)
    frame = pd.read_parquet(data_path)
    if "row_id" in frame.columns:
        split = model_meta.get("split") or {}
        mask = split_mask(frame["row_id"].to_numpy(), float(split.get("test_fraction", 0.2)),
                          int(split.get("seed", 0)))
        if mask.any():
            frame = frame[mask]
    frame = frame.head(max_rows)
    target = model_meta.get("target")
    if not target or target not in frame.columns:
        return []
    features = list(predictor.features)
    x, y = frame[features], frame[target].to_numpy()

    class _Adapter:  # scikit-learn's scorer protocol around our Predictor
        def fit(self, *_: Any) -> _Adapter:
            return self

        def predict(self, data: Any) -> np.ndarray:
            return predictor.predict(pd.DataFrame(data, columns=features))

    def score(estimator: Any, data: Any, truth: np.ndarray) -> float:
        predicted = estimator.predict(data)
        if predictor.task == "classification":
            return float(accuracy_score(np.asarray(truth).astype(str), np.asarray(predicted).astype(str)))
        return float(r2_score(truth, predicted))

    result = sk_permutation_importance(_Adapter(), x, y, scoring=score, n_repeats=n_repeats, random_state=seed)
    items = [Importance(f, float(m), float(s)) for f, m, s in zip(features, result.importances_mean,
                                                                    result.importances_std, strict=True)]
    return sorted(items, key=lambda i: i.mean, reverse=True)
