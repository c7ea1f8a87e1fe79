"""Finding 10 of the security review (data paths): a relative data path in a graph resolves
against the graph file's folder, not the step's scratch folder, and a relative path that
climbs out of that folder is refused at validation, naming the node and the parameter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.graph import Graph, save


def _env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    return {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}


def _csv_graph(path: Path, data_path: str) -> Path:
    graph = Graph("files")
    graph.add_node("data_source", id="data", params={"format": "csv", "path": data_path})
    graph.add_node("train_sklearn", id="train", params={"model_name": "files"})
    graph.connect("data", "data", "train", "data")
    save(graph, path)
    return path


def test_finding_10_a_relative_path_resolves_against_the_graph_folder(tmp_path: Path) -> None:
    env = _env(tmp_path)
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    csv = project / "data" / "rows.csv"
    pd.DataFrame({"x": [0.1, 0.9, 0.2, 0.8] * 10, "target": [0, 1, 0, 1] * 10}).to_csv(csv, index=False)
    graph = _csv_graph(project / "files.yaml", "data/rows.csv")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    cwd = os.getcwd()
    os.chdir(elsewhere)  # the graph's folder, not the current one, is where its paths start
    try:
        ran = workbench("--user", "bob", "run", "../project/files.yaml", "--wait", "--json", env=env, timeout=300)
    finally:
        os.chdir(cwd)
    assert ran.returncode == 0, ran.stdout + ran.stderr

    from workbench.store import open_store

    store = open_store(env["WORKBENCH_STORE"])
    with store.read() as uow:
        (run,) = uow.runs.all()
        step = uow.runs.latest_steps(run.id)["data"]
        (artifact_id,) = uow.runs.outputs(step.id)["data"]
        meta = uow.artifacts.get(artifact_id).lineage["meta"]
    store.close()
    assert meta["source"] == str(csv.resolve())
    assert graph.is_file()


def test_finding_10_a_relative_path_out_of_the_graph_folder_is_refused(tmp_path: Path) -> None:
    env = _env(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    graph = _csv_graph(project / "escape.yaml", "../../../../etc/hostname")

    checked = workbench("graph", "validate", str(graph), env=env)
    said = checked.stdout + checked.stderr
    assert checked.returncode == 1 and no_traceback(checked), said
    assert "'data'" in said and "'path'" in said and "graph's folder" in said
    as_json = json.loads(workbench("graph", "validate", "--json", str(graph), env=env).stdout)
    assert any(p["node_id"] == "data" and p["param"] == "path" for p in as_json["problems"])

    ran = workbench("--user", "bob", "run", str(graph), env=env)
    assert ran.returncode == 1 and "'path'" in ran.stdout + ran.stderr, ran.stdout + ran.stderr
    inside = _csv_graph(project / "inside.yaml", "data/../rows.csv")  # stays inside: allowed
    assert workbench("graph", "validate", str(inside), env=env).returncode == 0
