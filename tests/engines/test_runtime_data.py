"""data_source and kpi_source through run_spec: formats, lineage hashes, clear errors."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.support import Chain, Step
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError, UnusableInputError


def test_builtin_breast_cancer_is_a_dataset_with_row_ids_and_lineage(cancer: Step) -> None:
    frame = pd.read_parquet(cancer.file("data"))
    meta = cancer.result["outputs"]["data"][0]["meta"]
    assert cancer.result["outputs"]["data"][0]["kind"] == "dataset"
    assert frame.shape == (569, 32)
    assert frame["row_id"].dtype == np.int64
    assert frame["row_id"].tolist() == list(range(569))
    assert set(frame["target"].unique()) == {0, 1}
    assert meta["target"] == "target" and meta["rows"] == 569
    assert meta["columns"] == list(frame.columns)
    assert meta["source"] == "builtin:breast_cancer"
    assert len(meta["source_sha256"]) == 64
    assert cancer.result["error"] is None
    assert cancer.result["info"]["rows"] == 569
    assert "sklearn" in cancer.result["info"]["libraries"]
    on_disk = json.loads((cancer.output_dir / "result.json").read_text())
    assert on_disk == cancer.result


def test_builtin_hash_is_stable_and_target_can_be_renamed(chain: Chain, cancer: Step) -> None:
    again = chain.run("data_again", "data_source", {"format": "builtin", "target": "label"})
    meta = again.result["outputs"]["data"][0]["meta"]
    assert meta["source_sha256"] == cancer.result["outputs"]["data"][0]["meta"]["source_sha256"]
    assert meta["target"] == "label"
    assert "label" in pd.read_parquet(again.file("data")).columns


def test_csv_keeps_its_row_ids_and_hashes_the_file(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "small.csv"
    pd.DataFrame({"row_id": [10, 11, 12], "x": [1.0, 2.0, 3.0], "y": [0, 1, 0]}).to_csv(
        path, index=False)
    step = chain.run("csv", "data_source", {"format": "csv", "path": str(path), "target": "y"})
    frame = pd.read_parquet(step.file("data"))
    meta = step.result["outputs"]["data"][0]["meta"]
    assert frame["row_id"].tolist() == [10, 11, 12]
    import hashlib
    assert meta["source_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert meta["source"] == str(path.resolve())


def test_parquet_without_target_is_unlabelled_data(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "prod.parquet"
    pd.DataFrame({"x": [1.0, 2.0]}).to_parquet(path)
    step = chain.run("prod", "data_source", {"format": "parquet", "path": str(path),
                                             "target": ""})
    assert step.result["outputs"]["data"][0]["meta"]["target"] is None
    assert pd.read_parquet(step.file("data"))["row_id"].tolist() == [0, 1]


def test_sql_query_through_sqlalchemy(chain: Chain, tmp_path: Path) -> None:
    pytest.importorskip("sqlalchemy")
    db = tmp_path / "data.db"
    with sqlite3.connect(db) as conn:
        conn.execute("create table t (a real, label integer)")
        conn.executemany("insert into t values (?, ?)", [(0.5, 0), (1.5, 1), (2.5, 1)])
    step = chain.run("sql", "data_source", {"format": "sql", "url": f"sqlite:///{db}",
                                            "query": "select a, label from t order by a",
                                            "target": "label"})
    frame = pd.read_parquet(step.file("data"))
    assert frame["label"].tolist() == [0, 1, 1]
    assert step.result["outputs"]["data"][0]["meta"]["source"].startswith("sql:sqlite:///")


def test_missing_file_names_the_node_and_path_and_writes_the_error(chain: Chain,
                                                                   tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    spec = chain.spec("load", "data_source", {"format": "csv", "path": str(missing)})
    with pytest.raises(UnusableInputError) as caught:
        run_spec(spec)
    message = str(caught.value)
    assert "node 'load'" in message and str(missing) in message
    written = json.loads((Path(spec["output_dir"]) / "result.json").read_text())
    assert written["error"] == message and written["outputs"] == {}


def test_missing_target_column_is_named(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    pd.DataFrame({"x": [1, 2], "y": [0, 1]}).to_csv(path, index=False)
    with pytest.raises(InvalidInputError, match=r"node 'load'.*target column 'label'"):
        run_spec(chain.spec("load", "data_source",
                            {"format": "csv", "path": str(path), "target": "label"}))


def test_unreadable_parquet_is_a_clear_error(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(UnusableInputError, match="node 'load'.*broken.parquet"):
        run_spec(chain.spec("load", "data_source", {"format": "parquet", "path": str(path)}))


def test_kpi_source_writes_sorted_epoch_ms_points(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "kpi.csv"
    pd.DataFrame({"day": ["2024-01-02", "2024-01-01", "2024-01-03"],
                  "revenue": [2.0, 1.0, None]}).to_csv(path, index=False)
    step = chain.run("revenue", "kpi_source",
                     {"path": str(path), "time_column": "day", "value_column": "revenue"})
    kpi = pd.read_parquet(step.file("kpi"))
    assert step.result["outputs"]["kpi"][0]["kind"] == "kpi"
    assert kpi["ts"].tolist() == [1704067200000, 1704153600000]
    assert kpi["value"].tolist() == [1.0, 2.0]
    assert step.result["records"]["kpi"] == [
        {"name": "revenue", "points": [[1704067200000, 1.0], [1704153600000, 2.0]]}]


def test_kpi_source_missing_column_is_named(chain: Chain, tmp_path: Path) -> None:
    path = tmp_path / "kpi.csv"
    pd.DataFrame({"timestamp": [1, 2], "v": [1.0, 2.0]}).to_csv(path, index=False)
    with pytest.raises(InvalidInputError, match="node 'k'.*value column 'value'"):
        run_spec(chain.spec("k", "kpi_source", {"path": str(path)}))
