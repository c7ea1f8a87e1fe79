"""Model propagation (a newly promoted champion reaches the inference bound to it, recorded
as a deployment event) and triggers (schedule, model promoted, manual, drift alert)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.support.store_setup import cast_store
from workbench.graph import Graph, load_template, save
from workbench.orchestrator.runner import RunDriver
from workbench.services import models as model_service
from workbench.services import triggers as trigger_service
from workbench.services.runs import start_run
from workbench.store import now_ms


@pytest.fixture
def store(tmp_path: Path):
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def champion_graph(path: Path, c: float, *, gate: bool = True, alias: str = "champion") -> Path:
    """Train → (approval gate →) promote to ``alias`` → score with the champion."""
    graph = Graph("propagation")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_sklearn", id="train", params={"model_name": "m", "estimator_params": {"C": c, "max_iter": 500}})
    graph.add_node("promote", id="promote", params={"model_name": "m", "alias": alias})
    graph.add_node("inference", id="score", params={"model_name": "m", "alias": "champion"})
    graph.connect("data", "data", "train", "data")
    if gate:
        graph.add_node("approval_gate", id="approve")
        graph.connect("train", "model", "approve", "model")
        graph.connect("approve", "model", "promote", "model")
    else:
        graph.connect("train", "model", "promote", "model")
    graph.connect("data", "data", "score", "data")
    save(graph, path)
    return path


def _drive(store, path: Path, *, starter: str = "bob") -> str:  # noqa: ANN001
    """Drive a run to its end; rita (the risk officer) approves what its gates ask for."""
    run = start_run(store, starter, path, detach=False)
    result: dict[str, str] = {}
    driver = threading.Thread(target=lambda: result.setdefault("status", RunDriver(store, run.id).drive()))
    driver.start()
    while driver.is_alive():
        for request in model_service.list_approvals(store, "rita", status="open"):
            model_service.decide(store, "rita", request.id, "approved", "fine for the test")
        driver.join(0.2)
    return result["status"]


def test_a_promoted_champion_reaches_the_bound_inference(store, tmp_path: Path) -> None:  # noqa: ANN001
    assert _drive(store, champion_graph(tmp_path / "a.yaml", 1.0)) == "succeeded"
    assert _drive(store, champion_graph(tmp_path / "b.yaml", 0.01)) == "succeeded"
    with store.read() as uow:
        v1, v2 = uow.models.get("m", 1), uow.models.get("m", 2)
        events = uow.models.deployments("m")
        windows = uow.predictions.windows("propagation/score")
    assert [(e.node_id, e.old_version_id, e.new_version_id) for e in events] == [
        ("propagation/score", None, v1.id), ("propagation/score", v1.id, v2.id)]
    assert {w.model_version_id for w in windows} == {v1.id, v2.id}
    assert "champion" in v2.aliases and "champion" not in v1.aliases


def test_a_rerun_reuses_cached_alias_bound_scoring(store, tmp_path: Path) -> None:  # noqa: ANN001
    path = champion_graph(tmp_path / "a.yaml", 1.0)
    assert _drive(store, path) == "succeeded"
    started = time.monotonic()
    assert _drive(store, path) == "succeeded"  # every step cached, the deployment check included
    assert time.monotonic() - started < 30
    with store.read() as uow:
        second = uow.runs.all()[0]
        steps = {s.node_id: s for s in uow.runs.steps(second.id)}
        assert all("cached_from" in steps[n].info for n in ("data", "train", "score"))
        assert steps["promote"].target == "orchestrator"  # control steps always run


def test_scoring_without_a_champion_says_what_to_do(store, tmp_path: Path) -> None:  # noqa: ANN001
    graph = load_template("inference")
    save(graph, tmp_path / "inference.yaml")
    assert _drive(store, tmp_path / "inference.yaml") == "failed"
    with store.read() as uow:
        (run,) = uow.runs.all()
        step = uow.runs.latest_steps(run.id)["score"]
    assert "has no version with the alias 'champion' yet" in step.error


def _trigger_graph(path: Path, on: str) -> Path:
    graph = Graph("triggered")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_sklearn", id="train", params={"model_name": "t"})
    graph.add_node("trigger", id="when", params={"on": on, "interval_minutes": 1})
    graph.connect("data", "data", "train", "data")
    graph.connect("when", "start", "train", "trigger")
    save(graph, path)
    return path


def test_schedule_and_manual_triggers(store, tmp_path: Path) -> None:  # noqa: ANN001
    watcher = trigger_service.watcher(store, "bob", _trigger_graph(tmp_path / "s.yaml", "schedule"), spawn=False)
    start = now_ms()
    assert watcher.tick(start) == []
    (run,) = watcher.tick(start + 61_000)
    assert run.trigger == "schedule:when" and run.params["nodes"] == ["train"]
    assert watcher.tick(start + 62_000) == []
    manual = trigger_service.fire(store, "bob", tmp_path / "s.yaml", "when", spawn=False)
    assert manual.trigger == "manual:when"
    with pytest.raises(Exception, match="not a trigger node"):
        trigger_service.fire(store, "bob", tmp_path / "s.yaml", "train", spawn=False)


def test_model_promoted_trigger(store, tmp_path: Path) -> None:  # noqa: ANN001
    assert _drive(store, champion_graph(tmp_path / "a.yaml", 1.0)) == "succeeded"
    watcher = trigger_service.watcher(store, "bob", _trigger_graph(tmp_path / "p.yaml", "model_promoted"), spawn=False)
    assert watcher.tick() == []
    model_service.promote(store, "bob", "m", 1, "challenger")
    (run,) = watcher.tick()
    assert run.trigger == "model_promoted:when"
    assert watcher.tick() == []


def test_a_drift_alert_starts_retraining(store, tmp_path: Path) -> None:  # noqa: ANN001
    from sklearn.datasets import load_breast_cancer

    frame = load_breast_cancer(as_frame=True).frame
    rng = np.random.default_rng(0)
    shifted = frame.sample(2000, replace=True, random_state=0).reset_index(drop=True)
    for column in shifted.columns[:-1]:  # every feature, not the target
        shifted[column] = shifted[column] * 1.8 + rng.normal(0, shifted[column].std(), len(shifted))
    shifted.to_csv(tmp_path / "live.csv", index=False)
    graph = load_template("retrain")
    graph.set_param("live", "format", "csv")
    graph.set_param("live", "path", str(tmp_path / "live.csv"))
    graph.set_param("drift", "consecutive_windows", 1)
    save(graph, tmp_path / "retrain.yaml")
    assert _drive(store, tmp_path / "retrain.yaml") == "succeeded"
    with store.read() as uow:
        runs = uow.runs.all()
        alerts = uow.alerts.all()
        drift = uow.results.drift("Retraining feeding inference/drift")
    assert alerts and alerts[0].source == "Retraining feeding inference/drift"
    assert any(d.drifted for d in drift)
    follow_up = [r for r in runs if r.trigger == "alert:drift->retrain"]
    assert len(follow_up) == 1 and "train" in follow_up[0].params["nodes"]
    with store.write("bob") as uow:
        uow.runs.request_cancel(follow_up[0].id)


def test_finding_1_a_scientists_graph_without_a_gate_promotes_nothing(store, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 13, finding 1: a scientist (who may not promote) ran train → promote and got a
    champion. A graph promotes with its starter's rights; without them only an approval does."""
    from workbench.services.users import add_user

    add_user(store, "alice", "sam", ["scientist"])
    run = start_run(store, "sam", champion_graph(tmp_path / "a.yaml", 1.0, gate=False, alias="challenger"),
                    detach=False)
    assert RunDriver(store, run.id).drive() == "failed"
    with store.read() as uow:
        step = uow.runs.latest_steps(run.id)["promote"]
        assert uow.models.by_alias("m", "challenger") is None and uow.models.by_alias("m", "champion") is None
    assert step.status == "failed" and "sam started this run and may not promote" in step.error
    assert "approval gate" in step.error


