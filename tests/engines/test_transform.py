"""Issue 17: the transform node — SQL over the table 'data' (reaching nothing else) or a Python
transform(frame) from a declared code folder, giving exactly the declared columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from tests.engines.support import Chain, Step
from tests.support.cli import ROOT, workbench
from tests.support.store_setup import cast_store
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError
from workbench.graph import Graph, save


def test_sql_derives_and_filters_and_reaches_nothing_else(chain: Chain, cancer: Step, tmp_path: Path) -> None:
    query = ('SELECT row_id, "mean radius" * 2 AS double_radius, target FROM data '
             'WHERE "mean radius" > 15')
    step = chain.run("derive", "transform", {"sql": query, "columns": ["double_radius", "target"]},
                     {"data": [cancer.out("data")]})
    out = pd.read_parquet(step.file("data"))
    assert list(out.columns) == ["row_id", "double_radius", "target"]
    assert (out["double_radius"] > 30).all() and 50 < len(out) < 569
    assert step.out("data")["meta"]["target"] == "target"

    secret = tmp_path / "other.db"
    connection = sqlite3.connect(secret)
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    for bad in (f"ATTACH DATABASE '{secret}' AS other", "PRAGMA database_list",
                "SELECT * FROM sqlite_master"):
        with pytest.raises(InvalidInputError, match="node 'bad'.*parameter 'sql'"):
            run_spec(chain.spec("bad", "transform", {"sql": bad, "columns": ["x"]}, {"data": [cancer.out("data")]}))
    with pytest.raises(InvalidInputError, match="lacks 'nope'.*also gives 'target'"):
        run_spec(chain.spec("cols", "transform", {"sql": query, "columns": ["double_radius", "nope"]},
                            {"data": [cancer.out("data")]}))
    with pytest.raises(InvalidInputError, match="either 'sql' or 'script'"):
        run_spec(chain.spec("none", "transform", {"columns": ["x"]}, {"data": [cancer.out("data")]}))


def test_a_python_transform_runs_from_a_declared_code_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    folder = tmp_path / "project" / "code"
    folder.mkdir(parents=True)
    (folder / "features.py").write_text(
        "def transform(frame):\n"
        "    frame = frame.assign(area_ratio=frame['mean area'] / frame['worst area'])\n"
        "    return frame[['row_id', 'area_ratio', 'mean radius', 'target']]\n")
    graph = Graph("derived")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("transform", id="features", params={"script": "code/features.py",
                                                       "columns": ["area_ratio", "mean radius", "target"]})
    graph.add_node("train_sklearn", id="train", params={"model_name": "derived"})
    graph.connect("data", "data", "features", "data")
    graph.connect("features", "data", "train", "data")
    path = tmp_path / "project" / "derived.yaml"
    save(graph, path)
    refused = workbench("--user", "bob", "run", str(path), "--wait", env=env, timeout=300)
    assert refused.returncode != 0 and "code-folders add" in refused.stdout + refused.stderr
    assert workbench("--user", "bob", "code-folders", "add", str(folder), env=env).returncode == 0
    ran = workbench("--user", "bob", "run", str(path), "--wait", env=env, timeout=300)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    from workbench.store import open_store

    store = open_store(url)
    with store.read() as uow:
        (model,) = uow.models.all("derived")
        run = uow.runs.all()[0]
        step = uow.runs.latest_steps(run.id)["features"]
        (artifact_id,) = uow.runs.outputs(step.id)["data"]
        columns = uow.artifacts.get(artifact_id).lineage["meta"]["columns"]
    store.close()
    assert columns == ["row_id", "area_ratio", "mean radius", "target"]
    assert model.metrics["accuracy"] > 0.8
