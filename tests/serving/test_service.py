"""The REST inference service on a real uvicorn (127.0.0.1, a free port), against a store whose
champion and challenger the real pipeline trained: the canary acceptance, shadow mode, input
validation, health and schema, model propagation, and logging with the store away."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.serving.helpers import Served, ServeProcess, call, logged_counts, wait_for
from workbench.serving.prediction_log import PredictionLogger
from workbench.serving.replay import replay
from workbench.serving.server import RunningServer, serve_in_thread
from workbench.serving.service import InferenceService, routes_to_challenger
from workbench.store import Store

GRAPH = "Champion/challenger canary"
CHAMPION_LOG, CHALLENGER_LOG = f"{GRAPH}/canary/champion", f"{GRAPH}/canary/challenger"


@pytest.fixture
def serve(served: Served) -> Iterator[Callable[..., RunningServer]]:
    running: list[RunningServer] = []

    def start(node: str, graph: Path | None = None, **options: Any) -> RunningServer:
        options.setdefault("poll_s", 0.2)
        service = InferenceService.open(served.store, "bob", str(graph or served.canary), node,
                                        **options)
        server = serve_in_thread(service)
        running.append(server)
        return server

    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):  # as run_server does: spinning BLAS threads cost latency
        yield start
        for server in running:
            server.stop()


def _rows(served: Served, n: int = 3) -> list[dict[str, Any]]:
    frame = pd.read_parquet(served.dataset).drop(columns=["row_id", "target"])
    return frame.head(n).to_dict("records")


def _version_ids(store: Store) -> dict[int, int]:
    with store.read() as uow:
        return {m.version: m.id for m in uow.models.all("breast_cancer")}


def test_canary_serves_both_models_and_logs_every_request_for_both(served: Served) -> None:
    # the acceptance: the canary template behind ``workbench serve`` (its own process), 90/10
    server = ServeProcess(served, "canary")
    try:
        report = replay(served.dataset, server.url, count=2000, concurrency=4)
        health = call(server.url, "GET", "/health")[1]
    finally:
        code, out = server.stop()  # graceful: the log is flushed
    assert code == 0 and "stopped: 4000 prediction row(s) logged, 0 dropped" in out
    assert (report.sent, report.answered, report.failed) == (2000, 2000, 0)
    assert report.statuses == {"200": 2000}
    # the split follows the request ids: the same replay splits the same way, close to 90/10
    expected = sum(routes_to_challenger(f"replay-{k}", 0.1) for k in range(2000))
    assert report.variants == {"champion": 2000 - expected, "challenger": expected}
    assert 0.08 < expected / 2000 < 0.12
    assert health["requests"] == 2000 and health["answered_by"]["challenger"] == expected

    assert logged_counts(served.store, CHAMPION_LOG, CHALLENGER_LOG) == {CHAMPION_LOG: 2000,
                                                                         CHALLENGER_LOG: 2000}
    ids = _version_ids(served.store)
    with served.store.read() as uow:
        champion, challenger = uow.predictions.logged(CHAMPION_LOG), uow.predictions.logged(CHALLENGER_LOG)
        windows = uow.predictions.windows(CHAMPION_LOG)
    assert {r["model_version_id"] for r in champion} == {ids[1]}
    assert {r["model_version_id"] for r in challenger} == {ids[2]}
    # both sides hold the same requests, so the comparator can pair them
    assert {r["request_id"] for r in champion} == {r["request_id"] for r in challenger} == {
        f"replay-{k}" for k in range(2000)}
    assert all(0.0 <= r["score"] <= 1.0 and r["label"] in ("0", "1") for r in champion)
    assert sum(w.count for w in windows) == 2000 and len(windows) == 4
    assert {"score_histogram", "features", "class_rates"} <= set(windows[0].summary)
    assert windows[0].summary["features"]["mean radius"]["missing"] == 0


def test_shadow_mode_never_answers_with_the_challenger_but_logs_it(
        served: Served, serve: Callable[..., RunningServer]) -> None:
    graph = served.graph_with("shadow.yaml", "canary", shadow=True, traffic_split=0.5)
    running = serve("canary", graph)
    report = replay(served.dataset, running.url, count=300, concurrency=3, batch=2)
    assert report.answered == 300 and report.variants == {"champion": 300}
    assert call(running.url, "GET", "/health")[1]["mode"] == "shadow"
    running.stop()
    assert logged_counts(served.store, CHAMPION_LOG, CHALLENGER_LOG) == {CHAMPION_LOG: 600,
                                                                         CHALLENGER_LOG: 600}
    with served.store.read() as uow:
        ids = {r["request_id"] for r in uow.predictions.logged(CHALLENGER_LOG)}
    assert "replay-7#0" in ids and "replay-7#1" in ids


def test_bad_input_gets_422_naming_the_row_and_the_field(
        served: Served, serve: Callable[..., RunningServer]) -> None:
    running = serve("canary", max_rows=50)
    rows = _rows(served)
    status, body = call(running.url, "POST", "/predict", {"rows": rows, "request_id": "ok-1"})
    assert status == 200 and body["request_id"] == "ok-1" and len(body["predictions"]) == 3
    first = body["predictions"][0]
    assert set(first) == {"prediction", "score", "model", "variant"}
    assert first["model"] in ("breast_cancer/1", "breast_cancer/2")

    missing = [rows[0], {k: v for k, v in rows[1].items() if k != "mean radius"}]
    status, body = call(running.url, "POST", "/predict", {"rows": missing})
    assert status == 422 and body["message"] == "row 1: missing feature 'mean radius'"
    assert body["detail"][0]["loc"] == ["body", "rows", 1, "mean radius"]

    status, body = call(running.url, "POST", "/predict", {"rows": [{**rows[0], "colour": 1}]})
    assert status == 422 and "row 0: unknown feature 'colour'" in body["message"]

    status, body = call(running.url, "POST", "/predict",
                        {"rows": [rows[0], rows[1], {**rows[2], "mean area": "big"}]})
    assert status == 422
    assert body["message"] == "row 2, feature 'mean area': expected a number, got 'big'"

    status, body = call(running.url, "POST", "/predict", {"rows": []})
    assert status == 422 and "empty" in body["message"]
    status, body = call(running.url, "POST", "/predict", {"rows": [rows[0]] * 51})
    assert status == 422 and "too many rows: 51" in body["message"] and "at most 50" in body["message"]
    status, body = call(running.url, "POST", "/predict", {"data": rows})
    assert status == 422 and body["message"] == "rows: Field required"
    status, body = call(running.url, "POST", "/predict", raw=b"{not json")
    assert status == 422 and body["detail"]
    status, body = call(running.url, "POST", "/predict", {"rows": rows, "request_id": "x" * 65})
    assert status == 422 and "request_id" in body["message"]
    assert call(running.url, "GET", "/health")[1]["requests"] == 1


def test_health_model_and_openapi(served: Served, serve: Callable[..., RunningServer]) -> None:
    running = serve("canary")
    status, health = call(running.url, "GET", "/health")
    assert status == 200 and health["status"] == "ok" and health["mode"] == "canary"
    assert [(m["variant"], m["model"]) for m in health["models"]] == [
        ("champion", "breast_cancer/1"), ("challenger", "breast_cancer/2")]
    assert health["queue_depth"] == 0 and health["dropped"] == 0 and health["log"]["enabled"]

    described = call(running.url, "GET", "/model")[1]
    assert len(described["features"]) == 30 and "target" not in described["features"]
    assert set(described["feature_types"].values()) == {"number"}
    assert described["traffic_split"] == 0.1
    assert [m["log_source"] for m in described["models"]] == [CHAMPION_LOG, CHALLENGER_LOG]

    status, schema = call(running.url, "GET", "/openapi.json")
    assert status == 200 and {"/predict", "/health", "/model"} <= set(schema["paths"])
    request = schema["components"]["schemas"]["PredictRequest"]
    row = request["properties"]["rows"]["items"]
    assert row["properties"]["mean radius"] == {"type": "number"} and len(row["required"]) == 30
    assert row["additionalProperties"] is False
    assert "422" in schema["paths"]["/predict"]["post"]["responses"]


def test_a_newly_promoted_champion_is_served_without_a_restart(
        served: Served, serve: Callable[..., RunningServer]) -> None:
    from workbench.services.models import promote

    ids = _version_ids(served.store)
    source = f"{GRAPH}/champion"

    def deployments() -> list[Any]:
        with served.store.read() as uow:
            return [d for d in uow.models.deployments("breast_cancer") if d.node_id == source]

    assert deployments() == []
    running = serve("champion")
    rows = _rows(served, 1)
    assert call(running.url, "POST", "/predict", {"rows": rows})[1]["predictions"][0]["model"] == \
        "breast_cancer/1"
    (started,) = deployments()  # the node's first deployment: nothing → version 1
    assert (started.old_version_id, started.new_version_id) == (None, ids[1])

    traffic: dict[str, Any] = {}
    sender = threading.Thread(target=lambda: traffic.setdefault(
        "report", replay(served.dataset, running.url, count=1500, concurrency=2, rate=500)))
    sender.start()
    promote(served.store, "bob", "breast_cancer", 2, "champion")
    wait_for(lambda: call(running.url, "GET", "/health")[1]["models"][0]["version"] == 2, 15)
    sender.join()
    report = traffic["report"]
    assert report.failed == 0 and report.answered == 1500  # nothing dropped during the swap
    answer = call(running.url, "POST", "/predict", {"rows": rows})[1]["predictions"][0]
    assert answer["model"] == "breast_cancer/2" and answer["variant"] == "champion"

    switched = deployments()[-1]
    assert (switched.old_version_id, switched.new_version_id, switched.actor) == (ids[1], ids[2],
                                                                                   "bob")
    assert switched.ts >= started.ts and len(deployments()) == 2
    with served.store.read() as uow:
        assert "models.deploy" in [e.action for e in uow.audit.all(limit=1000)]

    running.stop()
    serve("champion")  # a restart on the deployed version is not a new deployment
    assert len(deployments()) == 2


def test_logging_never_blocks_requests_when_the_store_is_away(
        served: Served, serve: Callable[..., RunningServer]) -> None:
    doomed = served.folder / "logs.db"
    shutil.copy(served.folder / "store.db", doomed)
    log_store = Store(f"sqlite:///{doomed}")
    logger = PredictionLogger(log_store, "bob", max_rows=100, flush_s=0.05, close_timeout_s=0.5)
    running = serve("canary", logger=logger)
    for suffix in ("", "-wal", "-shm"):  # the store disappears under the running service
        Path(f"{doomed}{suffix}").unlink(missing_ok=True)

    report = replay(served.dataset, running.url, count=400, concurrency=4)
    assert report.answered == 400 and report.failed == 0
    # 800 rows (one per model and request) met a queue of 100: the oldest were dropped
    health = wait_for(lambda: (h := call(running.url, "GET", "/health")[1])["dropped"] >= 700 and h)
    assert health["status"] == "degraded" and any("prediction log" in p for p in health["problems"])
    assert health["queue_depth"] <= 100 and health["log"]["write_errors"] > 0
    assert health["log"]["logged"] == 0
    log_store.close()


def test_finding_8_a_large_batch_scores_off_the_event_loop_so_health_keeps_answering(
        served: Served, serve: Callable[..., RunningServer]) -> None:
    """Issue 13, finding 8: a large batch scored on the event loop, so ``/health`` waited for it.
    Here the large batch is held mid-scoring; ``/health`` and a one-row request still answer,
    and the batch then finishes with every row scored."""
    from workbench.serving.app import INLINE_ROWS

    server = serve("canary")
    service = server.service
    scoring, release = threading.Event(), threading.Event()
    real_predict = service.predict_many

    def held_predict(requests: Any) -> Any:
        if sum(len(rows) for rows, _ in requests) > INLINE_ROWS:
            scoring.set()
            assert release.wait(30)
        return real_predict(requests)

    service.predict_many = held_predict  # type: ignore[method-assign]
    big = _rows(served, INLINE_ROWS + 36)
    answers: list[tuple[int, Any]] = []
    batch = threading.Thread(target=lambda: answers.append(
        call(server.url, "POST", "/predict", {"rows": big, "request_id": "big"})))
    batch.start()
    try:
        assert scoring.wait(30), "the large batch never reached scoring"
        started = time.monotonic()
        status, health = call(server.url, "GET", "/health")
        assert status == 200 and health["status"] == "ok"
        status, small = call(server.url, "POST", "/predict", {"rows": _rows(served, 1)})
        assert status == 200 and len(small["predictions"]) == 1
        assert time.monotonic() - started < 10  # answered while the batch was still held
        assert not answers  # the batch was indeed still scoring
    finally:
        release.set()
        batch.join(60)
    status, body = answers[0]
    assert status == 200 and len(body["predictions"]) == len(big)
    assert body["request_id"] == "big"


def test_concurrent_requests_share_model_calls_and_each_gets_its_own_answer(
        served: Served, serve: Callable[..., RunningServer]) -> None:
    """Micro-batching: requests that arrive while the loop is busy are scored together, and each
    still gets exactly the answer (and the answering variant) it would get alone."""
    server = serve("canary")
    service = server.service
    first, release = threading.Event(), threading.Event()
    real = service.predict_many

    def held(requests: Any) -> Any:
        if not first.is_set():  # hold the first model call while the others arrive
            first.set()
            assert release.wait(30)
        return real(requests)

    service.predict_many = held  # type: ignore[method-assign]
    rows = _rows(served, 13)
    answers: dict[int, tuple[int, Any]] = {}

    def send(i: int) -> None:
        answers[i] = call(server.url, "POST", "/predict", {"rows": [rows[i]], "request_id": f"r{i}"})

    senders = [threading.Thread(target=send, args=(0,))]
    senders[0].start()
    assert first.wait(30)
    senders += [threading.Thread(target=send, args=(i,)) for i in range(1, 13)]
    for sender in senders[1:]:
        sender.start()
    time.sleep(1.0)  # the twelve are queued behind the held call
    release.set()
    for sender in senders:
        sender.join(60)
    service.predict_many = real  # type: ignore[method-assign]
    health = call(server.url, "GET", "/health")[1]
    assert health["requests"] == 13 and health["model_calls"] < 13, health
    for i in range(13):
        status, body = answers[i]
        alone = service.predict([rows[i]], f"r{i}")
        assert status == 200 and body["request_id"] == f"r{i}"
        (got,), (want,) = body["predictions"], alone["predictions"]
        assert {**got, "score": None} == {**want, "score": None}
        assert got["score"] == pytest.approx(want["score"], rel=1e-9, abs=1e-15)  # BLAS order
