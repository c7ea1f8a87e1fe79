"""train_sklearn, evaluate, ensemble and the shared train/test split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.conftest import LOGREG
from tests.engines.support import Chain, Step
from workbench.engines.runtime.split import split_mask
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError


def events(text: str) -> list[dict]:
    return [json.loads(line.split(" ", 1)[1]) for line in text.splitlines()
            if line.startswith("@@workbench ")]


# ---------------------------------------------------------------------- split
def test_split_is_deterministic_about_a_fifth_and_stable_per_row() -> None:
    ids = np.arange(100_000, dtype=np.int64)
    mask = split_mask(ids)
    assert mask.dtype == bool and mask.shape == ids.shape
    assert np.array_equal(mask, split_mask(ids.copy()))
    assert 0.19 < mask.mean() < 0.21
    assert np.array_equal(split_mask(ids[5000:6000]), mask[5000:6000])  # a row keeps its side
    assert np.array_equal(split_mask(ids[::-1]), mask[::-1])
    other = split_mask(ids, seed=1)
    assert 0.19 < other.mean() < 0.21 and not np.array_equal(other, mask)
    assert 0.45 < split_mask(ids, test_fraction=0.5).mean() < 0.55
    assert not split_mask(ids, test_fraction=0.0).any()


def test_split_rejects_non_integer_ids() -> None:
    with pytest.raises(InvalidInputError):
        split_mask(np.array([0.5, 1.5]))


# ---------------------------------------------------------------------- train_sklearn
def test_logistic_regression_beats_ninety_percent_on_hold_out(logreg: Step,
                                                              cancer: Step) -> None:
    metrics = logreg.result["metrics"]
    assert metrics["accuracy"] > 0.9 and metrics["roc_auc"] > 0.95
    n_test = int(split_mask(np.arange(569)).sum())
    assert metrics["n_test"] == n_test and metrics["n_train"] == 569 - n_test
    assert "train_accuracy" in metrics
    model = logreg.result["outputs"]["model"][0]
    assert model["file"] == "model.skops" and model["kind"] == "model"
    meta = model["meta"]
    assert meta["framework"] == "sklearn" and meta["format"] == "skops"
    assert meta["task"] == "classification"
    assert meta["classes"] == [0, 1] and meta["target"] == "target"
    assert meta["model_name"] == "bc_logreg" and len(meta["features"]) == 30
    assert meta["data_sha256"] == cancer.out("data")["sha256"]
    written = json.loads(logreg.file("metrics").read_text())
    assert written["accuracy"] == metrics["accuracy"]
    assert written["confusion_matrix"]["labels"] == [0, 1]
    assert logreg.result["info"]["device"] == "cpu" and logreg.result["info"]["gpu"] is None


def test_train_sklearn_streams_train_and_validation_scores(chain: Chain, cancer: Step,
                                                           capsys: pytest.CaptureFixture) -> None:
    chain.run("tree", "train_sklearn",
              {"estimator": "sklearn.tree.DecisionTreeClassifier",
               "estimator_params": {"max_depth": 3}}, {"data": [cancer.out("data")]})
    names = {e["metric"] for e in events(capsys.readouterr().out) if "metric" in e}
    assert {"train_accuracy", "validation_accuracy"} <= names


def test_regression_on_diabetes(chain: Chain) -> None:
    data = chain.run("diabetes", "data_source", {"builtin": "diabetes"})
    step = chain.run("ridge", "train_sklearn", {"estimator": "sklearn.linear_model.Ridge"},
                     {"data": [data.out("data")]})
    assert step.result["outputs"]["model"][0]["meta"]["task"] == "regression"
    assert step.result["metrics"]["r2"] > 0.3
    assert {"rmse", "mae", "train_r2"} <= set(step.result["metrics"])


def test_text_features_are_one_hot_encoded_inside_the_model(chain: Chain,
                                                            tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    colour = rng.choice(["red", "green", "blue"], size=300)
    frame = pd.DataFrame({"colour": colour, "x": rng.normal(size=300),
                          "label": (colour == "red").astype(int)})
    frame.to_csv(tmp_path / "c.csv", index=False)
    data = chain.run("colours", "data_source",
                     {"format": "csv", "path": str(tmp_path / "c.csv"), "target": "label"})
    step = chain.run("fit_colours", "train_sklearn", {}, {"data": [data.out("data")]})
    assert step.result["metrics"]["accuracy"] == 1.0
    assert step.result["outputs"]["model"][0]["meta"]["features"] == ["colour", "x"]


@pytest.mark.parametrize(("path", "why"), [
    ("sklearn.linear_model.NoSuchModel", "has no 'NoSuchModel'"),
    ("sklearn.no_such_module.Model", "scikit-learn has no module 'sklearn.no_such_module'"),
    ("no_such_package.Model", "is not allowed"),
    ("os.path.join", "is not allowed"),
    ("sklearn.utils.Bunch", "not a scikit-learn estimator with fit() and predict()"),
    ("LogisticRegression", "not an import path"),
])
def test_bad_estimator_path_is_named(chain: Chain, cancer: Step, path: str, why: str) -> None:
    spec = chain.spec("fit", "train_sklearn", {"estimator": path},
                      {"data": [cancer.out("data")]})
    with pytest.raises(InvalidInputError) as caught:
        run_spec(spec)
    assert "node 'fit'" in str(caught.value) and path in str(caught.value)
    assert why in str(caught.value)


def test_bad_estimator_params_are_named(chain: Chain, cancer: Step) -> None:
    with pytest.raises(InvalidInputError, match="node 'fit'.*rejects estimator_params"):
        run_spec(chain.spec("fit", "train_sklearn", {"estimator_params": {"bogus": 1}},
                            {"data": [cancer.out("data")]}))


def test_training_without_data_input_is_named(chain: Chain) -> None:
    with pytest.raises(InvalidInputError, match="node 'fit'.*input port 'data'"):
        run_spec(chain.spec("fit", "train_sklearn", LOGREG))


def test_training_data_without_its_target_is_named(chain: Chain, cancer: Step) -> None:
    data = dict(cancer.out("data"), meta={**cancer.out("data")["meta"], "target": "label"})
    with pytest.raises(InvalidInputError, match="node 'fit'.*no target column 'label'"):
        run_spec(chain.spec("fit", "train_sklearn", LOGREG, {"data": [data]}))


# ---------------------------------------------------------------------- evaluate
def test_evaluate_scores_the_test_rows_of_the_training_data(chain: Chain, cancer: Step,
                                                           logreg: Step) -> None:
    step = chain.run("eval", "evaluate", {},
                     {"model": [logreg.out("model")], "data": [cancer.out("data")]})
    metrics = step.result["metrics"]
    assert metrics["accuracy"] == pytest.approx(logreg.result["metrics"]["accuracy"])
    assert metrics["n_rows"] == logreg.result["metrics"]["n_test"]
    written = json.loads(step.file("metrics").read_text())
    assert written["split"] == "test"
    matrix = np.array(written["confusion_matrix"]["matrix"])
    assert matrix.sum() == metrics["n_rows"]
    assert {"precision", "recall", "f1", "roc_auc", "log_loss"} <= set(metrics)


def test_evaluate_uses_the_models_split_whatever_the_run_seed(chain: Chain, cancer: Step,
                                                               logreg: Step) -> None:
    step = chain.run("eval_seed", "evaluate", {},
                     {"model": [logreg.out("model")], "data": [cancer.out("data")]},
                     options={"seed": 7})
    assert logreg.out("model")["meta"]["split"] == {"test_fraction": 0.2, "seed": 0}
    assert step.result["metrics"]["accuracy"] == pytest.approx(
        logreg.result["metrics"]["accuracy"])


def test_evaluate_scores_every_row_of_other_data(chain: Chain, logreg: Step,
                                                 cancer: Step, tmp_path: Path) -> None:
    frame = pd.read_parquet(cancer.file("data")).drop(columns=["row_id"]).iloc[:100]
    frame.to_csv(tmp_path / "other.csv", index=False)
    other = chain.run("other", "data_source", {"format": "csv",
                                               "path": str(tmp_path / "other.csv")})
    step = chain.run("eval_other", "evaluate", {},
                     {"model": [logreg.out("model")], "data": [other.out("data")]})
    assert step.result["metrics"]["n_rows"] == 100
    assert json.loads(step.file("metrics").read_text())["split"] == "all"


# ---------------------------------------------------------------------- ensemble
def test_ensemble_manifest_lists_verified_members(chain: Chain, logreg: Step,
                                                  mlp: Step) -> None:
    step = chain.run("ens", "ensemble", {"method": "soft_vote"},
                     {"models": [logreg.out("model"), mlp.out("model")]})
    manifest = json.loads(step.file("model").read_text())
    assert manifest["method"] == "soft_vote" and manifest["task"] == "classification"
    assert [m["sha256"] for m in manifest["members"]] == [
        logreg.out("model")["sha256"], mlp.out("model")["sha256"]]
    assert manifest["members"][1]["meta"]["framework"] == "torch"
    meta = step.result["outputs"]["model"][0]["meta"]
    assert meta["framework"] == "ensemble" and meta["classes"] == [0, 1]
    evaluated = chain.run("eval_ens", "evaluate", {},
                          {"model": [step.out("model")], "data": [chain_data(chain)]})
    assert evaluated.result["metrics"]["accuracy"] > 0.9


def chain_data(chain: Chain) -> dict:
    return chain.run("data_for_ens", "data_source", {}).out("data")


def test_ensemble_members_must_agree_on_the_task(chain: Chain, logreg: Step) -> None:
    data = chain.run("diabetes2", "data_source", {"builtin": "diabetes"})
    ridge = chain.run("ridge2", "train_sklearn", {"estimator": "sklearn.linear_model.Ridge"},
                      {"data": [data.out("data")]})
    with pytest.raises(InvalidInputError, match="node 'ens'.*disagree on the task"):
        run_spec(chain.spec("ens", "ensemble", {},
                            {"models": [logreg.out("model"), ridge.out("model")]}))


def test_evaluate_measures_fairness_over_sensitive_features(chain: Chain, cancer: Step, logreg: Step,
                                                           tmp_path: Path) -> None:
    """Issue 17: ``sensitive_features`` on evaluate gives per-group metrics with intervals and the
    demographic-parity ratio, as Fairlearn's definitions have them."""
    from fairlearn.metrics import demographic_parity_ratio

    frame = pd.read_parquet(cancer.file("data"))
    frame["band"] = np.where(frame["mean radius"] > frame["mean radius"].median(), "large", "small")
    csv = tmp_path / "banded.csv"
    frame.drop(columns=["row_id"]).to_csv(csv, index=False)
    data = chain.run("banded", "data_source", {"format": "csv", "path": str(csv), "target": "target"})
    step = chain.run("eval_fair", "evaluate", {"sensitive_features": ["band"]},
                     {"model": [logreg.out("model")], "data": [data.out("data")]})
    written = json.loads(step.file("metrics").read_text())
    report = written["fairness"]["band"]
    assert set(report["groups"]) == {"large", "small"}
    for group in report["groups"].values():
        cell = group["selection_rate"]
        assert cell["low"] <= cell["value"] <= cell["high"]
    from workbench.engines.runtime.models import load_model

    model = logreg.out("model")
    predictor = load_model(model["path"], model["sha256"], model["meta"])
    scored = pd.read_parquet(data.file("data"))
    expected = demographic_parity_ratio(scored["target"], predictor.predict(scored),
                                        sensitive_features=scored["band"])
    assert report["demographic_parity_ratio"] == pytest.approx(expected)
    assert step.result["metrics"]["parity_ratio[band]"] == pytest.approx(expected)

    with pytest.raises(InvalidInputError, match="node 'eval_bad'.*no column 'sex'"):
        run_spec(chain.spec("eval_bad", "evaluate", {"sensitive_features": ["sex"]},
                            {"model": [logreg.out("model")], "data": [data.out("data")]}))
