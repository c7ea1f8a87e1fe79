"""Issue 17: the risk officer sees the candidate's fairness in the approval dialog — the gate's
policy and whether it holds, and each sensitive feature's groups with intervals."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from tests.support.store_setup import cast_store
from workbench.monitoring.fairness import group_report


def test_the_fairness_tab_shows_the_policy_and_the_groups(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    report = group_report([1, 0, 1, 1, 0, 1, 0, 0], [1, 0, 1, 0, 1, 1, 0, 0],
                          ["a", "a", "a", "a", "b", "b", "b", "b"], positive=1, n_boot=50)
    evidence = {"model": {"name": "churn", "version": 2, "metrics": {"accuracy": 0.75}},
                "fairness": {"region": report},
                "policies": [{"name": "demographic-parity ratio ≥ 0.8", "holds": False,
                              "detail": f"region: {report['demographic_parity_ratio']:.3f}"}]}
    with store.write("bob") as uow:
        request = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate", evidence=evidence)
    window = MainWindow(store, "rita", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.switch_role("approver")
    dialog = window.view("approvals").dialog_for(request.id)
    tabs = dialog.tabs
    assert [tabs.tabText(i) for i in range(tabs.count())][2] == "Fairness"
    tabs.setCurrentIndex(2)
    note = dialog.findChild(type(dialog.notice), "fairness_note")
    assert "does not hold" in note.text() and "0.8" in note.text()
    table = dialog.fairness_tables["region"]
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == ["a", "b", "largest difference"]
    assert table.item(0, 2).text().startswith(f"{report['groups']['a']['selection_rate']['value']:.3f} [")
    # a request made outside a run has no production data to estimate on, and says so
    qtbot.waitUntil(lambda: "made outside a run" in dialog.label_free_note.text(), timeout=30_000)
    dialog.close()
    window.close()
    store.close()
