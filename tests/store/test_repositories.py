"""Each repository's behaviour, the same on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from workbench.store import ConflictError, NotFoundError


def test_users_and_roles(store) -> None:
    with store.write("admin") as uow:
        bob = uow.users.add("bob", ["scientist", "engineer", "scientist"])
        assert bob.roles == ("engineer", "scientist")
        with pytest.raises(ConflictError, match="already exists"):
            uow.users.add("bob", ["analyst"])
        with pytest.raises(ConflictError, match="unknown role 'wizard'"):
            uow.users.add("eve", ["wizard"])
        assert uow.users.set_roles("bob", ["approver"]).roles == ("approver",)
    with store.read() as uow:
        assert [(u.name, u.roles) for u in uow.users.all()] == [("admin", ("admin",)), ("bob", ("approver",))]
        actions = [(e.action, e.actor, e.subject) for e in uow.audit.all()]
        assert actions[-2:] == [("users.add", "admin", "user:bob"), ("users.roles", "admin", "user:bob")]
        with pytest.raises(NotFoundError, match="no user named 'zed'"):
            uow.users.get("zed")


def test_graph_versions_only_grow_on_a_real_change(store) -> None:
    with store.write("admin") as uow:
        project = uow.projects.ensure()
        v1 = uow.graphs.save(project.id, "churn", "nodes: []\n")
        same = uow.graphs.save(project.id, "churn", "nodes: []\n")
        v2 = uow.graphs.save(project.id, "churn", "nodes: [a]\n")
    assert (v1.version, same.id, v2.version) == (1, v1.id, 2)
    assert len(v1.sha256) == 64 and v1.sha256 != v2.sha256
    with store.read() as uow:
        assert uow.graphs.latest(project.id, "churn").text == "nodes: [a]\n"


def test_runs_steps_and_logs(store) -> None:
    with store.write("admin") as uow:
        project = uow.projects.ensure()
        run = uow.runs.create(project.id, None, target="local", trigger="manual", params={"seed": 1})
        step = uow.runs.add_step(run.id, "train")
        uow.runs.set_status(run.id, "running")
        uow.runs.set_step_status(step.id, "running", info={"device": "cpu"})
        assert uow.runs.append_logs(step.id, [("stdout", "epoch 1"), ("stderr", "warning")]) == 2
        uow.runs.set_step_status(step.id, "failed", exit_code=-9, error="killed", info={"pid": 42})
        done = uow.runs.set_status(run.id, "failed", error="step train failed")
        with pytest.raises(ConflictError, match="unknown run status"):
            uow.runs.set_status(run.id, "exploded")
    assert done.started_at is not None and done.finished_at is not None and done.params == {"seed": 1}
    with store.read() as uow:
        (got,) = uow.runs.steps(run.id)
        assert (got.status, got.exit_code, got.info) == ("failed", -9, {"device": "cpu", "pid": 42})
        logs = uow.runs.logs(step.id)
        assert [(line.stream, line.line) for line in logs] == [("stdout", "epoch 1"), ("stderr", "warning")]
        assert uow.runs.logs(step.id, since_id=logs[0].id)[0].line == "warning"


def test_artifacts_lineage_and_model_registry(store) -> None:
    with store.write("admin") as uow:
        data = uow.artifacts.add("dataset", "file:///d.csv", "a" * 64, 10, lineage={"source": "csv"})
        model = uow.artifacts.add("model", "file:///m.joblib", "b" * 64, 20, inputs=[data.id, data.id])
        preds = uow.artifacts.add("predictions", "file:///p.parquet", "c" * 64, 30, inputs=[model.id, data.id])
        with pytest.raises(ConflictError, match="sha256"):
            uow.artifacts.add("model", "file:///x", "short", 1)
        v1 = uow.models.register("churn", artifact_id=model.id, metrics={"auc": 0.9})
        v2 = uow.models.register("churn", artifact_id=model.id)
        first = uow.models.set_alias("churn", 1, "champion")
        second = uow.models.set_alias("churn", 2, "champion")
        uow.models.record_deployment("serve", "churn", second.old_version_id, second.new_version_id)
        with pytest.raises(ConflictError, match="unknown alias"):
            uow.models.set_alias("churn", 1, "king")
    assert (v1.version, v2.version) == (1, 2)
    assert first.old_version_id is None and second.old_version_id == v1.id
    with store.read() as uow:
        assert [a.id for a in uow.artifacts.ancestry(preds.id)] == [preds.id, data.id, model.id]
        assert uow.models.by_alias("churn", "champion").version == 2
        assert uow.models.get("churn", 2).aliases == ("champion",)
        (event,) = uow.models.deployments("churn")
        assert (event.old_version_id, event.new_version_id, event.node_id) == (v1.id, v2.id, "serve")
        assert [e.action for e in uow.audit.all(subject="model:churn/2")] == [
            "models.register", "models.alias"]


def test_metrics_bulk_path_and_incremental_reads(store) -> None:
    n = 50_000
    with store.write("admin") as uow:
        series = uow.metrics.series("loss", run_id=None)
        assert uow.metrics.series("loss", run_id=None) == series
        values = np.linspace(0.0, 1.0, n)
        assert uow.metrics.append(series, np.arange(n), np.arange(n) * 10, values) == n
        with pytest.raises(ConflictError, match="differ in length"):
            uow.metrics.append(series, [1, 2], [1], [0.5])
    with store.read() as uow:
        points = uow.metrics.points(series)
        assert np.array_equal(points["step"], np.arange(n))
        assert np.allclose(points["value"], values)
        last = int(points["id"][-1])
    with store.write("admin") as uow:
        uow.metrics.append_rows([(series, n, 0, 2.0), (series, n + 1, 0, 3.0)])
    with store.read() as uow:
        newer = uow.metrics.points(series, since_id=last)
        assert newer["value"].tolist() == [2.0, 3.0]
        assert [c.key for c in uow.changes.since(0, topics=("metrics",))] == [str(series), str(series)]


def test_predictions_windows_results_and_kpis(store) -> None:
    with store.write("admin") as uow:
        rows = [(f"r{i}", 1000 + i, i / 10, "yes" if i % 2 else "no", {"x": i}) for i in range(10)]
        assert uow.predictions.log("canary", None, rows) == 10
        uow.predictions.add_window("canary", None, 0, 60_000, 10, {"mean_score": 0.45})
        uow.results.add_drift("canary", 0, 60_000, [
            {"column": "x", "method": "ks", "statistic": 0.3, "p_value": 0.01, "threshold": 0.05, "drifted": True},
            {"column": "y", "method": "psi", "statistic": 0.01, "p_value": None, "threshold": 0.1, "drifted": False}])
        uow.results.add_divergence("canary", 0, 60_000, "histogram_rmse", 0.2, 0.1, True, {"n": 10})
        kpi = uow.kpis.ensure("revenue", unit="EUR")
        uow.kpis.upsert_points(kpi.id, [(1, 10.0), (2, 11.0)])
        uow.kpis.upsert_points(kpi.id, [(2, 12.5), (3, 13.0)])
    with store.read() as uow:
        logged = uow.predictions.logged("canary")
        assert [r["request_id"] for r in logged] == [f"r{i}" for i in range(10)]
        assert uow.predictions.logged("canary", since_id=logged[-2]["id"])[0]["request_id"] == "r9"
        assert uow.predictions.windows("canary")[0].summary == {"mean_score": 0.45}
        drift = uow.results.drift("canary")
        assert [(d.column, d.drifted, d.p_value) for d in drift] == [("x", True, 0.01), ("y", False, None)]
        assert uow.results.divergence("canary")[0].details == {"n": 10}
        assert uow.kpis.points("revenue")["value"].tolist() == [10.0, 12.5, 13.0]


def test_approvals_need_a_reason_and_are_decided_once(store) -> None:
    with store.write("admin") as uow:
        uow.users.add("sam", ["scientist"])
    with store.write("sam") as uow:  # the requester never decides (on PostgreSQL the database says so too)
        request = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate",
                                        evidence={"auc": 0.91})
        stale = uow.approvals.request(model_version_id=None, run_id=None, expires_at=1)
        overdue = uow.approvals.request(model_version_id=None, run_id=None, expires_at=2)
    with store.write("admin") as uow:
        with pytest.raises(ConflictError, match="needs a reason"):
            uow.approvals.decide(request.id, "approved", "   ")
        decided = uow.approvals.decide(request.id, "approved", "metrics beat the champion")
        with pytest.raises(ConflictError, match="is approved, not open"):
            uow.approvals.decide(request.id, "rejected", "changed my mind")
        with pytest.raises(ConflictError, match="is expired"):
            uow.approvals.decide(stale.id, "approved", "late")
    assert decided.status == "approved" and decided.decision.reason == "metrics beat the champion"
    with store.read() as uow:
        # deciding an expired request marks it expired; the overdue one is still open
        assert [r.status for r in uow.approvals.all()] == ["approved", "expired", "open"]
    with store.write("admin") as uow:
        assert uow.approvals.expire_due() == [overdue.id]
    # The database itself refuses a decision without a reason.
    with pytest.raises(IntegrityError), store.write("admin") as uow:
        uow.session.execute(text("INSERT INTO approval_decisions (request_id, decision, reason, "
                                 "decided_by, decided_at) VALUES (:r, 'rejected', '  ', 'x', 0)"),
                            {"r": stale.id})


def test_change_feed_is_monotonic_and_filterable(store) -> None:
    with store.read() as uow:
        start = uow.changes.latest_id()
    with store.write("admin") as uow:
        uow.comments.add("run", 1, "looks good")
        uow.comments.add("run", 1, "second thought")
    with store.read() as uow:
        changes = uow.changes.since(start, topics=("comments",))  # each comment is audited too
        assert [c.topic for c in changes] == ["comments", "comments"]
        assert changes[0].id < changes[1].id and all(c.actor == "admin" for c in changes)
        assert {c.topic for c in uow.changes.since(start)} == {"comments", "audit"}
        assert uow.changes.since(changes[-1].id, topics=("comments",)) == []
        assert [c.text for c in uow.comments.all("run", 1)] == ["looks good", "second thought"]


def test_metrics_into_an_unknown_series_are_refused(store) -> None:
    with pytest.raises(NotFoundError, match="no metric series with id 999"), store.write("admin") as uow:
        uow.metrics.append(999, [1], [1], [1.0])
    with pytest.raises(NotFoundError), store.write("admin") as uow:
        uow.metrics.append_rows([(998, 1, 1, 1.0)])
    with store.read() as uow:
        assert uow.changes.since(0, topics=("metrics",)) == []
