"""The Spark engine on local[2]: data sources read by Spark (CSV, Parquet, a table), Spark
MLlib training and scoring, mapInPandas inference equal to the local engine's, and cancel."""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.spark.conftest import SparkChain, wait_for
from tests.engines.support import Chain
from workbench.engines.runtime.artifacts import read_dataset, read_table
from workbench.engines.runtime.models import load_model
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError, UnusableInputError


def _labelled(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                          "x3": rng.uniform(0, 5, size=n)})
    frame["target"] = ((frame.x1 + 0.5 * frame.x2 - 0.2 * frame.x3 + rng.normal(0, 0.5, n))
                       > -0.5).astype(np.int64)
    return frame


def test_data_sources_csv_parquet_and_table(on_spark: SparkChain, tmp_path: Path) -> None:
    frame = _labelled(300)
    csv = tmp_path / "train.csv"
    frame.to_csv(csv, index=False)
    step = on_spark.run("src_csv", "data_source", {"format": "csv", "path": str(csv)})
    out = step.result["outputs"]["data"][0]
    assert out["kind"] == "dataset" and out["file"] == "data.json"
    meta = out["meta"]
    assert meta["format"] == "spark-parquet" and meta["rows"] == 300 and meta["target"] == "target"
    assert meta["source_sha256"] == hashlib.sha256(csv.read_bytes()).hexdigest()
    assert step.result["info"]["device"] == "spark" and step.result["info"]["spark"]["master"] == "local[2]"
    read = read_dataset(Path(step.out("data")["path"]), "test")  # the runtime reads the manifest
    assert read["row_id"].tolist() == list(range(300))
    pd.testing.assert_frame_equal(read.drop(columns="row_id"), frame, check_dtype=False)

    own_ids = frame.assign(row_id=np.arange(1000, 1300))
    pq = tmp_path / "train.parquet"
    own_ids.to_parquet(pq, index=False)
    parquet = on_spark.run("src_pq", "data_source", {"format": "parquet", "path": str(pq)})
    again = read_dataset(Path(parquet.out("data")["path"]), "test")
    assert again["row_id"].tolist() == list(range(1000, 1300))

    table = on_spark.run("src_table", "data_source", {"format": "table", "query": "sales",
                                                      "target": "label"})
    rows = read_dataset(Path(table.out("data")["path"]), "test")
    assert rows["amount"].tolist() == [10.0, 20.5, 31.0] and rows["row_id"].tolist() == [0, 1, 2]
    assert table.result["outputs"]["data"][0]["meta"]["source"] == "table:sales"

    spec, missing = on_spark.launch("src_bad", "data_source", {"format": "csv", "path": str(
        tmp_path / "nope.csv")})
    assert not missing.ok and "does not exist" in missing.describe_failure()


def test_train_spark_trains_mllib_and_scores_on_spark(on_spark: SparkChain, tmp_path: Path) -> None:
    csv = tmp_path / "big.csv"
    _labelled(4000, seed=1).to_csv(csv, index=False)
    data = on_spark.run("mllib_data", "data_source", {"format": "csv", "path": str(csv)})
    trained = on_spark.run("mllib_train", "train_spark", {"algorithm": "logistic_regression",
                                                          "max_iter": 50, "model_name": "lr"},
                           {"data": [data.out("data")]})
    model = trained.result["outputs"]["model"][0]
    assert model["file"] == "model.zip" and model["meta"]["framework"] == "spark_ml"
    assert model["meta"]["classes"] == [0, 1] and model["meta"]["features"] == ["x1", "x2", "x3"]
    metrics = trained.result["metrics"]
    assert metrics["accuracy"] > 0.75 and 0.5 < metrics["roc_auc"] <= 1.0
    assert metrics["n_test"] + metrics["n_train"] == 4000 and 600 < metrics["n_test"] < 1000
    assert {"precision", "recall", "f1", "log_loss", "train_accuracy"} <= set(metrics)

    scored = on_spark.run("mllib_score", "inference", {}, {"data": [data.out("data")],
                                                          "model": [trained.out("model")]})
    predictions = read_table(Path(scored.out("predictions")["path"]), "test")
    assert len(predictions) == 4000 and set(predictions["prediction"].unique()) <= {0, 1}
    assert predictions["score"].between(0, 1).all()
    truth = _labelled(4000, seed=1)["target"].to_numpy()
    assert (predictions.sort_values("row_id")["prediction"].to_numpy() == truth).mean() > 0.75
    assert len(scored.result["records"]["prediction_windows"]) == 8

    with pytest.raises(UnusableInputError, match="spark_ml.*only on a Spark target"):
        load_model(trained.out("model")["path"], trained.out("model")["sha256"], model["meta"])
    local = Chain(tmp_path / "local")
    with pytest.raises(InvalidInputError, match="train_spark.*only on a Spark target"):
        run_spec(local.spec("t", "train_spark", {}, {"data": [data.out("data")]}))


