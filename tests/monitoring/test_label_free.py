"""Issue 17: multiclass CBPE and DLE for regression. On data where the model's probabilities
are calibrated (multiclass) and its error depends on a feature (regression), the estimates made
without labels land near the figures the labels then give, including after a shift."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.monitoring.label_free import fit_dle, fit_multiclass_cbpe


def _calibrated(n: int, rng: np.random.Generator, sharpness: float) -> tuple[np.ndarray, np.ndarray]:
    logits = rng.normal(0, sharpness, size=(n, 3))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(3, p=row) for row in proba])
    return proba, np.array(["a", "b", "c"], dtype=object)[labels]


def test_multiclass_cbpe_estimates_accuracy_and_macro_f1_without_labels() -> None:
    rng = np.random.default_rng(0)
    reference_proba, reference_labels = _calibrated(4000, rng, 1.5)
    model = fit_multiclass_cbpe(reference_proba, reference_labels, ["a", "b", "c"])
    for sharpness in (1.5, 0.6):  # the same difficulty, then a harder production (it gets worse)
        proba, labels = _calibrated(4000, rng, sharpness)
        found = model.estimate(proba, labels)
        for metric in ("accuracy", "precision", "recall", "f1"):
            assert found["estimated"][metric] == pytest.approx(found["realised"][metric], abs=0.03), metric
    harder = model.estimate(_calibrated(4000, rng, 0.6)[0])
    assert harder["estimated"]["accuracy"] < model.reference["accuracy"] - 0.05


def test_dle_estimates_mae_and_rmse_without_labels() -> None:
    rng = np.random.default_rng(1)

    def data(n: int, low: float, high: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        x = rng.uniform(low, high, n)
        truth = 2 * x + rng.normal(0, 0.2 + x, n)  # the noise, so the error, grows with x
        return pd.DataFrame({"x": x}), 2 * x, truth

    frame, predictions, labels = data(5000, 0, 2)
    model = fit_dle(frame, predictions, labels, ["x"])
    for low, high in ((0, 2), (1.2, 2)):  # the reference's range, then a shift within it to larger errors
        frame, predictions, labels = data(3000, low, high)
        found = model.estimate(frame, predictions, labels)
        assert found["estimated"]["mae"] == pytest.approx(found["realised"]["mae"], rel=0.12)
        assert found["estimated"]["rmse"] == pytest.approx(found["realised"]["rmse"], rel=0.15)
    shifted = model.estimate(*data(3000, 1.5, 2)[:2])
    assert shifted["estimated"]["mae"] > model.reference["mae"]
