"""The risk officer's list of approval requests says at a glance whether each request's gate
policies hold, and when it was requested, before any request is opened."""

from __future__ import annotations

from typing import Any

from workbench.governance.evidence import Evidence


def test_the_policies_in_a_word() -> None:
    from workbench.ui.views.approvals import policies_word

    holds = {"name": "demographic-parity ratio ≥ 0.8", "holds": True, "detail": "band: 0.912"}
    fails = {"name": "demographic-parity ratio ≥ 0.9", "holds": False, "detail": "band: 0.812"}
    assert policies_word(Evidence.from_json({})) == "none"
    assert policies_word(Evidence.from_json({"policies": [holds]})) == "all 1 hold"
    assert policies_word(Evidence.from_json({"policies": [holds, fails]})) == "1 of 2 fail"


def test_the_list_shows_policies_and_when_requested(qtbot: Any, demo_window: Any) -> None:
    demo_window.resize(1366, 768)
    demo_window.switch_role("approver")
    table = demo_window.view("approvals").table
    qtbot.waitUntil(lambda: table.rowCount() >= 3, timeout=20_000)
    headers = [table.horizontalHeaderItem(c).text() for c in range(table.columnCount())]
    assert headers[4:7] == ["policies", "requested by", "requested"]
    for row in range(table.rowCount()):
        assert table.item(row, 4).text() == "none"  # the demo's gates set no policy
        assert table.item(row, 6).text()[:4].isdigit()  # a local date and time