def test_inference_with_map_in_pandas_equals_the_local_engine(on_spark: SparkChain,
                                                              local_chain: Chain) -> None:
    data = local_chain.run("bc", "data_source", {"format": "builtin", "builtin": "breast_cancer"})
    model = local_chain.run("bc_lr", "train_sklearn", {
        "estimator": "sklearn.linear_model.LogisticRegression",
        "estimator_params": {"max_iter": 5000}}, {"data": [data.out("data")]})
    inputs = {"data": [data.out("data")], "model": [model.out("model")]}
    local = local_chain.run("bc_score_local", "inference", {}, inputs)
    spark = on_spark.run("bc_score_spark", "inference", {}, inputs)
    assert spark.result["outputs"]["predictions"][0]["file"] == "predictions.parquet"
    mine, theirs = pd.read_parquet(spark.file("predictions")), pd.read_parquet(local.file("predictions"))
    pd.testing.assert_frame_equal(mine, theirs, check_exact=False, rtol=1e-12)
    ours_w = spark.result["records"]["prediction_windows"]
    theirs_w = local.result["records"]["prediction_windows"]
    assert len(ours_w) == len(theirs_w) == 2
    for a, b in zip(ours_w, theirs_w, strict=True):
        assert a["count"] == b["count"]
        assert a["summary"]["score_histogram"] == b["summary"]["score_histogram"]
        assert a["summary"]["class_rates"] == b["summary"]["class_rates"]
        assert a["summary"]["score_mean"] == pytest.approx(b["summary"]["score_mean"], rel=1e-12)
        assert a["summary"]["features"].keys() == b["summary"]["features"].keys()
        for name, stats in b["summary"]["features"].items():
            for key, value in stats.items():
                assert a["summary"]["features"][name][key] == pytest.approx(value, rel=1e-9), (name, key)
    for key in ("rows", "windows", "positive_rate"):
        assert spark.result["metrics"][key] == local.result["metrics"][key]
    assert spark.result["metrics"]["score_mean"] == pytest.approx(local.result["metrics"]["score_mean"])
    assert any("broadcast the sklearn model" in line for _, line in on_spark.lines)
    _, refused = on_spark.launch("bc_score_expect", "inference",
                                 {"expectations": {"columns": {"mean radius": {"max": 15}}}}, inputs)
    assert not refused.ok and "'expectations'" in refused.describe_failure()
    assert "local and SSH targets only" in refused.describe_failure()

    distributed = on_spark.run("bc_spark_data", "data_source", {
        "format": "parquet", "path": str(data.file("data"))})
    spread = on_spark.run("bc_score_spread", "inference", {}, {
        "data": [distributed.out("data")], "model": [model.out("model")]})
    assert spread.result["outputs"]["predictions"][0]["meta"]["format"] == "spark-parquet"
    rows = read_table(Path(spread.out("predictions")["path"]), "test").sort_values("row_id")
    pd.testing.assert_frame_equal(rows.reset_index(drop=True)[["row_id", "prediction", "score"]],
                                  theirs[["row_id", "prediction", "score"]], check_exact=False)


def test_cancel_stops_the_job_group_and_keeps_the_session(on_spark: SparkChain,
                                                          local_chain: Chain) -> None:
    data = local_chain.run("slow_data", "data_source", {"format": "builtin", "builtin": "breast_cancer"})
    before = on_spark.run("before_cancel", "data_source", {"format": "table", "query": "sales",
                                                           "target": "label"})
    cancel = threading.Event()
    result: dict = {}

    def launch() -> None:
        result["outcome"] = on_spark.launch("slow", "train_sklearn", {
            "estimator": "sklearn.neural_network.MLPClassifier",
            "estimator_params": {"max_iter": 100000, "tol": 0.0, "n_iter_no_change": 100000,
                                 "hidden_layer_sizes": [256, 256]}},
            {"data": [data.out("data")]}, should_cancel=cancel.is_set)[1]

    thread = threading.Thread(target=launch)
    thread.start()
    wait_for(lambda: any("inside one Spark task" in line for _, line in list(on_spark.lines)), 60,
             "the training task")
    wait_for(lambda: any("progress" in e for e in list(on_spark.events)), 30, "the Spark job")
    cancel.set()
    thread.join(timeout=60)
    assert not thread.is_alive(), "cancel did not stop the step"
    outcome = result["outcome"]
    assert outcome.cancelled and not outcome.ok
    again = on_spark.run("after_cancel", "data_source", {"format": "table", "query": "sales",
                                                         "target": "label"})
    app = before.result["info"]["spark"]["app_id"]
    assert app and again.result["info"]["spark"]["app_id"] == app  # the same session goes on


