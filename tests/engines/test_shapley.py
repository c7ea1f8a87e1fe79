"""Shapley values (engines.runtime.shapley) against SHAP's own explainers and brute force."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest
import shap
from sklearn.ensemble import GradientBoostingRegressor, RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression

from workbench.engines.runtime import shapley
from workbench.engines.runtime.models import SklearnPredictor


def _data(d: int, n: int = 300, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(n, d)), columns=[f"f{i}" for i in range(d)])
    y = (x["f0"] + 0.5 * x["f1"] * x[f"f{min(2, d - 1)}"] - 0.3 * x[f"f{d - 1}"] + rng.normal(size=n) > 0)
    return x, y.astype(int).to_numpy()


def _predictor(model, x: pd.DataFrame, task: str = "classification") -> SklearnPredictor:
    classes = tuple(model.classes_.tolist()) if task == "classification" else ()
    return SklearnPredictor("sklearn", task, tuple(x.columns), classes, target="y", estimator=model)


def test_logistic_regression_matches_shap_linear_explainer_in_log_odds() -> None:
    x, y = _data(5)
    model = LogisticRegression().fit(x, y)
    background, rows = x.tail(60), x.head(40)
    found = shapley.explain(_predictor(model, x), rows, background)
    assert found.outputs == ("log-odds of 1",) and found.method.startswith("exact (additive")
    peer = shap.LinearExplainer(model, background)
    np.testing.assert_allclose(found.values[:, :, 0], peer.shap_values(rows), atol=1e-10)
    assert found.base[0] == pytest.approx(float(np.ravel(peer.expected_value)[0]), abs=1e-10)
    # coef × (x − background mean), and additivity in the log-odds space
    np.testing.assert_allclose(found.values[:, :, 0], shapley.linear_values(model.coef_[0], rows, background), atol=1e-10)
    np.testing.assert_allclose(found.values.sum(axis=(1, 2)) + found.base[0], model.decision_function(rows), atol=1e-10)


def test_linear_regression_behind_one_hot_encoding_is_exact_per_raw_column() -> None:
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(3)
    x = pd.DataFrame({"size": rng.normal(size=200), "colour": rng.choice(["red", "green", "blue"], 200),
                      "age": rng.normal(size=200)})
    y = 2 * x["size"] + (x["colour"] == "red") * 3.0 - x["age"] + rng.normal(size=200) * 0.1
    model = Pipeline([("encode", ColumnTransformer([("onehot", OneHotEncoder(handle_unknown="ignore"), ["colour"])],
                                                   remainder="passthrough", verbose_feature_names_out=False)),
                      ("estimator", LinearRegression())]).fit(x, y)
    predictor = _predictor(model, x, "regression")
    found = shapley.explain(predictor, x.head(25), x.tail(40))
    assert found.method.startswith("exact (additive")
    brute, base = shapley.exact_values(lambda df: model.predict(df).reshape(-1, 1), x.head(25), x.tail(40))
    np.testing.assert_allclose(found.values, brute, atol=1e-9)
    assert found.base == pytest.approx(base)
    top = found.summary()[0]
    assert top.feature in ("size", "colour")


def test_forest_with_few_features_is_exact_as_shap_exact_explainer() -> None:
    x, y = _data(4)
    model = RandomForestClassifier(n_estimators=30, random_state=0).fit(x, y)
    background, rows = x.tail(30), x.head(15)
    found = shapley.explain(_predictor(model, x), rows, background)
    assert found.method.startswith("exact (all 16")

    def f(data):
        return model.predict_proba(pd.DataFrame(data, columns=x.columns))[:, 1]

    peer = shap.ExactExplainer(f, shap.maskers.Independent(background, max_samples=len(background)))(rows)
    np.testing.assert_allclose(found.values[:, :, 0], peer.values, atol=1e-10)


def test_permutation_sampling_is_additive_and_close_to_brute_force_and_kernel_shap() -> None:
    x, y = _data(9)
    model = RandomForestClassifier(n_estimators=40, random_state=0).fit(x, y)
    background, rows = x.tail(25), x.head(12)
    predictor = _predictor(model, x)
    found = shapley.explain(predictor, rows, background, n_permutations=30, seed=1)
    assert found.method.startswith("permutation sampling (30 orderings")

    def f(df):
        return model.predict_proba(df)[:, 1:2]

    # additivity: exact for every row whatever the sampling
    np.testing.assert_allclose(found.values.sum(axis=1)[:, 0] + found.base[0], f(rows)[:, 0], atol=1e-12)
    brute, base = shapley.exact_values(f, rows, background)
    assert found.base == pytest.approx(base)
    error = np.abs(found.values - brute)
    assert error.max() < 0.05 and error.mean() < 0.01, (error.max(), error.mean())
    kernel = shap.KernelExplainer(lambda a: model.predict_proba(pd.DataFrame(a, columns=x.columns))[:, 1], background)
    peer = kernel.shap_values(rows, nsamples=2000, silent=True)
    assert np.abs(found.values[:, :, 0] - peer).max() < 0.06
    # seeded: the same seed gives the same values, another seed other ones (sampling is real)
    again = shapley.explain(predictor, rows, background, n_permutations=30, seed=1)
    np.testing.assert_array_equal(again.values, found.values)
    other = shapley.explain(predictor, rows, background, n_permutations=30, seed=2)
    assert not np.array_equal(other.values, found.values)


def test_multiclass_gives_one_additive_output_per_class_and_regressors_their_prediction() -> None:
    rng = np.random.default_rng(5)
    x = pd.DataFrame(rng.normal(size=(240, 6)), columns=list("abcdef"))
    y = np.where(x["a"] > 0.5, "high", np.where(x["b"] < -0.3, "low", "mid"))
    model = RandomForestClassifier(n_estimators=20, random_state=0).fit(x, y)
    found = shapley.explain(_predictor(model, x), x.head(10), x.tail(20), n_permutations=6)
    assert found.outputs == tuple(f"probability of {c!r}" for c in model.classes_.tolist())
    np.testing.assert_allclose(found.values.sum(axis=1) + found.base, model.predict_proba(x.head(10)), atol=1e-12)
    assert {s.feature for s in found.summary()[:2]} == {"a", "b"}
    target = x["a"] * 3 + x["c"] ** 2
    regressor = GradientBoostingRegressor(random_state=0).fit(x, target)
    found = shapley.explain(_predictor(regressor, x, "regression"), x.head(10), x.tail(20), n_permutations=6)
    np.testing.assert_allclose(found.values.sum(axis=1)[:, 0] + found.base[0], regressor.predict(x.head(10)), atol=1e-9)
    summary = {s.feature: s for s in found.summary()}
    assert summary["a"].direction > 0.9  # a higher 'a' raises the prediction


def test_torch_network_is_explained_model_agnostically_and_additively(tmp_path) -> None:
    import torch

    from workbench.engines.runtime.models import TorchPredictor

    torch.manual_seed(0)
    network = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2)).eval()
    x, _ = _data(6)
    predictor = TorchPredictor("torch", "classification", tuple(x.columns), (0, 1), network=network,
                               manifest={"output": "logits"})
    found = shapley.explain(predictor, x.head(8), x.tail(20), n_permutations=8)
    assert found.method.startswith("permutation sampling")
    probabilities = predictor.proba_matrix(x.head(8))
    assert probabilities is not None
    np.testing.assert_allclose(found.values.sum(axis=1)[:, 0] + found.base[0], probabilities[:, 1], atol=1e-5)


def test_a_deadline_stops_the_work_naming_what_to_reduce() -> None:
    x, y = _data(8)
    model = RandomForestClassifier(n_estimators=10, random_state=0).fit(x, y)
    with pytest.raises(shapley.ExplanationTooSlow, match="took too long") as caught:
        shapley.explain(_predictor(model, x), x.head(64), x.tail(30), chunk=4, deadline=time.monotonic() - 1)
    assert "fewer rows" in (caught.value.hint or "")


def test_rows_missing_a_feature_are_refused_with_the_column_named() -> None:
    from workbench.errors import InvalidInputError

    x, y = _data(3)
    model = LogisticRegression().fit(x, y)
    with pytest.raises(InvalidInputError, match="f2"):
        shapley.explain(_predictor(model, x), x.drop(columns=["f2"]).head(3), x.tail(5))


def test_a_linear_model_can_be_explained_in_probabilities_to_compare_with_other_models() -> None:
    x, y = _data(5)
    model = LogisticRegression().fit(x, y)
    found = shapley.explain(_predictor(model, x), x.head(10), x.tail(30), additive=False)
    assert found.outputs == ("probability of 1",) and not found.method.startswith("exact (additive")
    np.testing.assert_allclose(found.values.sum(axis=1)[:, 0] + found.base[0], model.predict_proba(x.head(10))[:, 1],
                               atol=1e-12)
