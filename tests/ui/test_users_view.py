"""The admin's Users and roles view shows roles held in a single project beside store-wide
ones: the demo's marketing risk officer holds 'approver' in 'marketing' only, and the view says
so instead of an empty roles cell."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from workbench.store import open_store


def test_roles_held_in_one_project_are_listed(qtbot, demo_store: str, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    store = open_store(demo_store)
    window = MainWindow(store, "newcomer", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.switch_role("admin")
    table = window.view("users").table
    qtbot.waitUntil(lambda: table.rowCount() >= 4, timeout=20_000)
    rows = {table.item(r, 0).text(): [table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())}
    assert rows["demo-marketing-officer"][1:3] == ["", "approver in marketing"]
    assert "approver" in rows["demo-risk-officer"][1] and rows["demo-risk-officer"][2] == ""
    window.close()
    store.close()
