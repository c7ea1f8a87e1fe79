"""``workbench serve`` and ``workbench replay`` as a user runs them: a real process serving on
a free port, a replay against it, and a graceful stop that flushes the prediction log."""

from __future__ import annotations

import json

from tests.serving.helpers import Served, ServeProcess, call, logged_counts
from tests.support.cli import no_traceback, workbench

GRAPH = "Champion/challenger canary"


def test_serve_answers_replay_reports_and_a_stop_flushes_the_log(served: Served) -> None:
    server = ServeProcess(served, "canary", "--poll", "0.2")
    try:
        assert "champion breast_cancer/1, challenger breast_cancer/2" in server.first
        assert "challenger answers 10%" in server.first
        status, health = call(server.url, "GET", "/health")
        assert status == 200 and health["status"] == "ok"

        as_json = workbench("--user", "bob", "replay", str(served.csv), "--url", server.url,
                            "--count", "40", "--json", env={"WORKBENCH_STORE": served.url})
        assert as_json.returncode == 0, as_json.stderr
        report = json.loads(as_json.stdout)
        assert (report["sent"], report["answered"], report["failed"]) == (40, 40, 0)
        assert report["p50_ms"] > 0 and sum(report["variants"].values()) == 40

        text = workbench("replay", str(served.dataset), "--url", server.url, "--count", "20",
                         "--batch", "3", "--rate", "100", "--prefix", "again")
        assert text.returncode == 0, text.stderr
        assert text.stdout.startswith("sent 20 request(s) in ") and "20 answered, 0 failed" in text.stdout
        assert "latency p50" in text.stdout
    finally:
        code, out = server.stop()
    assert code == 0, server.errors.read_text()
    assert "stopped: 200 prediction row(s) logged, 0 dropped" in out  # (40 + 20·3) rows × 2 models
    counts = logged_counts(served.store, f"{GRAPH}/canary/champion", f"{GRAPH}/canary/challenger")
    assert set(counts.values()) == {100}


def test_serve_with_two_workers_logs_every_row_once(served: Served) -> None:
    """``--workers 2``: two processes share the port; every request is logged exactly once, by
    the worker that answered it, for both models of the canary."""
    server = ServeProcess(served, "canary", "--workers", "2", "--poll", "0.2")
    try:
        assert "with 2 worker processes on" in server.first
        replayed = workbench("--user", "bob", "replay", str(served.csv), "--url", server.url,
                             "--count", "300", "--concurrency", "6", "--prefix", "w", "--json",
                             env={"WORKBENCH_STORE": served.url})
        assert replayed.returncode == 0, replayed.stderr
        assert json.loads(replayed.stdout)["answered"] == 300
    finally:
        code, out = server.stop()
    assert code == 0, server.errors.read_text()
    assert "stopped: 600 prediction row(s) logged, 0 dropped (by 2 workers)" in out, out
    for source in (f"{GRAPH}/canary/champion", f"{GRAPH}/canary/challenger"):
        with served.store.read() as uow:
            ids = [row["request_id"] for row in uow.predictions.logged(source)]
        assert len(ids) == 300 and len(set(ids)) == 300


def test_serve_needs_the_serve_permission_and_a_servable_node(served: Served) -> None:
    env = {"WORKBENCH_STORE": served.url}
    denied = workbench("--user", "anna", "serve", str(served.canary), "--node", "canary", env=env)
    assert denied.returncode == 3 and "needs the role" in denied.stderr and no_traceback(denied)
    wrong = workbench("--user", "bob", "serve", str(served.canary), "--node", "data", env=env)
    assert wrong.returncode == 1 and "a data_source node cannot be served" in wrong.stderr
    nobody = workbench("replay", str(served.csv), "--url", "http://127.0.0.1:9")
    assert nobody.returncode == 2 and "no inference service answers" in nobody.stderr
