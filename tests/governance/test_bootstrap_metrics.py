"""The model card's bootstrap intervals count with numpy; they must be what scikit-learn's metric
functions give on the same drawn rows (the reference below draws as the card does)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score

from workbench.governance.model_card import bootstrap_metrics


def _with_sklearn(y_true: np.ndarray, y_pred: np.ndarray, scores: np.ndarray | None,
                  rounds: int = 300, seed: int = 0) -> dict[str, tuple[float, float, float]]:
    y_true, y_pred = y_true.astype(str), y_pred.astype(str)
    labels = sorted(set(y_true))
    binary = len(labels) == 2

    def measures(index: np.ndarray) -> dict[str, float]:
        t, p = y_true[index], y_pred[index]
        out = {"accuracy": accuracy_score(t, p)}
        if binary:
            out["f1"] = f1_score(t, p, pos_label=labels[-1], zero_division=0)
            if scores is not None and len(set(t)) == 2:
                out["roc_auc"] = roc_auc_score(t == labels[-1], scores[index])
        return out

    rows = np.arange(len(y_true))
    point, rng = measures(rows), np.random.default_rng(seed)
    drawn = [measures(rng.choice(rows, size=len(rows), replace=True)) for _ in range(rounds)]
    return {k: (point[k], np.percentile([d[k] for d in drawn if k in d], 2.5),
                np.percentile([d[k] for d in drawn if k in d], 97.5)) for k in point}


@pytest.mark.parametrize(("rows", "labels"), [(400, ["no", "yes"]), (60, [0, 1]), (9, [0, 1]),
                                              (200, ["a", "b", "c"])])
def test_the_intervals_are_scikit_learns(rows: int, labels: list) -> None:
    rng = np.random.default_rng(rows)
    y_true = rng.choice(labels, rows)
    y_pred = np.where(rng.random(rows) < 0.75, y_true, rng.choice(labels, rows))
    scores = np.round(rng.random(rows) + 0.4 * (y_true == labels[-1]), 2)  # ties, as real scores have
    for given in (scores, None):
        ours, theirs = bootstrap_metrics(y_true, y_pred, given), _with_sklearn(y_true, y_pred, given)
        assert ours.keys() == theirs.keys()
        assert ("roc_auc" in ours) == (given is not None and len(labels) == 2)
        for name, figures in ours.items():
            assert figures == pytest.approx(theirs[name], abs=1e-12), name
