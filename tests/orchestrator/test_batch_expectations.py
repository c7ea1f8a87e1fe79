"""Expectations on an ``inference`` node in a run: every prediction window of the scored batch is
checked against all of its rules; what a window breaks is in its summary, a deviation finding
of the source and a deviation alert (counted per window, cleared by a window that meets the
rule), and the step still succeeds. A spec that cannot be used fails the step, naming it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.support.store_setup import cast_store
from workbench.graph import Graph, save
from workbench.orchestrator.runner import RunDriver
from workbench.services.monitoring import expectation_findings, list_alerts
from workbench.services.runs import start_run

SOURCE = "batch expectations/score"


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def _graph(path: Path, expectations: object) -> Path:
    graph = Graph("batch expectations")
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_sklearn", id="train", params={"model_name": "m"})
    graph.add_node("inference", id="score", params={"expectations": expectations})
    graph.connect("data", "data", "train", "data")
    graph.connect("train", "model", "score", "model")
    graph.connect("data", "data", "score", "data")
    save(graph, path)
    return path


def _drive(store, path: Path) -> str:  # noqa: ANN001
    run = start_run(store, "bob", path, detach=False)
    result: dict[str, str] = {}
    driver = threading.Thread(target=lambda: result.setdefault("status", RunDriver(store, run.id).drive()))
    driver.start()
    driver.join(300)
    return result["status"]


def test_a_scored_batch_breaking_expectations_records_findings_and_alerts(store, tmp_path: Path) -> None:  # noqa: ANN001
    spec = {"rows": {"min": 50},
            "columns": {"mean radius": {"max": 15.0}, "mean texture": {"max_null_rate": 0.0},
                        "worst area": {"unique": True}}}
    assert _drive(store, _graph(tmp_path / "g.yaml", spec)) == "succeeded"
    with store.read() as uow:
        windows = uow.predictions.windows(SOURCE)
        run = uow.runs.all()[0]
        step = uow.runs.latest_steps(run.id)["score"]
    # 569 rows in windows of 500: the last window has 69 rows, so rows.min holds in both
    assert [w.count for w in windows] == [500, 69]
    broken = [[(v["column"], v["rule"]) for v in w.summary["expectations"]["violations"]] for w in windows]
    assert all(("mean radius", "max") in b for b in broken)  # both windows have radii above 15
    assert all(("mean texture", "max_null_rate") not in b and (None, "rows.min") not in b for b in broken)
    assert ["mean radius", "max"] in windows[0].summary["expectations"]["checked"]
    assert step.status == "succeeded" and step.info["metrics"]["expectations_broken"] == sum(map(len, broken))

    found = expectation_findings(store, "olga", SOURCE)
    assert {(f.window_id, f.finding.column, f.finding.counts["rule"]) for f in found} == {
        (w.id, column, rule) for w, b in zip(windows, broken, strict=True) for column, rule in b}
    alerts = {a.condition: a for a in list_alerts(store, "olga", source=SOURCE)}
    radius = alerts["expectation max on 'mean radius'"]
    assert radius.kind == "deviation" and radius.count == 2 and radius.run_id == run.id
    assert "values ≤ 15.0" in radius.message and f"run {run.id}, prediction window" in radius.message
    assert "expectation max_null_rate on 'mean texture'" not in alerts


def test_a_batch_that_meets_the_rules_clears_the_open_alert(store, tmp_path: Path) -> None:  # noqa: ANN001
    assert _drive(store, _graph(tmp_path / "a.yaml", {"columns": {"mean radius": {"max": 20.0}}})) == "succeeded"
    assert [a.holding for a in list_alerts(store, "olga", source=SOURCE)] == [True]
    assert _drive(store, _graph(tmp_path / "b.yaml", {"columns": {"mean radius": {"max": 100.0}}})) == "succeeded"
    (alert,) = list_alerts(store, "olga", status=None, source=SOURCE)
    assert not alert.holding and alert.cleared_at is not None


def test_expectations_that_cannot_be_used_fail_the_step_naming_the_node(store, tmp_path: Path) -> None:  # noqa: ANN001
    assert _drive(store, _graph(tmp_path / "g.yaml", {"columns": {"mean radius": {"maximum": 1}}})) == "failed"
    with store.read() as uow:
        step = uow.runs.latest_steps(uow.runs.all()[0].id)["score"]
    assert step.status == "failed" and "expectations cannot be used" in step.error
    assert "maximum" in step.error and "score" in step.error
