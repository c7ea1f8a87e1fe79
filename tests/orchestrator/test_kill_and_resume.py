"""Crashes: a step process killed with SIGKILL, and the orchestrator itself killed. The store
stays consistent, the workbench survives, and ``workbench runs resume`` finishes the run while
reusing the steps that had succeeded."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.support.cli import ROOT, workbench
from tests.support.store_setup import cast_store
from workbench.graph import Graph, save
from workbench.store import open_store


def torch_graph(path: Path, epochs: int) -> Path:
    graph = Graph("torch training")
    graph.add_node("data_source", id="data", params={"format": "builtin", "builtin": "breast_cancer"})
    graph.add_node("train_torch", id="train", params={"epochs": epochs, "model_name": "mlp", "device": "cpu"})
    graph.add_node("evaluate", id="evaluate")
    graph.connect("data", "data", "train", "data")
    graph.connect("train", "model", "evaluate", "model")
    graph.connect("data", "data", "evaluate", "data")
    save(graph, path)
    return path


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    return {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}


def _poll(fn, timeout: float = 120):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def _running_train_step(url: str, run_id: int):  # noqa: ANN202
    store = open_store(url)
    try:
        with store.read() as uow:
            step = uow.runs.latest_steps(run_id).get("train")
            if step is None or step.status != "running" or not step.pid:
                return None
            series = uow.metrics.keys(run_id)
            return step if "loss" in series else None
    finally:
        store.close()


def _run_state(url: str, run_id: int):  # noqa: ANN202
    store = open_store(url)
    try:
        with store.read() as uow:
            return uow.runs.get(run_id), uow.runs.steps(run_id)
    finally:
        store.close()


def _start(env: dict[str, str], graph: Path) -> int:
    started = workbench("--user", "bob", "run", str(graph), "--json", env=env)
    assert started.returncode == 0, started.stderr
    return json.loads(started.stdout)["run_id"]


def test_killed_step_fails_cleanly_and_resume_reuses_finished_steps(env: dict[str, str], tmp_path: Path) -> None:
    url = env["WORKBENCH_STORE"]
    run_id = _start(env, torch_graph(tmp_path / "g.yaml", epochs=400))
    step = _poll(lambda: _running_train_step(url, run_id))
    os.killpg(step.pid, signal.SIGKILL)
    run, steps = _poll(lambda: (lambda r: r if r[0].finished else None)(_run_state(url, run_id)))
    assert run.status == "failed" and "train" in run.error
    train = next(s for s in steps if s.node_id == "train")
    assert train.status == "failed" and train.exit_code == -signal.SIGKILL
    assert "killed by signal 9" in train.error
    assert next(s for s in steps if s.node_id == "evaluate").status == "skipped"
    data_step = next(s for s in steps if s.node_id == "data")
    assert data_step.status == "succeeded"

    resumed = workbench("--user", "bob", "runs", "resume", str(run_id), "--wait", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run, steps = _run_state(url, run_id)
    assert run.status == "succeeded"
    assert [s.id for s in steps if s.node_id == "data"] == [data_step.id]  # not run again
    trains = [s for s in steps if s.node_id == "train"]
    assert [s.status for s in trains] == ["failed", "succeeded"] and trains[1].attempt == 2
    assert trains[1].info["device"] == "cpu"


def test_finding_10_killed_orchestrator_leaves_a_run_that_only_its_starter_resumes(env: dict[str, str], tmp_path: Path) -> None:
    url = env["WORKBENCH_STORE"]
    run_id = _start(env, torch_graph(tmp_path / "g.yaml", epochs=400))
    step = _poll(lambda: _running_train_step(url, run_id))
    run, _ = _run_state(url, run_id)
    os.kill(run.worker_pid, signal.SIGKILL)
    time.sleep(0.5)
    listed = json.loads(workbench("--user", "bob", "runs", "list", "--json", env=env).stdout)
    assert listed[0]["id"] == run_id and listed[0]["status"] == "interrupted"
    run, steps = _run_state(url, run_id)
    train = next(s for s in steps if s.node_id == "train")
    assert train.status == "interrupted"
    with pytest.raises(ProcessLookupError):  # the orphaned step process was stopped too
        _poll(lambda: os.kill(step.pid, 0), timeout=10)

    # issue 13, finding 10: a graph is code and runs with its driver's rights; only its starter resumes it
    workbench("--user", "alice", "users", "add", "sam", "--role", "scientist", env=env)
    other = workbench("--user", "sam", "runs", "resume", str(run_id), env=env)
    assert other.returncode == 3 and "only they resume it" in other.stderr
    resumed = workbench("--user", "bob", "runs", "resume", str(run_id), "--wait", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    run, steps = _run_state(url, run_id)
    assert run.status == "succeeded"
    assert len([s for s in steps if s.node_id == "data"]) == 1
    store = open_store(url)
    with store.read() as uow:
        assert uow.audit.verify().ok
        assert uow.models.by_alias("mlp", "candidate") is not None
    store.close()


def test_identical_inputs_reuse_the_cached_result(env: dict[str, str], tmp_path: Path) -> None:
    graph = torch_graph(tmp_path / "g.yaml", epochs=3)
    first = workbench("--user", "bob", "run", str(graph), "--wait", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    second = workbench("--user", "bob", "run", str(graph), "--wait", "--json", env=env)
    assert second.returncode == 0
    steps = json.loads(second.stdout)["steps"]
    assert all("cached_from" in s["info"] for s in steps), steps
    third = workbench("--user", "bob", "run", str(graph), "--wait", "--no-cache", "--json", env=env)
    assert all("cached_from" not in s["info"] for s in json.loads(third.stdout)["steps"])
