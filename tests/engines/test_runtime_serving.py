"""inference: predictions Parquet, model version, prediction windows and their summaries."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.support import Chain, Step
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError, UnusableInputError

VERSION = {"model_version": {"name": "bc", "version": 3, "id": 17}}


@pytest.fixture(scope="module")
def ensemble(chain: Chain, logreg: Step, mlp: Step) -> Step:
    return chain.run("ens_serve", "ensemble", {},
                     {"models": [logreg.out("model"), mlp.out("model")]})


def test_batch_inference_with_an_ensemble(chain: Chain, cancer: Step, ensemble: Step) -> None:
    step = chain.run("serve", "inference", {"mode": "batch"},
                     {"model": [ensemble.out("model")], "data": [cancer.out("data")]},
                     options=VERSION)
    out = pd.read_parquet(step.file("predictions"))
    assert list(out.columns) == ["row_id", "prediction", "score", "model_version"]
    assert out["row_id"].tolist() == list(range(569))
    assert set(out["model_version"]) == {"bc/3"}
    assert ((out["score"] >= 0) & (out["score"] <= 1)).all()
    truth = pd.read_parquet(cancer.file("data"))["target"]
    assert (out["prediction"] == truth).mean() > 0.9
    meta = step.result["outputs"]["predictions"][0]["meta"]
    assert meta["model_version"] == "bc/3" and meta["rows"] == 569
    assert step.result["outputs"]["predictions"][0]["kind"] == "predictions"

    windows = step.result["records"]["prediction_windows"]
    assert [w["count"] for w in windows] == [500, 69]
    started = windows[0]["window_start"]
    assert all(w["window_start"] == w["window_end"] == started for w in windows)
    summary = windows[0]["summary"]
    assert summary["count"] == 500
    assert sum(summary["score_histogram"]["counts"]) == 500
    assert summary["score_histogram"]["edges"][0] == 0.0
    assert len(summary["score_histogram"]["counts"]) == 20
    assert summary["score_mean"] == pytest.approx(out["score"].iloc[:500].mean())
    assert summary["positive_rate"] == pytest.approx((out["prediction"].iloc[:500] == 1).mean())
    assert len(summary["features"]) == 30
    radius = summary["features"]["mean radius"]
    assert set(radius) == {"mean", "std", "min", "max", "missing"} and radius["missing"] == 0


def test_windows_follow_a_timestamp_column(chain: Chain, cancer: Step, logreg: Step,
                                           tmp_path: Path) -> None:
    frame = pd.read_parquet(cancer.file("data")).drop(columns=["row_id", "target"])
    base = 1_700_000_000_000
    frame["timestamp"] = pd.to_datetime(base + 1000 * np.arange(len(frame))[::-1], unit="ms")
    frame.to_parquet(tmp_path / "prod.parquet")
    prod = chain.run("prod_ts", "data_source",
                     {"format": "parquet", "path": str(tmp_path / "prod.parquet"),
                      "target": ""})
    step = chain.run("serve_ts", "inference", {"mode": "rest"},
                     {"model": [logreg.out("model")], "data": [prod.out("data")]})
    out = pd.read_parquet(step.file("predictions"))
    assert out["timestamp"].iloc[-1] == base and set(out["model_version"]) == {""}
    windows = step.result["records"]["prediction_windows"]
    assert windows[0]["window_start"] == base  # oldest rows first
    assert windows[0]["window_end"] == base + 499_000
    assert windows[1]["window_end"] == base + 568_000


def test_inference_without_a_model_or_with_wrong_columns(chain: Chain, cancer: Step,
                                                         logreg: Step, tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="node 'serve'.*no model to serve"):
        run_spec(chain.spec("serve", "inference", {}, {"data": [cancer.out("data")]}))
    pd.DataFrame({"x": [1.0]}).to_csv(tmp_path / "x.csv", index=False)
    other = chain.run("x", "data_source", {"format": "csv", "path": str(tmp_path / "x.csv"),
                                           "target": ""})
    with pytest.raises(InvalidInputError, match="node 'serve'.*lacks 30 feature column"):
        run_spec(chain.spec("serve", "inference", {},
                            {"model": [logreg.out("model")], "data": [other.out("data")]}))
    missing = dict(cancer.out("data"), path=str(tmp_path / "gone"))
    with pytest.raises(UnusableInputError, match="node 'serve'.*does not exist"):
        run_spec(chain.spec("serve", "inference", {},
                            {"model": [logreg.out("model")], "data": [missing]}))
