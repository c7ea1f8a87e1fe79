"""The Discussion panel beside the views, on a store the demo built: choosing a run, a model
version, an approval request or an alert shows its thread; posting and replying through the
panel write comments (read back through the service); the analyst reads without a text box; a
node of a graph that is not in the store says it must be saved first; and a comment written by
another process (the ``workbench comments add`` command) appears in the open panel."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl

from tests.support.cli import workbench
from workbench.services.discussions import add_comment, thread
from workbench.store import open_store


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, demo_store: str, settings: QSettings):  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    store = open_store(demo_store)
    shown = MainWindow(store, "newcomer", settings=settings)
    qtbot.addWidget(shown)
    shown.show()
    yield shown
    shown.close()
    qtbot.wait(300)
    qtbot.waitUntil(lambda: shown.tasks.busy == 0, timeout=60_000)


def _first_run(qtbot, window) -> int:  # noqa: ANN001
    window.switch_role("scientist")
    runs = window.view("runs")
    qtbot.waitUntil(lambda: runs.runs.rowCount() > 0, timeout=30_000)
    runs.runs.selectRow(runs.runs.rowCount() - 1)
    return int(runs.runs.item(runs.runs.rowCount() - 1, 0).text())


def test_posting_and_replying_in_the_panel_write_comments(qtbot, window, demo_store: str) -> None:  # noqa: ANN001
    panel = window.discussion
    window.discussion_action.trigger()  # hidden by default on a 1366-wide screen: the person opens it
    assert panel.isVisible()
    run_id = _first_run(qtbot, window)
    assert panel.target == f"run:{run_id}"
    qtbot.waitUntil(lambda: "No comments yet" in panel.view.toPlainText(), timeout=10_000)
    assert panel.box.isVisible() and not panel.read_only_note.isVisible()

    panel.box.setPlainText("Why did this run take twice as long, @newcomer?")
    qtbot.keyClick(panel.box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Return posts
    qtbot.waitUntil(lambda: panel.comment_count() == 1, timeout=10_000)
    store = open_store(demo_store)
    try:
        threads = thread(store, "newcomer", f"run:{run_id}")
        assert [t.comment.text for t in threads] == ["Why did this run take twice as long, @newcomer?"]
        first = threads[0].comment
        assert "newcomer" in panel.view.toHtml() and "#fff3c4" in panel.view.toHtml()  # the mention is marked

        assert f"reply:{first.id}" in panel.view.toHtml() and f"edit:{first.id}" in panel.view.toHtml()
        panel.view.anchorClicked.emit(QUrl(f"reply:{first.id}"))  # the comment's Reply link
        assert "Replying to newcomer" in panel.mode.text()
        panel.box.setPlainText("The target was busy with another job.")
        panel.post_button.click()
        qtbot.waitUntil(lambda: panel.comment_count() == 2, timeout=10_000)
        threads = thread(store, "newcomer", f"run:{run_id}")
        assert [r.comment.text for r in threads[0].replies] == ["The target was busy with another job."]
        assert threads[0].replies[0].comment.parent_id == first.id

        panel.view.anchorClicked.emit(QUrl(f"edit:{first.id}"))  # its Edit link
        assert panel.box.toPlainText() == first.text
        panel.box.setPlainText("Why did this run take twice as long?")
        panel.post_button.click()
        qtbot.waitUntil(lambda: "(edited)" in panel.view.toPlainText(), timeout=10_000)
        assert thread(store, "newcomer", f"run:{run_id}")[0].comment.text == "Why did this run take twice as long?"

        panel.box.setPlainText("")
        panel.post_button.click()
        assert "empty" in panel.last_error and panel.error.isVisible()  # said in the panel, nothing written
        assert len(thread(store, "newcomer", f"run:{run_id}")) == 1
    finally:
        store.close()


def test_each_view_shows_the_discussion_of_what_is_chosen(qtbot, window) -> None:  # noqa: ANN001
    panel = window.discussion
    window.switch_role("approver")
    approvals, models = window.view("approvals"), window.view("models")
    qtbot.waitUntil(lambda: approvals.table.rowCount() > 0 and models.table.rowCount() > 0, timeout=30_000)
    approvals.table.selectRow(0)
    assert panel.target == f"approval:{approvals.table.item(0, 0).text()}"
    models.table.selectRow(0)
    assert panel.target == f"model:{models.table.item(0, 0).text()}/{models.table.item(0, 1).text()}"
    window.switch_role("operator")
    alerts = window.view("alerts")
    alerts.show_all.setChecked(True)
    qtbot.waitUntil(lambda: alerts.table.rowCount() > 0, timeout=30_000)
    alerts.table.selectRow(0)
    assert panel.target == f"alert:{alerts.table.item(0, 0).text()}"
    qtbot.waitUntil(lambda: "No comments yet" in panel.view.toPlainText(), timeout=10_000)

    window.switch_role("scientist")
    editor = window.view("graph").editor
    qtbot.waitUntil(lambda: bool(editor.graph.nodes), timeout=30_000)
    editor.graph.name = "not-in-the-store"
    node = sorted(editor.graph.nodes)[0]
    editor.scene.clearSelection()
    editor.scene.node_items[node].setSelected(True)
    assert panel.target == f"node:not-in-the-store/{node}"
    qtbot.waitUntil(lambda: "not saved in the store" in panel.view.toPlainText(), timeout=10_000)
    assert not panel.box.isVisibleTo(panel)  # nothing to write on until the graph is saved


def test_the_analyst_reads_without_a_text_box(qtbot, window, demo_store: str) -> None:  # noqa: ANN001
    panel = window.discussion
    window.switch_role("approver")
    models = window.view("models")
    qtbot.waitUntil(lambda: models.table.rowCount() > 0, timeout=30_000)
    target = f"model:{models.table.item(0, 0).text()}/{models.table.item(0, 1).text()}"
    store = open_store(demo_store)
    try:
        add_comment(store, "newcomer", target, "Ready for the quarterly review.")
    finally:
        store.close()
    window.switch_role("analyst")
    analyst_models = window.view("models")
    qtbot.waitUntil(lambda: analyst_models.table.rowCount() > 0, timeout=30_000)
    analyst_models.table.selectRow(0)
    assert panel.target == target
    qtbot.waitUntil(lambda: "Ready for the quarterly review." in panel.view.toPlainText(), timeout=10_000)
    assert not panel.box.isVisibleTo(panel) and not panel.post_button.isVisibleTo(panel)
    assert panel.read_only_note.isVisibleTo(panel) and "analyst" in panel.read_only_note.text()
    assert "Reply" not in panel.view.toPlainText()
    panel.box.setPlainText("sneaked in")
    panel.post()  # even called directly, nothing is written
    qtbot.wait(300)
    store = open_store(demo_store)
    try:
        assert [t.comment.text for t in thread(store, "newcomer", target)] == ["Ready for the quarterly review."]
    finally:
        store.close()


def test_a_comment_from_another_process_appears_in_the_open_panel(qtbot, window, demo_store: str) -> None:  # noqa: ANN001
    panel = window.discussion
    run_id = _first_run(qtbot, window)
    qtbot.waitUntil(lambda: "No comments yet" in panel.view.toPlainText(), timeout=10_000)
    result = workbench("--store", demo_store, "--user", "newcomer", "comments", "add", f"run:{run_id}",
                       "Rerun it on the GPU target, please.")
    assert result.returncode == 0, result.stderr
    written = time.monotonic()
    qtbot.waitUntil(lambda: "Rerun it on the GPU target" in panel.view.toPlainText(), timeout=2_000)
    assert time.monotonic() - written < 2.0


def test_a_read_only_store_shows_the_thread_without_a_text_box(qtbot, window) -> None:  # noqa: ANN001
    panel = window.discussion
    run_id = _first_run(qtbot, window)
    qtbot.waitUntil(lambda: "No comments yet" in panel.view.toPlainText(), timeout=10_000)
    assert panel.box.isVisibleTo(panel)
    panel.set_context(window.context(read_only=True), "operator")  # an operator, on a store opened read-only
    qtbot.waitUntil(lambda: "No comments yet" in panel.view.toPlainText(), timeout=10_000)
    assert panel.target == f"run:{run_id}"
    assert not panel.box.isVisibleTo(panel) and "read-only" in panel.read_only_note.text()
    assert "Reply" not in panel.view.toPlainText()


def test_the_panel_shows_who_else_has_the_thing_open(qtbot, demo_store) -> None:  # noqa: ANN001
    """Issue 16, presence: another workbench (a `workbench presence hold` process) that has the
    same approval request open is named in the panel, and drops out when it goes away."""
    import os
    import subprocess
    import sys

    from PySide6.QtCore import QSettings

    from tests.support.cli import ROOT
    from workbench.store import open_store
    from workbench.ui.main_window import MainWindow

    store = open_store(demo_store)
    with store.read() as uow:
        request = uow.approvals.all()[0]
    window = MainWindow(store, "newcomer", settings=QSettings())
    qtbot.addWidget(window)
    window.show()
    window.discussion_action.setChecked(True)
    panel = window.discussion
    panel.show_subject(f"approval:{request.id}", f"approval request {request.id}")
    holder = subprocess.Popen([sys.executable, "-m", "workbench", "--store", demo_store, "--user", "newcomer",
                               "presence", "hold", f"approval:{request.id}", "--for", "120", "--every", "0.5"],
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        qtbot.waitUntil(lambda: "newcomer" in panel.presence.text(), timeout=20_000)
        assert not panel.presence.isHidden()
        holder.terminate()  # the other workbench closes
        assert holder.wait(30) == 0
        qtbot.waitUntil(lambda: panel.presence.isHidden(), timeout=20_000)  # it said it left
    finally:
        if holder.poll() is None:
            holder.kill()
        window.close()
