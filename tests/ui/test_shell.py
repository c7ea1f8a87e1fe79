"""The desktop shell driven as people would: roles and their remembered layouts, the
analyst's read-only session refused by the database itself, a risk officer approving in the
dialog so the waiting run resumes, and a run whose node states change on the canvas."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QDialog, QPlainTextEdit
from sqlalchemy import text

from tests.support.store_setup import cast_store, training_graph
from workbench.graph import load_template, save
from workbench.services.users import set_roles
from workbench.store import StoreReadOnlyError


@pytest.fixture
def store(tmp_path: Path):
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def _window(qtbot, store, user: str, settings: QSettings):  # noqa: ANN001, ANN202
    from workbench.ui.main_window import MainWindow

    window = MainWindow(store, user, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def test_roles_switch_views_and_remember_layouts(qtbot, store, settings: QSettings) -> None:  # noqa: ANN001
    set_roles(store, "alice", "olga", ["operator", "analyst", "approver"])
    window = _window(qtbot, store, "olga", settings)
    roles = [window.role_box.itemData(i) for i in range(window.role_box.count())]
    assert roles == ["operator", "analyst", "approver"]  # the fixed order, main role first
    window.switch_role("approver")
    assert window.view("approvals") is not None and window.view("graph") is None
    window.switch_role("analyst")
    assert window.view("approvals") is None
    assert settings.value("layout/approver") is not None
    window.close()
    assert settings.value("last_role") == "analyst"


def test_the_analyst_cannot_change_anything_even_through_the_session(qtbot, store, settings) -> None:  # noqa: ANN001
    window = _window(qtbot, store, "anna", settings)
    assert window.current_role == "analyst"
    ctx = window.context(read_only=True)
    assert ctx.read_only
    from workbench.services.users import add_user

    with pytest.raises(StoreReadOnlyError):
        add_user(ctx.store, "alice", "eve", ["admin"])
    with pytest.raises(StoreReadOnlyError), ctx.store.read() as uow:  # the database itself refuses
        uow.session.execute(text("UPDATE users SET display_name = 'x'"))
        uow.session.commit()
    models = window.view("models")
    assert models is not None and not models.promote_button.isVisible()
    with store.read() as uow:
        assert uow.users.find("eve") is None
    window.close()


def test_approving_in_the_dialog_resumes_the_run(qtbot, store, settings, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.runs import start_run

    graph = load_template("approval")
    save(graph, tmp_path / "approval.yaml")
    run = start_run(store, "bob", tmp_path / "approval.yaml", detach=False)
    result: list[str] = []
    driver = threading.Thread(target=lambda: result.append(RunDriver(store, run.id, poll_s=0.2).drive()))
    driver.start()

    def open_request() -> int | None:
        with store.read() as uow:
            requests = uow.approvals.all(status="open")
        return requests[0].id if requests else None

    qtbot.waitUntil(lambda: open_request() is not None, timeout=120_000)
    request_id = open_request()

    set_roles(store, "alice", "bob", ["scientist", "engineer", "approver"])
    requester = _window(qtbot, store, "bob", settings)
    requester.switch_role("approver")
    own = requester.view("approvals").dialog_for(request_id)
    own.reason.setPlainText("I like it")
    assert not own.approve_button.isEnabled() and "another approver" in own.notice.text()
    own.reject()  # closing the dialog cancels its background work, quietly
    qtbot.waitUntil(lambda: not own.importance_note.text().startswith("Computing"), timeout=30_000)
    qtbot.wait(200)
    assert "cancelled" not in requester.statusBar().currentMessage()
    requester.close()

    window = _window(qtbot, store, "rita", settings)
    view = window.view("approvals")
    dialog = view.dialog_for(request_id)
    assert dialog.details.candidate.metrics["accuracy"] > 0.9
    assert not dialog.approve_button.isEnabled()  # no reason yet
    dialog.reason.setPlainText("Hold-out accuracy and AUC are well above the bar.")
    assert dialog.approve_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.importance_table.rowCount() > 0, timeout=60_000)
    assert "score drops when one feature's values are shuffled" in dialog.importance_note.text()
    qtbot.waitUntil(lambda: dialog.label_free_table.rowCount() == 5, timeout=60_000)  # CBPE, no labels
    estimated = {dialog.label_free_table.item(r, 0).text(): dialog.label_free_table.item(r, 1).text()
                 for r in range(5)}
    assert 0.8 < float(estimated["accuracy"]) <= 1.0 and float(estimated["roc_auc"]) > 0.9
    assert "569 production rows" in dialog.label_free_note.text()
    dialog.approve_button.click()
    assert dialog.decided.status == "approved"
    driver.join(timeout=180)
    assert result == ["succeeded"]
    with store.read() as uow:
        entry = [e for e in uow.audit.all(limit=1000) if e.action == "approvals.approve"][-1]
        assert entry.actor == "rita" and "well above the bar" in entry.payload["reason"]
    window.close()


def test_a_run_paints_node_states_on_the_canvas(qtbot, store, settings, tmp_path: Path) -> None:  # noqa: ANN001
    training_graph(tmp_path / "canvas.yaml", "canvas", "canvas run")
    window = _window(qtbot, store, "bob", settings)
    window.switch_role("engineer")
    view = window.view("graph")
    assert view.editor.open_file(tmp_path / "canvas.yaml")
    view.run_button.click()
    qtbot.waitUntil(lambda: view.run_id is not None, timeout=30_000)
    qtbot.waitUntil(lambda: "succeeded" in view.run_label.text(), timeout=120_000)
    qtbot.waitUntil(lambda: all(view.editor.scene.node_items[n].run_status == "succeeded" for n in ("data", "train")),
                    timeout=30_000)
    view.editor.nodeActivated.emit("train")  # what a double-click on the node does
    dialog = next(d for d in view.findChildren(QDialog) if "train" in d.windowTitle())
    text = dialog.findChild(QPlainTextEdit).toPlainText()
    assert "trained LogisticRegression" in text and "accuracy" in text
    window.close()
