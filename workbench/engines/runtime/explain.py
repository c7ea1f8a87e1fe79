"""Explanations for the people who approve models, computed from the artifacts, Qt-free.

* ``permutation_importance`` — how much the model's own score (accuracy for classifiers, R²
  for regressors) drops when one feature's values are shuffled, ``n_repeats`` shuffles per
  feature, on the test rows of the model's split (or all rows for other data); the mean and
  standard deviation of the drops, as scikit-learn's ``permutation_importance`` defines them.
  It reports a step per feature and can be cancelled between features.
* ``holdout_frame`` — those test rows, shared with the label-free estimates.
* ``shap_explanation`` — SHAP values (``engines.runtime.shapley``) of up to ``max_rows`` of
  those rows against a seeded sample of ``n_background`` others; its ``summary()`` is the
  global picture (mean |SHAP| per feature and its direction).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.progress import Progress, quietly


@dataclass(frozen=True)
class Importance:
    feature: str
    mean: float
    std: float


def holdout_frame(data_path: Path, model_meta: dict[str, Any], max_rows: int = 2000) -> Any:
    """The test rows of the model's split of a dataset artifact (all rows when it has no
    ``row_id``), at most ``max_rows`` of them, as a DataFrame."""
    import pandas as pd

    from workbench.engines.runtime.split import split_mask

    frame = pd.read_parquet(data_path)
    if "row_id" in frame.columns:
        split = model_meta.get("split") or {}
        mask = split_mask(frame["row_id"].to_numpy(), float(split.get("test_fraction", 0.2)),
                          int(split.get("seed", 0)))
        if mask.any():
            frame = frame[mask]
    return frame.head(max_rows)


def permutation_importance(model_path: Path, model_sha256: str, model_meta: dict[str, Any],
                           data_path: Path, artifact_root: Path | None = None, *, n_repeats: int = 5,
                           max_rows: int = 2000, seed: int = 0,
                           progress: Progress | None = None) -> list[Importance]:
    """Importances sorted from most to least important (empty without the target column)."""
    import pandas as pd
    from sklearn.metrics import accuracy_score, r2_score

    from workbench.engines.runtime.models import load_model

    progress = quietly(progress)
    progress.step(0, 0, "loading the model and its test rows")
    predictor = load_model(model_path, model_sha256, model_meta, artifact_root)
    frame = holdout_frame(data_path, model_meta, max_rows)
    target = model_meta.get("target")
    if not target or target not in frame.columns:
        return []
    features = list(predictor.features)
    x = frame[features].reset_index(drop=True)
    truth = frame[target].to_numpy()

    def score(data: pd.DataFrame) -> float:
        predicted = predictor.predict(data)
        if predictor.task == "classification":
            return float(accuracy_score(np.asarray(truth).astype(str), np.asarray(predicted).astype(str)))
        return float(r2_score(truth, predicted))

    baseline = score(x)
    rng = np.random.default_rng(seed)
    items = []
    for i, feature in enumerate(features):
        progress.step(i, len(features), f"shuffling {feature} ({i + 1} of {len(features)})")
        original = x[feature]
        drops = np.empty(n_repeats)
        for r in range(n_repeats):
            shuffled = x.copy(deep=False)
            shuffled[feature] = original.to_numpy()[rng.permutation(len(original))]
            drops[r] = baseline - score(shuffled)
        items.append(Importance(feature, float(drops.mean()), float(drops.std())))
    progress.step(len(features), len(features), "done")
    return sorted(items, key=lambda item: item.mean, reverse=True)


def shap_explanation(predictor: Any, frame: Any, *, max_rows: int = 200, n_background: int = 50, seed: int = 0,
                     n_permutations: int = 10, progress: Progress | None = None, additive: bool = True) -> Any:
    """``shapley.Explanation`` of ``predictor`` on ``max_rows`` rows of ``frame``, against
    ``n_background`` other rows of it (both seeded samples; the same rows for every model)."""
    from workbench.engines.runtime.shapley import explain

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(frame))
    background = frame.iloc[np.sort(order[:n_background])]
    rest = order[n_background:] if len(order) > n_background else order
    rows = frame.iloc[np.sort(rest[:max_rows])]
    return explain(predictor, rows, background, n_permutations=n_permutations, seed=seed, progress=progress,
                   additive=additive)
