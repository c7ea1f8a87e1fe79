"""The Spark engine on a real standalone cluster (master + worker on 127.0.0.1): the target
check, a master that is down, the retrain template with training on the cluster and scoring
over SSH giving the local predictions, and a worker killed in the middle of a job."""

from __future__ import annotations

import platform
import threading
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.engines.spark.cluster import SparkCluster
from tests.engines.spark.conftest import KeepOpen, cluster_params, wait_for
from tests.support import sshd
from tests.support.cli import workbench
from tests.support.components import need
from tests.support.postgres import free_port
from workbench.engines.local import LocalEngine
from workbench.graph import Graph, load_template, save
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.orchestrator.runner import RunDriver
from workbench.services import targets as target_service
from workbench.services.runs import start_run


def test_targets_check_reports_the_cluster(cluster_engine: Any, standalone: SparkCluster) -> None:
    details = cluster_engine.probe()
    assert details["master"] == standalone.url and details["spark"].startswith("4.")
    assert details["executors"] == 1 and details["default_parallelism"] == 2
    assert details["executor_python"] == platform.python_version() and details["executor_pyarrow"]


def _down_target(store: Any, name: str = "gone") -> str:
    url = f"spark://127.0.0.1:{free_port()}"
    target_service.add_target(store, "bob", name, "spark", {"master": url, "conf": {}})
    return url


def test_a_master_that_is_down_is_named_by_check_and_by_the_run(store: Any, tmp_path: Path) -> None:
    url = _down_target(store)
    started = time.monotonic()
    checked = workbench("--user", "bob", "targets", "check", "gone",
                        env={"WORKBENCH_STORE": store.url})
    assert checked.returncode == 2 and "Traceback" not in checked.stderr
    assert "'gone'" in checked.stderr and url in checked.stderr and "cannot be reached" in checked.stderr
    graph = Graph("spark down")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_sklearn", id="train", params={"model_name": "down_m"}, target="gone")
    graph.connect("data", "data", "train", "data")
    save(graph, tmp_path / "g.yaml")
    run = start_run(store, "bob", tmp_path / "g.yaml", detach=False)
    assert RunDriver(store, run.id).drive() == "failed"
    assert time.monotonic() - started < 60
    artifacts = ArtifactStore.for_store(store.url)
    with store.read() as uow:
        steps = uow.runs.latest_steps(run.id)
        train = steps["train"]
        assert train.status == "failed" and "'gone'" in train.error and url in train.error
        assert uow.runs.outputs(train.id) == {}
        assert uow.models.all("down_m") == []
        assert uow.audit.verify().ok
    assert not (artifacts.root / "spark").exists()


@pytest.fixture(scope="module")
def ssh_server() -> Any:
    ok, why = sshd.available()
    need(ok, why)
    server = sshd.start()
    yield server
    server.cleanup()


def _register(store: Any, standalone: SparkCluster, server: Any, tmp_path: Path) -> None:
    from tests.engines.ssh.conftest import ssh_params

    target_service.add_target(store, "bob", "cluster", "spark", cluster_params(standalone))
    target_service.add_target(store, "bob", "box", "ssh", ssh_params(server, tmp_path))
    assert target_service.trust_target(store, "bob", "box", lambda offered, known: True)


def _predictions(store: Any, run_id: int) -> pd.DataFrame:
    with store.read() as uow:
        step = uow.runs.latest_steps(run_id)["score"]
        (artifact_id,) = uow.runs.outputs(step.id)["predictions"]
        artifact = uow.artifacts.get(artifact_id)
    return pd.read_parquet(ArtifactStore.for_store(store.url).path(artifact.sha256))


def _model_sha(store: Any, run_id: int) -> str:
    with store.read() as uow:
        step = uow.runs.latest_steps(run_id)["train"]
        (artifact_id,) = uow.runs.outputs(step.id)["model"]
        return uow.artifacts.get(artifact_id).sha256


