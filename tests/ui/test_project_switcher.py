"""The project switcher: a person sees the projects they hold a role in; choosing one reopens
the workbench on it — its title names it, its roles are those held there, and its views list
that project's things only."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings

from tests.support.store_setup import cast_store


def _store(tmp_path: Path):  # noqa: ANN202
    from workbench.services.projects import add_person, add_project

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    for name in ("credit", "marketing"):
        add_project(store, "alice", name)
    add_person(store, "alice", "pia", "marketing", ["approver"])
    requests = {}
    with store.write("bob") as uow:
        for name in ("credit", "marketing"):
            run = uow.runs.create(uow.projects.get(name).id, None)
            requests[name] = uow.approvals.request(model_version_id=None, run_id=run.id, node_id="gate",
                                                   evidence={"model": {"name": f"{name}-model", "version": 1}}).id
    return store, requests


def _ids(window) -> list[str]:  # noqa: ANN001
    table = window.view("approvals").table
    return [table.item(r, 0).text() for r in range(table.rowCount())]


def test_switching_project_reopens_the_window_on_it(qtbot, tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow
    from workbench.ui.project_switcher import switch

    monkeypatch.delenv("WORKBENCH_PROJECT", raising=False)
    store, requests = _store(tmp_path)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(store, "pia", settings=settings)
    qtbot.addWidget(window)
    window.show()
    box = window.project_box
    assert window.project == "default" and window.roles == ()
    assert [box.itemText(i) for i in range(box.count())] == ["default", "marketing"]
    assert "holds no role in project 'default'" in window.centralWidget().text()

    marketing = switch(window, "marketing")
    qtbot.addWidget(marketing)
    assert marketing is not window and not window.isVisible() and marketing.isVisible()
    assert "marketing" in marketing.windowTitle() and marketing.roles == ("approver",)
    assert marketing.project_box.currentText() == "marketing"
    qtbot.waitUntil(lambda: _ids(marketing) == [str(requests["marketing"])], timeout=5000)
    assert settings.value("last_project") == "marketing"

    rita = MainWindow(store, "rita", settings=QSettings(str(tmp_path / "rita.ini"), QSettings.Format.IniFormat),
                      project="credit")
    qtbot.addWidget(rita)
    rita.show()
    assert [rita.project_box.itemText(i) for i in range(rita.project_box.count())] == ["credit", "default", "marketing"]
    rita.switch_role("approver")
    qtbot.waitUntil(lambda: _ids(rita) == [str(requests["credit"])], timeout=5000)
    rita.close()
    gone = MainWindow(store, "rita", settings=QSettings(str(tmp_path / "rita.ini"), QSettings.Format.IniFormat),
                      project="sales")
    qtbot.addWidget(gone)
    assert gone.project == "default" and gone.project_note == "this store has no project 'sales': showing default"
    gone.hand_over(marketing)  # closes without closing the shared store
    marketing.close()
    store.close()
