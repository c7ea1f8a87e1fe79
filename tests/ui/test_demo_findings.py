"""The operator finds the demo's broken expectations (a new channel, debt ratios above 1) in the
Findings tab of the champion's source, newest first, beside their deviation alerts."""

from __future__ import annotations

from typing import Any


def test_the_findings_tab_lists_broken_expectations_newest_first(qtbot: Any, demo_window: Any) -> None:
    demo_window.switch_role("operator")
    view = demo_window.view("monitoring")
    qtbot.waitUntil(lambda: view.source_box.findText("Credit default demo/champion") >= 0, timeout=20_000)
    view.source_box.setCurrentIndex(view.source_box.findText("Credit default demo/champion"))
    table = view.findings
    qtbot.waitUntil(lambda: table.rowCount() > 20, timeout=20_000)
    rows = [[table.item(r, c).text() for c in range(table.columnCount())] for r in range(table.rowCount())]
    broken = [(row[2], row[3]) for row in rows if row[1] == "expectation"]
    assert set(broken) == {("channel", "allowed"), ("debt_ratio", "max")}
    times = [row[0] for row in rows]
    assert times == sorted(times, reverse=True)  # newest first
    assert any("'partner'" in row[4] for row in rows if row[2] == "channel")
    with demo_window.store.read() as uow:
        deviation = [a for a in uow.alerts.all() if a.kind == "deviation" and a.source == "Credit default demo/champion"]
    assert {a.condition for a in deviation} == {"expectation allowed on 'channel'", "expectation max on 'debt_ratio'"}
    assert all(a.count > 20 for a in deviation)  # one episode each, counted over the days after the change