def test_retrain_template_trains_on_the_cluster_scores_over_ssh_like_local(
        store: Any, standalone: SparkCluster, cluster_engine: Any, ssh_server: Any,
        tmp_path: Path) -> None:
    _register(store, standalone, ssh_server, tmp_path)
    local_file = tmp_path / "retrain-local.yaml"
    save(load_template("retrain"), local_file)
    local = start_run(store, "bob", local_file, detach=False)
    assert RunDriver(store, local.id).drive() == "succeeded"

    graph = load_template("retrain")
    graph.set_target("train", "cluster")
    graph.set_target("score", "box")
    mixed_file = tmp_path / "retrain-mixed.yaml"
    save(graph, mixed_file)
    mixed = start_run(store, "bob", mixed_file, detach=False, no_cache=True)
    engines = {"local": LocalEngine(), "cluster": KeepOpen(cluster_engine)}
    assert RunDriver(store, mixed.id, engines=engines).drive() == "succeeded"
    with store.read() as uow:
        steps = uow.runs.latest_steps(mixed.id)
        logs = [line.line for line in uow.runs.logs(steps["train"].id)]
        versions = uow.models.all("breast_cancer")
    assert (steps["train"].target, steps["score"].target, steps["drift"].target) == (
        "cluster", "box", "local")
    assert steps["train"].info["device"] == "spark"
    assert any("inside one Spark task" in line for line in logs)
    assert len(versions) == 2
    assert _model_sha(store, mixed.id) == _model_sha(store, local.id)  # the same model file
    columns = ["row_id", "prediction", "score"]
    pd.testing.assert_frame_equal(_predictions(store, local.id)[columns],
                                  _predictions(store, mixed.id)[columns], check_exact=False)


def _all_steps(store: Any, run_id: int, node: str) -> list[Any]:
    with store.read() as uow:
        return sorted((s for s in uow.runs.steps(run_id) if s.node_id == node),
                      key=lambda s: s.attempt)


def test_a_worker_killed_mid_job_fails_the_attempt_and_the_retry_succeeds(
        store: Any, standalone: SparkCluster, cluster_engine: Any, tmp_path: Path) -> None:
    target_service.add_target(store, "bob", "cluster", "spark", cluster_params(standalone))
    graph = Graph("worker loss")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_sklearn", id="train", target="cluster", params={
        "model_name": "lossy", "estimator": "sklearn.neural_network.MLPClassifier",
        "estimator_params": {"max_iter": 1000, "tol": 0.0, "n_iter_no_change": 10000,
                             "hidden_layer_sizes": [64, 64]}})
    graph.connect("data", "data", "train", "data")
    save(graph, tmp_path / "g.yaml")
    run = start_run(store, "bob", tmp_path / "g.yaml", detach=False, retries=1)
    results: list[str] = []
    engines = {"local": LocalEngine(), "cluster": KeepOpen(cluster_engine)}
    driver = threading.Thread(target=lambda: results.append(
        RunDriver(store, run.id, engines=engines).drive()))
    driver.start()

    def job_running() -> bool:  # the engine's progress events reach the step's info
        steps = _all_steps(store, run.id, "train")
        return bool(steps) and "Spark job" in str((steps[0].info or {}).get("message"))

    wait_for(job_running, 120, "the training job on the cluster")
    standalone.kill_worker()
    first = wait_for(lambda: next((s for s in _all_steps(store, run.id, "train")
                                   if s.status == "failed"), None), 120, "the failed attempt")
    assert "lost its workers" in first.error and "'cluster'" in first.error
    standalone.start_worker()  # the retry waits for an executor, then trains
    driver.join(timeout=300)
    assert results == ["succeeded"]
    attempts = _all_steps(store, run.id, "train")
    assert [s.status for s in attempts] == ["failed", "succeeded"]
    with store.read() as uow:
        assert uow.runs.outputs(attempts[0].id) == {}
        assert set(uow.runs.outputs(attempts[1].id)) == {"model", "metrics"}
        assert [v.version for v in uow.models.all("lossy")] == [1]
        assert uow.audit.verify().ok
