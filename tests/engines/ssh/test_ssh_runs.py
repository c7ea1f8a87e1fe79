"""Steps on an SSH host: the same graph gives the same predictions over SSH as locally, a
dropped connection fails the step with nothing half-written, and cancel stops the remote
process group."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.engines.ssh.conftest import ssh_params
from tests.support import sshd
from workbench.graph import Graph, save
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.orchestrator.runner import RunDriver
from workbench.services import targets as target_service
from workbench.services.runs import start_run


def scoring_graph(path: Path, remote: str | None, epochs: int | None = None) -> Path:
    graph = Graph("ssh scoring")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    if epochs is None:
        # Trees, not an unscaled logistic regression: lbfgs stops short of convergence on the raw
        # features, so its answer depends on the BLAS kernel, and an SSH session does not carry
        # the shell's OPENBLAS_* settings. A seeded forest gives the same model on any BLAS.
        graph.add_node("train_sklearn", id="train",
                       params={"model_name": "ssh_m", "estimator": "sklearn.ensemble.RandomForestClassifier",
                               "estimator_params": {"n_estimators": 40, "random_state": 0}},
                       target=remote)
    else:
        graph.add_node("train_torch", id="train", params={"model_name": "ssh_t", "epochs": epochs, "device": "cpu"},
                       target=remote)
    graph.add_node("inference", id="score", target=remote)
    graph.connect("data", "data", "train", "data")
    graph.connect("train", "model", "score", "model")
    graph.connect("data", "data", "score", "data")
    save(graph, path)
    return path


def _predictions(store, run_id: int) -> pd.DataFrame:  # noqa: ANN001
    with store.read() as uow:
        step = uow.runs.latest_steps(run_id)["score"]
        (artifact_id,) = uow.runs.outputs(step.id)["predictions"]
        artifact = uow.artifacts.get(artifact_id)
    return pd.read_parquet(ArtifactStore.for_store(store.url).path(artifact.sha256))


def _register(store, server, tmp_path: Path, name: str = "box") -> None:  # noqa: ANN001
    target_service.add_target(store, "bob", name, "ssh", ssh_params(server, tmp_path))
    assert target_service.trust_target(store, "bob", name, lambda offered, known: True)


def test_predictions_over_ssh_equal_the_local_ones(store, ssh_server, tmp_path: Path) -> None:
    _register(store, ssh_server, tmp_path)
    local = start_run(store, "bob", scoring_graph(tmp_path / "local.yaml", None), detach=False)
    assert RunDriver(store, local.id).drive() == "succeeded"
    logins_before = ssh_server.logins()
    remote = start_run(store, "bob", scoring_graph(tmp_path / "remote.yaml", "box"), detach=False, no_cache=True)
    assert RunDriver(store, remote.id).drive() == "succeeded"
    assert ssh_server.logins() - logins_before == 1  # both remote steps used one pooled connection
    with store.read() as uow:
        steps = uow.runs.latest_steps(remote.id)
        logs = [line.line for line in uow.runs.logs(steps["train"].id)]
    assert steps["train"].target == "box" and steps["data"].target == "local"
    assert logs, "remote output was streamed into the store"
    columns = ["row_id", "prediction", "score"]  # model_version differs: two versions, same model
    pd.testing.assert_frame_equal(_predictions(store, local.id)[columns], _predictions(store, remote.id)[columns],
                                  check_exact=False)


def _wait_running(store, run_id: int, node: str, timeout: float = 90):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with store.read() as uow:
            step = uow.runs.latest_steps(run_id).get(node)
            if step is not None and step.status == "running" and step.pid and uow.metrics.keys(run_id):
                return step
        time.sleep(0.2)
    raise AssertionError(f"{node} never ran")


def test_killing_sshd_mid_step_fails_the_step_and_writes_nothing(store, tmp_path: Path) -> None:
    server = sshd.start()
    try:
        _register(store, server, tmp_path)
        run = start_run(store, "bob", scoring_graph(tmp_path / "g.yaml", "box", epochs=3000), detach=False)
        driver = threading.Thread(target=lambda: results.append(RunDriver(store, run.id).drive()))
        results: list[str] = []
        driver.start()
        _wait_running(store, run.id, "train")
        server.kill_connections()
        driver.join(timeout=120)
        assert results == ["failed"]
        with store.read() as uow:
            steps = uow.runs.latest_steps(run.id)
            assert steps["train"].status == "failed" and "connection" in steps["train"].error
            assert uow.runs.outputs(steps["train"].id) == {}
            assert steps["score"].status == "skipped"
            assert uow.models.all("ssh_t") == []
            assert uow.audit.verify().ok
    finally:
        server.cleanup()


def test_cancel_kills_the_remote_process_group(store, ssh_server, tmp_path: Path) -> None:
    _register(store, ssh_server, tmp_path)
    run = start_run(store, "bob", scoring_graph(tmp_path / "g.yaml", "box", epochs=3000), detach=False)
    results: list[str] = []
    driver = threading.Thread(target=lambda: results.append(RunDriver(store, run.id).drive()))
    driver.start()
    step = _wait_running(store, run.id, "train")
    with store.write("bob") as uow:
        uow.runs.request_cancel(run.id)
    driver.join(timeout=120)
    assert results == ["cancelled"]
    with pytest.raises(ProcessLookupError):
        import os

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            os.kill(step.pid, 0)  # the remote pid is on this machine: the host is 127.0.0.1
            time.sleep(0.2)
