"""Fairness per group against Fairlearn's MetricFrame on the same data: the same per-group
selection rate, TPR, FPR, precision and accuracy, demographic-parity ratio and equalized-odds
difference; intervals that hold the point value."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.monitoring.fairness import group_report


def test_group_metrics_match_fairlearn() -> None:
    from fairlearn.metrics import (
        MetricFrame,
        demographic_parity_ratio,
        equalized_odds_difference,
        false_positive_rate,
        selection_rate,
        true_positive_rate,
    )
    from sklearn.metrics import accuracy_score, precision_score

    rng = np.random.default_rng(7)
    n = 3000
    groups = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    y_true = rng.integers(0, 2, size=n)
    bias = np.where(groups == "a", 0.15, np.where(groups == "b", -0.1, 0.0))
    y_pred = (rng.random(n) < 0.45 + bias + 0.2 * y_true).astype(int)

    ours = group_report(y_true, y_pred, groups, positive=1, n_boot=100, seed=1)
    frame = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                                 "fpr": false_positive_rate, "precision": precision_score,
                                 "accuracy": accuracy_score},
                        y_true=y_true, y_pred=y_pred, sensitive_features=groups)
    for group in ("a", "b", "c"):
        for metric in ("selection_rate", "tpr", "fpr", "precision", "accuracy"):
            assert ours["groups"][group][metric]["value"] == pytest.approx(frame.by_group.loc[group, metric])
            cell = ours["groups"][group][metric]
            assert cell["low"] <= cell["value"] <= cell["high"]
    assert ours["demographic_parity_ratio"] == pytest.approx(
        demographic_parity_ratio(y_true, y_pred, sensitive_features=groups))
    assert ours["equalized_odds_difference"] == pytest.approx(
        equalized_odds_difference(y_true, y_pred, sensitive_features=groups))
    assert ours["between"]["accuracy"]["difference"] == pytest.approx(
        frame.difference(method="between_groups")["accuracy"])


def test_a_group_without_positives_has_no_tpr() -> None:
    report = group_report([0, 0, 1, 1], [0, 1, 1, 0], ["x", "x", "y", "y"], positive=1, n_boot=0)
    assert report["groups"]["x"]["tpr"]["value"] is None and report["groups"]["y"]["tpr"]["value"] == 0.5
    assert report["between"]["tpr"] == {"difference": None, "ratio": None}
