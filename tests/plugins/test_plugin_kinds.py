"""Plug-in node kinds that bring their executor, found through real entry points of an installed
package (see conftest): the catalog lists the kind, a graph file using it runs on the local
engine from the command line, the step records which plug-in code ran, and a plug-in that routes
a kind to another package's code, or returns something other than a step outcome, is refused
naming the package."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.engines.support import Chain
from tests.support.cli import run_ok
from tests.support.store_setup import cast_store
from workbench.engines.runtime.registry import EXECUTORS, executor_for, plugin_executor
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError
from workbench.graph import Graph, default_catalog, save
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.store import open_store

PLUGIN = {"package": "wb-scale-plugin", "version": "0.3.0", "executor": "wb_scale_plugin.steps:run"}


def scale_graph(path: Path, target: str | None = None) -> Path:
    graph = Graph("plug-in scaling")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("scale_columns", id="scale", params={"columns": ["mean radius"], "factor": 10.0},
                   target=target)
    graph.connect("data", "data", "scale", "data")
    save(graph, path)
    return path


def outputs(store, run_id: int, node: str) -> pd.DataFrame:  # noqa: ANN001
    with store.read() as uow:
        step = uow.runs.latest_steps(run_id)[node]
        (artifact_id,) = uow.runs.outputs(step.id)["data"]
        artifact = uow.artifacts.get(artifact_id)
    return pd.read_parquet(ArtifactStore.for_store(store.url).path(artifact.sha256))


def test_the_catalog_lists_the_plugin_kind_and_the_runtime_finds_its_executor(plugin_site: Path) -> None:
    catalog = default_catalog()
    assert "scale_columns" in catalog and not catalog.load_errors
    assert [p.name for p in catalog.get("scale_columns").params] == ["columns", "factor"]
    found = plugin_executor("scale_columns")
    assert found is not None and found.describe() == PLUGIN
    assert plugin_executor("data_source") is None  # a plug-in never replaces a built-in executor
    assert executor_for("data_source", "node 'd'") is EXECUTORS["data_source"]


def test_a_graph_with_a_plugin_kind_runs_on_the_local_engine_from_the_cli(plugin_site: Path,
                                                                           tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    graph = scale_graph(tmp_path / "scale.yaml")
    run_ok("--store", url, "--user", "bob", "graph", "validate", str(graph))
    done = json.loads(run_ok("--store", url, "--user", "bob", "run", str(graph), "--wait",
                             "--json").stdout)
    store = open_store(url)
    try:
        with store.read() as uow:
            runs = uow.runs.all()
            steps = uow.runs.latest_steps(runs[-1].id)
            logs = [line.line for line in uow.runs.logs(steps["scale"].id)]
        assert steps["scale"].status == "succeeded", (done, steps["scale"].error)
        with store.read() as uow:
            (artifact_id,) = uow.runs.outputs(steps["scale"].id)["data"]
            lineage = uow.artifacts.get(artifact_id).lineage
        assert lineage["meta"]["plugin"] == PLUGIN and lineage["kind"] == "scale_columns"
        assert lineage["libraries"]["wb-scale-plugin"] == "0.3.0"
        assert any("runs wb_scale_plugin.steps:run from wb-scale-plugin 0.3.0" in line for line in logs)
        before, after = outputs(store, runs[-1].id, "data"), outputs(store, runs[-1].id, "scale")
        assert after["mean radius"].tolist() == pytest.approx((before["mean radius"] * 10).tolist())
        assert after["mean texture"].tolist() == before["mean texture"].tolist()
    finally:
        store.close()


def test_an_executor_outside_its_package_or_a_wrong_result_fails_naming_the_package(
        plugin_site: Path, tmp_path: Path) -> None:
    chain = Chain(tmp_path / "chain")
    data = chain.run("data", "data_source", {"format": "builtin"})
    with pytest.raises(InvalidInputError) as hijack:
        run_spec(chain.spec("h", "hijack", {}, {"data": [data.out("data")]}))
    assert "plug-in package 'wb-hijack-plugin' (1.0)" in str(hijack.value)
    assert "'json:dumps'" in str(hijack.value) and "not part of that package" in str(hijack.value)
    with pytest.raises(InvalidInputError, match="from plug-in package 'wb-scale-plugin' .* returned a "
                                                "dict, not a StepOutcome"):
        run_spec(chain.spec("w", "wrong_result", {}, {"data": [data.out("data")]}))
    result = json.loads((tmp_path / "chain" / "steps" / "w" / "result.json").read_text())
    assert "returned a dict" in result["error"]


def test_without_the_package_the_kind_has_no_executor_and_says_where_one_comes_from(tmp_path: Path) -> None:
    chain = Chain(tmp_path / "chain")
    with pytest.raises(InvalidInputError) as caught:
        run_spec(chain.spec("s", "scale_columns"))
    assert "no executor for node kind 'scale_columns'" in str(caught.value)
    assert "'workbench.node_executors'" in str(caught.value)


def test_an_upgraded_plugin_runs_its_step_again_instead_of_reusing_the_old_result(
        plugin_site: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    graph = scale_graph(tmp_path / "scale.yaml")

    def scale_step_info() -> dict:
        run_ok("--store", url, "--user", "bob", "run", str(graph), "--wait", "--json")
        store = open_store(url)
        try:
            with store.read() as uow:
                newest = max(run.id for run in uow.runs.all())
                return uow.runs.latest_steps(newest)["scale"].info
        finally:
            store.close()

    assert "cached_from" not in scale_step_info()
    assert "cached_from" in scale_step_info()  # same plug-in, same inputs: reused
    old = plugin_site / "wb_scale_plugin-0.3.0.dist-info"
    new = old.rename(plugin_site / "wb_scale_plugin-0.4.0.dist-info")
    (new / "METADATA").write_text("Metadata-Version: 2.1\nName: wb-scale-plugin\nVersion: 0.4.0\n")
    assert "cached_from" not in scale_step_info()  # the upgraded plug-in computes anew
