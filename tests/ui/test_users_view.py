"""The admin's Users and roles view shows roles held in a single project beside store-wide
ones: the demo's marketing risk officer holds 'approver' in 'marketing' only, and the view says
so instead of an empty roles cell."""

from __future__ import annotations

from typing import Any


def test_roles_held_in_one_project_are_listed(qtbot: Any, demo_window: Any) -> None:
    demo_window.switch_role("admin")
    table = demo_window.view("users").table
    qtbot.waitUntil(lambda: table.rowCount() >= 4, timeout=20_000)
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    assert rows["demo-marketing-officer"][1:3] == ["", "approver in marketing"]
    assert "approver" in rows["demo-risk-officer"][1] and rows["demo-risk-officer"][2] == ""
