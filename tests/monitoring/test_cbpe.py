"""CBPE: label-free estimates against realised metrics and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

from workbench.errors import InvalidInputError
from workbench.monitoring import fit_cbpe
from workbench.monitoring.cbpe import expected_roc_auc, realised_metrics


def calibrated(n: int, seed: int, shift: float = 0.0):
    rng = np.random.default_rng(seed)
    z = rng.normal(shift, 1.5, n)
    p = 1 / (1 + np.exp(-z))
    y = rng.random(n) < p
    return p, y


def test_realised_metrics_match_sklearn():
    for seed in range(5):
        p, y = calibrated(500, seed)
        yhat = p >= 0.5
        got = realised_metrics(y, yhat, p)
        assert got["accuracy"] == pytest.approx(metrics.accuracy_score(y, yhat))
        assert got["precision"] == pytest.approx(metrics.precision_score(y, yhat))
        assert got["recall"] == pytest.approx(metrics.recall_score(y, yhat))
        assert got["f1"] == pytest.approx(metrics.f1_score(y, yhat))
        assert got["roc_auc"] == pytest.approx(metrics.roc_auc_score(y, p))


def test_estimates_track_realised_metrics_under_covariate_shift():
    p_ref, y_ref = calibrated(20_000, 0)
    model = fit_cbpe(p_ref, y_ref, calibration="none")
    for shift in (0.0, 1.0, -1.0):
        p, y = calibrated(20_000, 11 + int(shift * 10), shift)
        est = model.estimate(p, y)
        for name in ("accuracy", "precision", "recall", "f1", "roc_auc"):
            assert est.estimated[name] == pytest.approx(est.realised[name], abs=0.02), (shift, name)
        assert set(est.difference()) == {"accuracy", "precision", "recall", "f1", "roc_auc"}


def test_expected_auc_equals_auc_when_probabilities_are_labels():
    rng = np.random.default_rng(3)
    scores = rng.random(300)
    labels = (rng.random(300) < 0.4).astype(float)
    assert expected_roc_auc(scores, labels) == pytest.approx(metrics.roc_auc_score(labels, scores))
    tied = np.round(scores, 1)
    assert expected_roc_auc(tied, labels) == pytest.approx(metrics.roc_auc_score(labels, tied))


def test_auto_calibration_uses_isotonic_only_when_it_helps():
    p, y = calibrated(5_000, 4)
    assert fit_cbpe(p, y).calibration == "none"
    squashed = p**3  # badly calibrated scores
    model = fit_cbpe(squashed, y)
    assert model.calibration == "isotonic" and model.brier_calibrated < model.brier_raw
    p2, y2 = calibrated(5_000, 5)
    est = model.estimate(p2**3, y2)
    assert est.estimated["accuracy"] == pytest.approx(est.realised["accuracy"], abs=0.03)
    raw = fit_cbpe(squashed, y, calibration="none").estimate(p2**3, y2)
    assert abs(raw.estimated["accuracy"] - raw.realised["accuracy"]) > 0.05


def test_windows_and_bad_input():
    p, y = calibrated(1_000, 6)
    model = fit_cbpe(p, y)
    windows = model.estimate_windows(p, 300, y)
    assert [w.n_rows for w in windows] == [300, 300, 300, 100]
    assert [w.window for w in windows] == [0, 1, 2, 3]
    assert model.reference.realised["accuracy"] == pytest.approx(np.mean((p >= 0.5) == y))
    one = model.estimate([0.9])
    assert one.estimated["accuracy"] == pytest.approx(model.calibrate([0.9])[0])
    with pytest.raises(InvalidInputError, match="both classes"):
        fit_cbpe(p, np.ones_like(y))
    with pytest.raises(InvalidInputError, match="probabilities"):
        model.estimate([1.5])
    with pytest.raises(InvalidInputError, match="NaN"):
        model.estimate([np.nan, 0.2])
    with pytest.raises(InvalidInputError, match="0/1"):
        model.estimate([0.2, 0.3], [0, 2])
    with pytest.raises(InvalidInputError, match="labels for"):
        model.estimate([0.2, 0.3], [0])