def test_finding_1_not_even_an_engineer_makes_a_champion_without_an_approval(store, tmp_path: Path) -> None:  # noqa: ANN001
    """Issue 13, finding 1: engineers promoted to champion with no request at all. Now the
    champion alias needs an approved request for that very version, from a graph or by hand."""
    from workbench.errors import PermissionDeniedError
    from workbench.graph.errors import GraphValidationError

    with pytest.raises(GraphValidationError, match="promotes to champion with no approval gate"):
        _drive(store, champion_graph(tmp_path / "a.yaml", 1.0, gate=False))  # bob is an engineer
    _drive(store, champion_graph(tmp_path / "c.yaml", 1.0, gate=False, alias="challenger"))  # scoring finds no champion
    with store.read() as uow:
        (run,) = uow.runs.all()
        promoted = uow.runs.latest_steps(run.id)["promote"]
        assert promoted.status == "succeeded" and uow.models.by_alias("m", "challenger").version == 1
        assert uow.models.by_alias("m", "champion") is None  # the first version waits for its approval
        assert "becomes champion once a risk officer approves it" in " ".join(
            line.line for line in uow.runs.logs(promoted.id))
    with pytest.raises(PermissionDeniedError, match="no approved request"):
        model_service.promote(store, "bob", "m", 1, "champion")
    model_service.promote(store, "bob", "m", 1, "challenger")  # other aliases stay the engineer's call
    assert _drive(store, champion_graph(tmp_path / "b.yaml", 0.5)) == "succeeded"  # through the gate
    with store.read() as uow:
        assert uow.models.by_alias("m", "champion").version == 2
    model_service.promote(store, "bob", "m", 2, "champion")  # approved: may be promoted again by hand
