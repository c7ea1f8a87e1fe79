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


def test_a_remote_step_killed_by_sigkill_says_it_may_have_run_out_of_memory(store, ssh_server,  # noqa: ANN001
                                                                            tmp_path: Path) -> None:
    import os
    import signal
    import threading
    import time

    target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path))
    assert target_service.trust_target(store, "bob", "box", lambda offered, known: True)
    slow = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 400000000) "
            "SELECT count(*) AS n FROM r")
    graph = Graph("ssh killed")
    graph.add_node("data_source", id="data", target="box",
                   params={"format": "sql", "url": f"sqlite:///{tmp_path}/x.db", "query": slow, "target": ""})
    save(graph, tmp_path / "g.yaml")
    run = start_run(store, "bob", tmp_path / "g.yaml", detach=False)
    ended: list[str] = []
    driver = threading.Thread(target=lambda: ended.append(RunDriver(store, run.id).drive()))
    driver.start()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # until the remote step runs and has reported its memory
        with store.read() as uow:
            step = uow.runs.latest_steps(run.id).get("data")
            reported = any(key.endswith("/rss_mb") for key in uow.metrics.keys(run.id))
        if step is not None and step.pid and reported:
            break
        time.sleep(0.2)
    assert step is not None and step.pid, "the remote step did not start"
    os.kill(step.pid, signal.SIGKILL)  # the test host is this machine: what its OOM killer would do
    driver.join(timeout=60)
    assert ended == ["failed"]
    with store.read() as uow:
        step = uow.runs.latest_steps(run.id)["data"]
    assert "ended without an exit status" in step.error and "ran out of memory" in step.error
    assert "resident memory peaked at" in step.error
