"""A step on an SSH host reports its resource figures back: the runtime shipped to the host
samples CPU and resident memory, and the series reach the store under the step's id."""

from __future__ import annotations

from pathlib import Path

from tests.engines.ssh.conftest import ssh_params
from workbench.engines.runtime.resources import parse_resource_key
from workbench.graph import Graph, save
from workbench.orchestrator.runner import RunDriver
from workbench.services import targets as target_service
from workbench.services.runs import start_run, step_metrics


def test_a_remote_step_reports_cpu_and_memory_series(store, ssh_server, tmp_path: Path) -> None:  # noqa: ANN001
    target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path))
    assert target_service.trust_target(store, "bob", "box", lambda offered, known: True)
    graph = Graph("ssh resources")
    graph.add_node("data_source", id="data", params={"format": "builtin", "builtin": "wine"}, target="box")
    save(graph, tmp_path / "g.yaml")
    run = start_run(store, "bob", tmp_path / "g.yaml", detach=False)
    assert RunDriver(store, run.id).drive() == "succeeded"
    with store.read() as uow:
        step = uow.runs.latest_steps(run.id)["data"]
    assert step.target == "box"
    figures = {}
    for key, points in step_metrics(store, "bob", run.id).items():
        parsed = parse_resource_key(key)
        if parsed is not None and parsed[0] == step.id:
            figures[parsed[1]] = points["value"]
    assert {"rss_mb", "cpu_s"} <= set(figures)
    assert len(figures["rss_mb"]) >= 2 and 20 < figures["rss_mb"].max() < 4000
    assert figures["cpu_s"][-1] > 0.1
