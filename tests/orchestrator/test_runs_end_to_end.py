"""The approval template end to end through the CLI, as a scientist and a risk officer
would drive it: train, evaluate, wait for approval, approve, promote, score — with the
lineage from the predictions back to the dataset's hash."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.orchestrator.artifacts import ArtifactStore


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    return {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}


def _wait_for(predicate, timeout: float = 120, every: float = 0.3):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def _open_requests(env: dict[str, str]) -> list[dict]:
    listed = workbench("--user", "rita", "approvals", "list", "--status", "open", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def _start(env: dict[str, str], graph: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "workbench", "--user", "bob", "run", str(graph), "--wait", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**__import__("os").environ, **env})


def test_approval_template_end_to_end(env: dict[str, str], tmp_path: Path) -> None:
    graph = tmp_path / "approval.yaml"
    assert workbench("graph", "new", "--template", "approval", "-o", str(graph), env=env).returncode == 0
    waiting = _start(env, graph)
    (request,) = _wait_for(lambda: _open_requests(env))
    assert request["evidence"]["model"]["metrics"]["accuracy"] > 0.9
    assert request["requested_by"] == "bob"

    denied = workbench("--user", "bob", "approve", str(request["id"]), "--reason", "mine", env=env)
    assert denied.returncode == 3 and no_traceback(denied)
    no_reason = workbench("--user", "rita", "approve", str(request["id"]), "--reason", " ", env=env)
    assert no_reason.returncode == 1 and "reason" in no_reason.stderr
    approved = workbench("--user", "rita", "approve", str(request["id"]), "--reason", "beats the baseline", env=env)
    assert approved.returncode == 0, approved.stderr

    out, err = waiting.communicate(timeout=180)
    assert waiting.returncode == 0, out + err
    assert f"waiting for approval request {request['id']}" in out and "succeeded" in out

    models = json.loads(workbench("--user", "bob", "models", "list", "--json", env=env).stdout)
    (version,) = [m for m in models if m["name"] == "breast_cancer"]
    assert "champion" in version["aliases"] and "candidate" in version["aliases"]

    from workbench.store import open_store

    store = open_store(env["WORKBENCH_STORE"])
    artifacts = ArtifactStore.for_store(store.url)
    with store.read() as uow:
        (run,) = uow.runs.all()
        steps = uow.runs.latest_steps(run.id)
        assert {s.status for s in steps.values()} == {"succeeded"}
        (predictions_id,) = uow.runs.outputs(steps["score"].id)["predictions"]
        chain = uow.artifacts.ancestry(predictions_id)
        kinds = [a.kind for a in chain]
        assert kinds[0] == "predictions" and "model" in kinds and "dataset" in kinds
        dataset = next(a for a in chain if a.kind == "dataset")
        assert len(dataset.lineage["meta"]["source_sha256"]) == 64
        assert dataset.lineage["graph_sha256"] and dataset.lineage["python"]
        predictions = pd.read_parquet(artifacts.path(chain[0].sha256))
        assert len(predictions) == 569 and {"row_id", "prediction", "score"} <= set(predictions.columns)
        assert uow.predictions.windows("Human approval gate/score")
        actions = [e.action for e in uow.audit.all(limit=1000)]
        assert "approvals.approve" in actions and "models.alias" in actions
        assert uow.audit.verify().ok
    store.close()


def test_rejection_ends_the_run_rejected(env: dict[str, str], tmp_path: Path) -> None:
    graph = tmp_path / "approval.yaml"
    workbench("graph", "new", "--template", "approval", "-o", str(graph), env=env)
    waiting = _start(env, graph)
    (request,) = _wait_for(lambda: _open_requests(env))
    rejected = workbench("--user", "rita", "reject", str(request["id"]), "--reason", "too risky", env=env)
    assert rejected.returncode == 0
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 1 and "rejected" in out
    shown = json.loads(workbench("--user", "bob", "runs", "list", "--json", env=env).stdout)
    assert shown[0]["status"] == "rejected" and "too risky" in shown[0]["error"]
    models = json.loads(workbench("--user", "bob", "models", "list", "--json", env=env).stdout)
    assert all("champion" not in m["aliases"] for m in models)


def test_an_invalid_graph_never_becomes_a_run(env: dict[str, str], tmp_path: Path) -> None:
    graph = tmp_path / "bad.yaml"
    workbench("graph", "new", "--template", "approval", "-o", str(graph), env=env)
    text = graph.read_text().replace("- {from: data.data, to: train.data}\n", "")
    graph.write_text(text)
    result = workbench("--user", "bob", "run", str(graph), env=env)
    assert result.returncode == 1 and "train" in result.stderr and no_traceback(result)
    assert json.loads(workbench("--user", "bob", "runs", "list", "--json", env=env).stdout) == []


def test_only_scientists_and_engineers_run_graphs(env: dict[str, str], tmp_path: Path) -> None:
    graph = tmp_path / "a.yaml"
    workbench("graph", "new", "--template", "inference", "-o", str(graph), env=env)
    denied = workbench("--user", "anna", "run", str(graph), env=env)
    assert denied.returncode == 3 and "needs the role" in denied.stderr


def test_finding_2_a_decision_inserted_around_the_services_releases_no_run(env: dict[str, str],
                                                                        tmp_path: Path) -> None:
    """Issue 13, finding 2: a row written into approval_decisions with plain SQL (no audit
    entry, no signature) once released a waiting run; now the gate does not trust it."""
    import sqlite3

    graph = tmp_path / "approval.yaml"
    workbench("graph", "new", "--template", "approval", "-o", str(graph), env=env)
    waiting = _start(env, graph)
    (request,) = _wait_for(lambda: _open_requests(env))
    database = env["WORKBENCH_STORE"].removeprefix("sqlite:///")
    with sqlite3.connect(database) as conn:
        conn.execute("INSERT INTO approval_decisions (request_id, decision, reason, decided_by, decided_at) "
                     "VALUES (?, 'approved', 'trust me', 'rita', 0)", (request["id"],))
        conn.execute("UPDATE approval_requests SET status = 'approved' WHERE id = ?", (request["id"],))
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 1 and "does not trust it" in out + err, out + err
    assert "no audit entry records the decision" in out + err
    models = json.loads(workbench("--user", "bob", "models", "list", "--json", env=env).stdout)
    assert all("champion" not in m["aliases"] for m in models)
