"""``POST /explain`` on a real uvicorn (127.0.0.1, a free port), against the store whose canary
champion and challenger the real pipeline trained: each row's SHAP values add up to the
answering model's output, requests are checked as ``/predict`` checks them, and a token is
needed exactly where ``/predict`` needs one."""

from __future__ import annotations

import http.client
import json
import math
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from tests.serving.helpers import Served, call
from workbench.serving.explaining import MAX_ROWS
from workbench.serving.guard import Security
from workbench.serving.server import RunningServer, serve_in_thread
from workbench.serving.service import InferenceService


@pytest.fixture
def running(served: Served) -> Iterator[list[RunningServer]]:
    started: list[RunningServer] = []
    yield started
    for server in started:
        server.stop()


def _start(served: Served, started: list[RunningServer], **security: Any) -> RunningServer:
    service = InferenceService.open(served.store, "bob", str(served.canary), "canary", poll_s=0.2)
    server = serve_in_thread(service, security=Security(**security) if security else None)
    started.append(server)
    return server


def _rows(served: Served, n: int = 3) -> list[dict[str, Any]]:
    return pd.read_parquet(served.dataset).drop(columns=["row_id", "target"]).head(n).to_dict("records")


def test_each_row_s_values_add_up_to_the_answering_model_s_output(served: Served, running) -> None:  # noqa: ANN001
    server = _start(served, running)
    rows = _rows(served)
    for request_id in ("explain-1", "explain-2", "explain-3", "explain-4"):
        status, predicted = call(server.url, "POST", "/predict", {"rows": rows, "request_id": request_id})
        assert status == 200
        status, body = call(server.url, "POST", "/explain", {"rows": rows, "request_id": request_id})
        assert status == 200, body
        # the model /predict routed this request id to explains it
        assert body["model"] == predicted["predictions"][0]["model"]
        assert body["variant"] == predicted["predictions"][0]["variant"] and body["request_id"] == request_id
        [output] = body["outputs"]
        assert len(body["rows"]) == 3
        for row, prediction in zip(body["rows"], predicted["predictions"], strict=True):
            contributions = row["contributions"][output]
            assert set(contributions) == set(rows[0])  # every feature, nothing else
            total = body["base_values"][output] + sum(contributions.values())
            assert total == pytest.approx(row["output_values"][output], abs=1e-9)
            # the output is the model's own: the positive-class probability /predict scored
            # (or its log-odds for a logistic regression, explained exactly)
            value = 1 / (1 + math.exp(-total)) if output.startswith("log-odds") else total
            assert value == pytest.approx(prediction["score"], abs=1e-6)
    assert call(server.url, "GET", "/health")[1]["requests"] == 4  # explanations are not predictions


def test_explain_refuses_what_predict_refuses_and_bounds_the_rows(served: Served, running) -> None:  # noqa: ANN001
    server = _start(served, running)
    rows = _rows(served)
    missing = [rows[0], {k: v for k, v in rows[1].items() if k != "mean radius"}]
    for path in ("/predict", "/explain"):
        status, body = call(server.url, "POST", path, {"rows": missing})
        assert status == 422 and body["message"] == "row 1: missing feature 'mean radius'", path
        assert body["detail"][0]["loc"] == ["body", "rows", 1, "mean radius"]
        status, body = call(server.url, "POST", path, {"rows": [{**rows[0], "mean area": "big"}]})
        assert status == 422 and body["message"] == "row 0, feature 'mean area': expected a number, got 'big'"
        status, body = call(server.url, "POST", path, {"data": rows})
        assert status == 422 and body["message"] == "rows: Field required"
        status, body = call(server.url, "POST", path, {"rows": rows, "request_id": "x" * 65})
        assert status == 422 and "request_id" in body["message"]
    status, body = call(server.url, "POST", "/explain", {"rows": [rows[0]] * (MAX_ROWS + 1)})
    assert status == 422 and f"at most {MAX_ROWS}" in body["message"]
    status, schema = call(server.url, "GET", "/openapi.json")
    assert "/explain" in schema["paths"] and "422" in schema["paths"]["/explain"]["post"]["responses"]


def test_a_token_is_needed_for_explain_where_predict_needs_one(served: Served, running) -> None:  # noqa: ANN001
    from workbench.services.serve_tokens import add_token

    _, token = add_token(served.store, "bob", "explainer")
    server = _start(served, running, require_token=True)
    host, port = server.url.removeprefix("http://").split(":")
    body = json.dumps({"rows": _rows(served, 1)}).encode()

    def post(path: str, secret: str | None) -> int:
        connection = http.client.HTTPConnection(host, int(port), timeout=60)
        headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {secret}"} if secret else {})}
        try:
            connection.request("POST", path, body, headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    assert post("/explain", None) == post("/predict", None) == 401
    assert post("/explain", "not-a-token") == 401
    assert post("/explain", token) == post("/predict", token) == 200
