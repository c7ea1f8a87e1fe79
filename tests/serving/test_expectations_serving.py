"""Expectations in serving, over real sockets and a real store: a served node's ``expectations``
refuse request rows that break a row rule (422 naming the row, the feature and the rule), and
the prediction log checks each window against the window rules, records the violations in the
window and raises (then clears) a deviation alert the operator's alerts view lists."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from tests.serving.helpers import Served, ServeProcess, call, wait_for
from tests.support.cli import run_ok
from workbench.errors import InvalidInputError
from workbench.services.monitoring import expectation_findings, list_alerts
from workbench.serving.config import resolve_config
from workbench.serving.prediction_log import PredictionLogger
from workbench.serving.server import serve_in_thread
from workbench.serving.service import InferenceService

GRAPH = "Champion/challenger canary"
SOURCE = f"{GRAPH}/champion"


def _rows(served: Served, n: int) -> list[dict[str, Any]]:
    frame = pd.read_parquet(served.dataset).drop(columns=["row_id", "target"])
    return frame.head(n).to_dict("records")


def test_a_row_breaking_a_row_rule_is_refused_naming_feature_and_rule(served: Served) -> None:
    spec = {"columns": {"mean radius": {"min": 0, "max": 40},
                        "mean texture": {"type": "integer"}}}
    graph = served.graph_with("expect.yaml", "champion", expectations=spec)
    server = ServeProcess(served, "champion", graph=graph)  # ``workbench serve`` from the file
    try:
        good = _rows(served, 2)
        good[1]["mean texture"] = 20.0  # whole numbers pass an integer expectation
        good[0]["mean texture"] = 17.0
        status, body = call(server.url, "POST", "/predict", {"rows": good})
        assert status == 200, body
        bad = _rows(served, 3)
        for row in bad:
            row["mean texture"] = 17.0
        bad[1]["mean radius"] = -5.0
        bad[2]["mean texture"] = 17.5
        status, body = call(server.url, "POST", "/predict", {"rows": bad})
        assert status == 422
        detail = body["detail"]
        assert [d["loc"] for d in detail] == [["body", "rows", 1, "mean radius"],
                                             ["body", "rows", 2, "mean texture"]]
        assert detail[0]["type"] == "expectation"
        assert "expected values ≥ 0 (expectation 'min'); got -5.0" in detail[0]["msg"]
        assert "expected type integer" in detail[1]["msg"] and "17.5" in detail[1]["msg"]
        assert body["message"].startswith("row 1, feature 'mean radius'")
        status, model = call(server.url, "GET", "/model")
        assert model["expectations"] == spec
    finally:
        code, out = server.stop()
    assert code == 0, out
    windows = _windows(served)
    assert windows and all("expectations" not in w.summary for w in windows)  # row rules only


def test_an_unusable_spec_stops_the_service_naming_the_node(served: Served) -> None:
    graph = served.graph_with("bad.yaml", "champion",
                              expectations={"columns": {"mean radius": {"max_null_rate": 2}}})
    with pytest.raises(InvalidInputError) as caught:
        resolve_config(graph, "champion")
    assert "node 'champion'" in str(caught.value)
    assert "max_null_rate must be between 0 and 1" in str(caught.value)


@pytest.fixture
def windowed(served: Served) -> Iterator[tuple[Served, str]]:
    spec = {"rows": {"max": 4}, "columns": {"mean radius": {"unique": True, "min": 0}}}
    graph = served.graph_with("window.yaml", "champion", expectations=spec)
    logger = PredictionLogger(served.store, "bob", window_rows=4, flush_s=0.05)
    service = InferenceService.open(served.store, "bob", str(graph), "champion", logger=logger,
                                    poll_s=0.2)
    server = serve_in_thread(service)
    try:
        yield served, server.url
    finally:
        server.stop()


def _windows(served: Served) -> list[Any]:
    with served.store.read() as uow:
        return uow.predictions.windows(SOURCE)


def test_a_window_breaking_a_window_rule_raises_a_deviation_alert_until_one_meets_it(
        windowed: tuple[Served, str]) -> None:
    served, url = windowed
    rows = _rows(served, 8)
    same = [rows[0]] * 4  # one window of four equal rows: 'mean radius' repeats
    assert call(url, "POST", "/predict", {"rows": same})[0] == 200
    wait_for(lambda: len(_windows(served)) >= 1)
    window = _windows(served)[0]
    checked = window.summary["expectations"]
    assert ["mean radius", "unique"] in checked["checked"] and [None, "rows.max"] in checked["checked"]
    assert [(v["column"], v["rule"]) for v in checked["violations"]] == [("mean radius", "unique")]
    alerts = list_alerts(served.store, "bob", source=SOURCE)
    assert len(alerts) == 1 and alerts[0].kind == "deviation" and alerts[0].holding
    assert "column 'mean radius': expected unique values; found 3 repeats" in alerts[0].message
    assert alerts[0].condition == "expectation unique on 'mean radius'"

    # the same condition again counts on the open alert instead of opening another
    assert call(url, "POST", "/predict", {"rows": same})[0] == 200
    wait_for(lambda: len(_windows(served)) >= 2)
    alerts = list_alerts(served.store, "bob", source=SOURCE)
    assert len(alerts) == 1 and alerts[0].count == 2

    # a window of distinct values meets the rule: the episode ends (the alert stays listed)
    assert call(url, "POST", "/predict", {"rows": rows[4:8]})[0] == 200
    wait_for(lambda: len(_windows(served)) >= 3)
    alert = list_alerts(served.store, "bob", status=None, source=SOURCE)[0]
    assert not alert.holding and alert.cleared_at is not None
    assert _windows(served)[2].summary["expectations"]["violations"] == []

    found = expectation_findings(served.store, "bob", SOURCE)
    assert [(f.window_id, f.finding.check, f.finding.column) for f in found] == [
        (w.id, "expectation", "mean radius") for w in _windows(served)[:2]]

    # the same from the command line: the alert (all statuses) and the findings per window
    listed = json.loads(run_ok("--store", served.url, "--user", "olga", "alerts", "list", "--all",
                               "--kind", "deviation", "--json").stdout)
    assert [(a["source"], a["count"], a["holding"]) for a in listed] == [(SOURCE, 2, False)]
    table = run_ok("--store", served.url, "--user", "olga", "alerts", "findings", SOURCE).stdout
    assert table.count("expected unique values") == 2 and "mean radius" in table
    ack = run_ok("--store", served.url, "--user", "olga", "alerts", "ack", str(listed[0]["id"]))
    assert "acknowledged by olga" in ack.stdout
    assert "no open alerts" in run_ok("--store", served.url, "--user", "olga", "alerts",
                                      "list").stdout
