"""How values read in the views: local times, counts as integers, readable payloads."""

from __future__ import annotations

import datetime as dt

from workbench.ui.formatting import local_time, number, payload_text


def test_epoch_milliseconds_read_as_local_time() -> None:
    moment = dt.datetime(2026, 3, 1, 14, 5, 9).astimezone()
    assert local_time(int(moment.timestamp() * 1000)) == "2026-03-01 14:05:09"
    assert local_time(int(moment.timestamp() * 1000), seconds=False) == "2026-03-01 14:05"
    assert local_time(None) == ""


def test_counts_are_integers_and_scores_are_rounded() -> None:
    assert number(1738.0) == "1738" and number(12) == "12"
    assert number(0.741512) == "0.7415" and number(0.5) == "0.5"
    assert number(2_500_000) == "2 500 000"


def test_payloads_are_lines_a_person_reads() -> None:
    moment = dt.datetime(2026, 3, 1, 14, 5, 9).astimezone()
    text = payload_text({"request_id": 4, "decided_at_ms": int(moment.timestamp() * 1000), "reason": "fine",
                         "metrics": {"auc": 0.91}})
    assert text == 'request id: 4 · decided at: 2026-03-01 14:05:09 · reason: fine · metrics: {"auc": 0.91}'
    assert payload_text({"reason": "x" * 500}).endswith("…") and len(payload_text({"reason": "x" * 500})) == 160
    assert payload_text({}) == "" and payload_text(None) == ""