def test_regression_windows_equal_the_local_engine(on_spark: SparkChain, local_chain: Chain) -> None:
    data = local_chain.run("diab", "data_source", {"format": "builtin", "builtin": "diabetes"})
    model = local_chain.run("diab_ridge", "train_sklearn", {"estimator": "sklearn.linear_model.Ridge"},
                            {"data": [data.out("data")]})
    inputs = {"data": [data.out("data")], "model": [model.out("model")]}
    params = {"window_rows": 100}
    local = local_chain.run("diab_local", "inference", params, inputs)
    spark = on_spark.run("diab_spark", "inference", params, inputs)
    pd.testing.assert_frame_equal(pd.read_parquet(spark.file("predictions")),
                                  pd.read_parquet(local.file("predictions")), check_exact=False)
    ours = spark.result["records"]["prediction_windows"]
    theirs = local.result["records"]["prediction_windows"]
    assert len(ours) == len(theirs) == 5
    for a, b in zip(ours, theirs, strict=True):
        assert a["summary"]["score_histogram"]["counts"] == b["summary"]["score_histogram"]["counts"]
        assert a["summary"]["score_histogram"]["edges"] == pytest.approx(
            b["summary"]["score_histogram"]["edges"], rel=1e-12)
        assert a["summary"]["positive_rate"] is None and "class_rates" not in a["summary"]


def test_a_crashed_driver_fails_only_its_step_and_a_new_one_serves_the_next(
        on_spark: SparkChain, local_chain: Chain, local_engine: object) -> None:
    import os
    import signal

    data = local_chain.run("crash_data", "data_source", {"format": "builtin", "builtin": "breast_cancer"})
    before = on_spark.run("crash_before", "data_source", {"format": "table", "query": "sales",
                                                          "target": "label"})
    result: dict = {}

    def launch() -> None:
        result["outcome"] = on_spark.launch("crashing", "train_sklearn", {
            "estimator": "sklearn.neural_network.MLPClassifier",
            "estimator_params": {"max_iter": 100000, "tol": 0.0, "n_iter_no_change": 100000}},
            {"data": [data.out("data")]})[1]

    thread = threading.Thread(target=launch)
    thread.start()
    wait_for(lambda: any("progress" in e for e in list(on_spark.events)), 60, "the Spark job")
    os.kill(local_engine._proc.pid, signal.SIGKILL)  # the driver process, not its group
    thread.join(timeout=60)
    outcome = result["outcome"]
    assert outcome.exit_code == -signal.SIGKILL and not outcome.ok
    assert "Spark driver process ended unexpectedly" in outcome.describe_failure()
    after = on_spark.run("crash_after", "data_source", {"format": "table", "query": "sales",
                                                        "target": "label"})
    assert after.result["info"]["spark"]["app_id"] != before.result["info"]["spark"]["app_id"]


def test_timestamped_windows_follow_time_and_rows_keep_their_order(
        on_spark: SparkChain, local_chain: Chain, tmp_path: Path) -> None:
    frame = _labelled(1200, seed=7)
    rng = np.random.default_rng(7)
    frame["timestamp"] = pd.to_datetime(1_700_000_000_000 + rng.permutation(1200) * 60_000,
                                        unit="ms")  # times out of row order (ns in Parquet)
    path = tmp_path / "timed.parquet"
    frame.to_parquet(path, index=False)
    data = local_chain.run("timed", "data_source", {"format": "parquet", "path": str(path)})
    model = local_chain.run("timed_lr", "train_sklearn", {}, {"data": [data.out("data")]})
    inputs = {"data": [data.out("data")], "model": [model.out("model")]}
    local = local_chain.run("timed_local", "inference", {}, inputs)
    spark = on_spark.run("timed_spark", "inference", {}, inputs)
    pd.testing.assert_frame_equal(pd.read_parquet(spark.file("predictions")),
                                  pd.read_parquet(local.file("predictions")), check_exact=False)
    ours = spark.result["records"]["prediction_windows"]
    theirs = local.result["records"]["prediction_windows"]
    assert [(w["window_start"], w["window_end"], w["count"]) for w in ours] == [
        (w["window_start"], w["window_end"], w["count"]) for w in theirs]
    assert [w["summary"]["class_rates"] for w in ours] == [w["summary"]["class_rates"] for w in theirs]
