"""Canary / champion-challenger comparison against scikit-learn and statsmodels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.contingency_tables import mcnemar

from workbench.errors import InvalidInputError
from workbench.monitoring import cohen_kappa, compare_predictions, mcnemar_test
from workbench.monitoring.canary import histogram_rmse


def scores(n: int, seed: int, noise: float):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    champion = 1 / (1 + np.exp(-x))
    challenger = np.clip(champion + rng.normal(0, noise, n), 0, 1)
    labels = (rng.random(n) < champion).astype(int)
    return x, champion, challenger, labels


@pytest.mark.parametrize("seed", range(8))
def test_kappa_matches_sklearn(seed):
    rng = np.random.default_rng(seed)
    k = int(rng.integers(2, 5))
    a = rng.integers(0, k, 300)
    b = np.where(rng.random(300) < 0.7, a, rng.integers(0, k, 300))
    table = pd.crosstab(a, b).reindex(index=range(k), columns=range(k), fill_value=0).to_numpy()
    assert cohen_kappa(table) == pytest.approx(cohen_kappa_score(a, b))
    result = compare_predictions(a.astype(str), b.astype(str))
    assert result.kappa == pytest.approx(cohen_kappa_score(a, b))
    assert result.agreement == pytest.approx(np.mean(a == b))


@pytest.mark.parametrize(("b", "c"), [(0, 0), (3, 9), (10, 14), (30, 12), (200, 260)])
def test_mcnemar_matches_statsmodels(b, c):
    champion = np.r_[np.ones(b), np.zeros(c), np.ones(50), np.zeros(20)].astype(bool)
    challenger = np.r_[np.zeros(b), np.ones(c), np.ones(50), np.zeros(20)].astype(bool)
    got = mcnemar_test(champion, challenger)
    table = [[50, b], [c, 20]]
    exact = b + c < 25
    expected = mcnemar(table, exact=exact, correction=True)
    assert got.exact == exact and (got.champion_only_correct, got.challenger_only_correct) == (b, c)
    if b + c:
        assert got.statistic == pytest.approx(expected.statistic)
        assert got.p_value == pytest.approx(expected.pvalue)
    else:
        assert got.p_value == 1.0


def test_scores_comparison_with_intervals_and_verdict():
    _, champion, challenger, labels = scores(5_000, 1, 0.02)
    result = compare_predictions(champion, challenger, labels, seed=3)
    assert result.kind == "scores" and result.metric == "agreement"
    assert result.agreement == pytest.approx(np.mean((champion >= 0.5) == (challenger >= 0.5)))
    assert result.agreement_ci.low <= result.agreement <= result.agreement_ci.high
    diff = np.abs(champion - challenger)
    assert result.mean_abs_diff == pytest.approx(diff.mean())
    assert result.mean_abs_diff_ci.low < diff.mean() < result.mean_abs_diff_ci.high
    se = diff.std() / np.sqrt(diff.size)
    assert result.mean_abs_diff_ci.high - result.mean_abs_diff_ci.low == pytest.approx(
        2 * 1.96 * se, rel=0.15
    )
    assert result.share_above_tolerance == pytest.approx(np.mean(diff > 0.1))
    assert not result.divergent and result.valid
    assert result.mcnemar is not None and result.champion_accuracy == pytest.approx(
        np.mean((champion >= 0.5) == labels)
    )
    noisy = compare_predictions(champion, scores(5_000, 1, 0.3)[2], labels)
    assert noisy.divergent and noisy.agreement < 0.95
    by_rmse = compare_predictions(champion, challenger, metric="histogram_rmse", threshold=1e-6)
    assert by_rmse.divergent and by_rmse.value == by_rmse.histogram_rmse


def test_histogram_rmse_definition():
    a = np.array([0.0, 0.0, 1.0, 1.0])
    b = np.array([0.0, 1.0, 1.0, 1.0])
    p = np.array([0.5] + [0] * 8 + [0.5])
    q = np.array([0.25] + [0] * 8 + [0.75])
    assert histogram_rmse(a, b) == pytest.approx(np.sqrt(np.sum((p - q) ** 2)))
    assert histogram_rmse(a, a) == 0.0
    same = compare_predictions(np.full(10, 0.3), np.full(10, 0.3))
    assert same.histogram_rmse == 0.0 and same.ks == 0.0


def test_regression_scores_have_no_labels_and_use_the_histogram_score():
    rng = np.random.default_rng(4)
    a = rng.normal(100, 10, 2_000)
    result = compare_predictions(a, a + rng.normal(0, 1, 2_000))
    assert result.agreement is None and result.metric == "histogram_rmse"
    assert result.ks_p_value > 0.01 and not result.divergent
    assert compare_predictions(a, a, [1] * 2000).notes  # labels without classes


def test_traffic_check_flags_an_invalid_comparison():
    x, champion, challenger, _ = scores(2_000, 5, 0.01)
    features = pd.DataFrame({"x": x})
    ok = compare_predictions(
        champion,
        challenger,
        champion_features=features,
        challenger_features=features.sample(frac=1, random_state=1),
    )
    assert ok.valid and ok.traffic.valid and ok.traffic.n_checked == 1
    other = pd.DataFrame({"x": x + 1.0})
    bad = compare_predictions(
        champion, challenger, champion_features=features, challenger_features=other
    )
    assert not bad.valid and bad.traffic.drifted_columns == ("x",)
    assert any("same traffic" in note for note in bad.notes)


def test_missing_predictions_are_dropped_and_bad_input_rejected():
    a = np.array([0.1, np.nan, 0.8, 0.7])
    b = np.array([0.2, 0.4, None, 0.9], dtype=object)
    result = compare_predictions(a, b)
    assert result.n == 2 and result.n_dropped == 2
    with pytest.raises(InvalidInputError, match="same inputs"):
        compare_predictions([0.1, 0.2], [0.1])
    with pytest.raises(InvalidInputError, match="no row"):
        compare_predictions([np.nan], [0.3])
    with pytest.raises(InvalidInputError, match="unknown canary metric"):
        compare_predictions([0.1, 0.9], [0.2, 0.8], metric="vibes")
    with pytest.raises(InvalidInputError, match="does not apply"):
        compare_predictions(["a", "b"], ["a", "a"], metric="mean_abs_diff")


def test_bootstrap_for_huge_inputs_stays_bounded():
    rng = np.random.default_rng(6)
    a = rng.random(300_000)
    b = np.clip(a + rng.normal(0, 0.05, a.size), 0, 1)
    result = compare_predictions(a, b, n_boot=200)
    diff = np.abs(a - b)
    se = diff.std() / np.sqrt(diff.size)
    width = result.mean_abs_diff_ci.high - result.mean_abs_diff_ci.low
    assert width == pytest.approx(2 * 1.96 * se, rel=0.3)
