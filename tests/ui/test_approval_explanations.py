"""Issue 17: the risk officer opens the demo's approval that replaced the champion and sees,
once the background work is done, both models' explanations as bars and in a table, and the
champion's fairness per group under the candidate's."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from workbench.store import open_store


def test_explanations_and_fairness_of_candidate_and_champion(qtbot, demo_store: str, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow
    from workbench.ui.views.approvals import TABS

    store = open_store(demo_store)
    with store.read() as uow:
        request = next(r for r in uow.approvals.all() if r.status == "approved" and r.evidence.get("champion")
                       and not r.evidence.get("candidate_is_champion"))
    window = MainWindow(store, "newcomer", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.switch_role("approver")
    dialog = window.view("approvals").dialog_for(request.id)
    dialog.show()
    tabs = dialog.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())] == list(TABS)
    tabs.setCurrentIndex(TABS.index("Explanations"))
    page = dialog.explanations_page
    assert page.frames["candidate"].message() == "Computing…"  # said while it works
    qtbot.waitUntil(lambda: page.table.rowCount() > 0 and "SHAP values on" in page.note.text(), timeout=180_000)
    table = page.table
    features = [table.item(r, 0).text() for r in range(table.rowCount())]
    assert set(features) == {"income", "debt_ratio", "age", "credit_lines", "late_payments", "employment_years",
                             "channel"}
    candidate = [float(table.item(r, 1).text()) for r in range(table.rowCount())]
    assert candidate == sorted(candidate, reverse=True)  # the candidate's order, most important first
    assert all(table.item(r, 3).text() for r in range(table.rowCount()))  # the champion beside it
    debt = features.index("debt_ratio")
    assert table.item(debt, 2).text().startswith("higher raises")  # more debt, more default
    for role in ("candidate", "champion"):
        assert page.frames[role].has_data() and page.frames[role].message() == ""
    assert f"champion v{request.evidence['champion']['version']}" in page.note.text()

    fairness = dialog.fairness_page
    qtbot.waitUntil(lambda: fairness.champion_tables["channel"].rowCount() > 0, timeout=120_000)
    champion = fairness.champion_tables["channel"]
    candidate_table = dialog.fairness_tables["channel"]
    groups = [champion.item(r, 0).text() for r in range(champion.rowCount())]
    assert groups == [candidate_table.item(r, 0).text() for r in range(candidate_table.rowCount())]
    assert groups[-1] == "largest difference" and {"branch", "online"} <= set(groups)
    assert "on the same rows" in fairness.champion_notes["channel"].text()
    dialog.close()
    window.close()
    store.close()
