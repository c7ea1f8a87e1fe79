"""Multiclass CBPE and DLE against NannyML's figures on the same data, and calibration doing its
work on a model whose probabilities are overconfident.

NannyML is not a test dependency: ``pip install nannyml`` (0.13.1) into the project's environment
would downgrade python-dateutil 4.0.0 to 2.9.0.post0 (it requires ``python-dateutil<3.0``) and
pull about 2 GB (xgboost, lightgbm, nvidia-nccl, Google Cloud and AWS clients); it also imports
statsmodels without declaring it and sends usage statistics to api.segment.io unless
``NML_DISABLE_USAGE_LOGGING=1``. So its figures were computed once, in a separate virtual
environment (numpy 2.4.6 and scikit-learn 1.9.1 as here), on exactly the data these tests
generate (same seeds, same order of draws), with ``nml.CBPE(problem_type=
"classification_multiclass", metrics=[accuracy, precision, recall, f1], chunk_size=4000)`` and
``nml.DLE(feature_column_names=["x"], metrics=["mae", "rmse"], chunk_size=3000,
tune_hyperparameters=False)``, each fitted on the reference and estimating one chunk, and are
recorded here.

Tolerances: CBPE — both compute the same expected confusion matrix from calibrated
probabilities and differ only in calibration (NannyML always calibrates each class isotonically;
ours keeps a class's calibration only when it lowers the out-of-fold Brier score), which moved
the estimate by at most 0.0046 here: 0.01 leaves room for a platform's float differences while
still catching a real error (the overconfident model's uncalibrated scores miss the realised
accuracy by more than 0.05, see the calibration test). DLE — the same method with different learners
(LightGBM there, scikit-learn's histogram gradient boosting here), 0.4 % apart here: 2 %.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.monitoring.label_free import fit_dle, fit_multiclass_cbpe

METRICS = ("accuracy", "precision", "recall", "f1")
# NannyML 0.13.1 on the data below: (skew, sharpness) -> accuracy, precision, recall, f1
NANNYML_CBPE = {
    (1.0, 1.5): (0.6817, 0.6817, 0.6817, 0.6817),
    (1.0, 0.6): (0.5090, 0.5089, 0.5090, 0.5089),
    (2.0, 1.5): (0.6875, 0.6875, 0.6875, 0.6875),
    (2.0, 0.6): (0.5110, 0.5109, 0.5109, 0.5109),
}
# NannyML 0.13.1 DLE: the analysis chunk's x range -> mae, rmse
NANNYML_DLE = {(0.0, 2.0): (0.9540, 1.3264), (1.2, 2.0): (1.4729, 1.8428), (1.5, 2.0): (1.5736, 1.9615)}


def _classes(n: int, rng: np.random.Generator, sharpness: float, skew: float) -> tuple[np.ndarray, np.ndarray]:
    """Labels drawn from softmax probabilities; the model shows them raised to ``skew`` and
    renormalised (1: calibrated; 2: overconfident)."""
    logits = rng.normal(0, sharpness, size=(n, 3))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(3, p=row) for row in proba])
    shown = proba ** skew
    shown /= shown.sum(axis=1, keepdims=True)
    return shown, np.array(["a", "b", "c"], dtype=object)[labels]


@pytest.mark.parametrize("skew", [1.0, 2.0])
def test_multiclass_cbpe_agrees_with_nannyml_and_with_the_labels(skew: float) -> None:
    rng = np.random.default_rng(0)
    reference_proba, reference_labels = _classes(4000, rng, 1.5, skew)
    model = fit_multiclass_cbpe(reference_proba, reference_labels, ["a", "b", "c"])
    for sharpness in (1.5, 0.6):
        proba, labels = _classes(4000, rng, sharpness, skew)
        found = model.estimate(proba, labels)
        for metric, theirs in zip(METRICS, NANNYML_CBPE[(skew, sharpness)], strict=True):
            assert found["estimated"][metric] == pytest.approx(theirs, abs=0.01), (metric, sharpness)
            assert found["estimated"][metric] == pytest.approx(found["realised"][metric], abs=0.03)


def test_calibration_corrects_an_overconfident_model() -> None:
    rng = np.random.default_rng(0)
    reference_proba, reference_labels = _classes(4000, rng, 1.5, 2.0)
    model = fit_multiclass_cbpe(reference_proba, reference_labels, ["a", "b", "c"])
    proba, labels = _classes(4000, rng, 0.6, 2.0)
    found = model.estimate(proba, labels)
    raw = float(proba.max(axis=1).mean())  # what the uncalibrated scores promise
    assert raw - found["realised"]["accuracy"] > 0.05  # the model's own confidence is too high
    assert abs(found["estimated"]["accuracy"] - found["realised"]["accuracy"]) < 0.01
    assert any(c is not None for c in model.calibrators)


def test_dle_agrees_with_nannyml_and_with_the_labels() -> None:
    rng = np.random.default_rng(1)

    def data(n: int, low: float, high: float) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        x = rng.uniform(low, high, n)
        truth = 2 * x + rng.normal(0, 0.2 + x, n)
        return pd.DataFrame({"x": x}), 2 * x, truth

    model = fit_dle(*data(5000, 0, 2), ["x"])
    for (low, high), (mae, rmse) in NANNYML_DLE.items():
        frame, predictions, labels = data(3000, low, high)
        found = model.estimate(frame, predictions, labels)
        assert found["estimated"]["mae"] == pytest.approx(mae, rel=0.02), (low, high)
        assert found["estimated"]["rmse"] == pytest.approx(rmse, rel=0.02), (low, high)
        assert found["estimated"]["mae"] == pytest.approx(found["realised"]["mae"], rel=0.06)
        assert found["estimated"]["rmse"] == pytest.approx(found["realised"]["rmse"], rel=0.06)
