"""The inbox in the main window: the unread count on the Inbox button, kept current when another
process makes a notification for the person (``workbench comments add`` with an @mention);
"Mark all read" clears it; activating an approval notification selects that request in the
approvals view, a failed-run notification that run in the runs view; the open workbench sends a
due webhook notification to a real local HTTP receiver from its sender timer (an analyst's window
does not send) and says a failing webhook once; a long status message (the no-keyring note at
1366 px) ends in … before the identity instead of running into it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from tests.services.test_notifications import Receiver
from tests.support.cli import workbench
from tests.support.store_setup import cast_store
from workbench.services.notifications import configure_webhook, inbox


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def _open(qtbot, store, user: str, settings: QSettings):  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    window = MainWindow(store, user, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _close(qtbot, window) -> None:  # noqa: ANN001
    window.close()
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=30_000)


def _request(store, model: str = "churn") -> int:  # noqa: ANN001
    with store.write("bob") as uow:
        return uow.approvals.request(model_version_id=None, run_id=None, node_id="gate",
                                     evidence={"model": {"name": model, "version": 2}}).id


def test_count_follows_other_processes_and_mark_all_read_clears_it(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = cast_store(url)
    request = _request(store)
    window = _open(qtbot, store, "rita", settings)
    try:
        box = window.inbox
        qtbot.waitUntil(lambda: box.unread == 1, timeout=10_000)
        assert box.action.text() == "Inbox (1)"

        said = workbench("--user", "bob", "comments", "add", f"approval:{request}",
                         "@rita the drift looks fine to me", env={"WORKBENCH_STORE": url})
        assert said.returncode == 0, said.stderr
        qtbot.waitUntil(lambda: box.unread == 2, timeout=10_000)  # through the change feed
        assert box.action.text() == "Inbox (2)"

        box.action.trigger()  # the person clicks the button
        assert box.popup.isVisible()
        rows = [box.popup.list.topLevelItem(i) for i in range(box.popup.list.topLevelItemCount())]
        assert [r.text(1) for r in rows] == ["mention", "approval asked"]  # newest first
        assert all(r.font(2).bold() for r in rows)  # unread in bold
        assert "drift looks fine" in rows[0].text(2)

        qtbot.mouseClick(box.popup.mark_all, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: box.unread == 0, timeout=10_000)
        assert box.action.text() == "Inbox"
        assert inbox(store, "rita", unread_only=True) == []
        assert not any(box.popup.list.topLevelItem(i).font(2).bold()
                       for i in range(box.popup.list.topLevelItemCount()))
    finally:
        _close(qtbot, window)


def test_activating_an_approval_notification_selects_the_request(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    first, second = _request(store, "churn"), _request(store, "credit")
    window = _open(qtbot, store, "rita", settings)
    try:
        box = window.inbox
        qtbot.waitUntil(lambda: box.unread == 2, timeout=10_000)
        box.action.trigger()
        older = box.popup.list.topLevelItem(1)  # the request for churn, made first
        assert f"request {first}" in older.text(2)
        box.popup.list.setCurrentItem(older)
        qtbot.keyClick(box.popup.list, Qt.Key.Key_Return)
        assert not box.popup.isVisible()
        approvals = window.view("approvals")
        table = approvals.table
        qtbot.waitUntil(lambda: table.currentRow() >= 0
                        and table.item(table.currentRow(), 0).text() == str(first), timeout=10_000)
        assert table.item(table.currentRow(), 0).text() != str(second)
        qtbot.waitUntil(lambda: box.unread == 1, timeout=10_000)  # that one is read now
        assert [n.id for n in inbox(store, "rita", unread_only=True)] != []
    finally:
        _close(qtbot, window)


def test_the_open_workbench_sends_a_due_webhook_once(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    hook = Receiver()
    window = None
    try:
        configure_webhook(store, "alice", hook.url)
        window = _open(qtbot, store, "bob", settings)
        assert window.inbox.outbox.active and window.inbox.outbox.timer.isActive()
        started = time.monotonic()
        request = _request(store)  # asks the approvers: one outbox row for the webhook
        qtbot.waitUntil(lambda: len(hook.bodies) == 1, timeout=20_000)
        assert time.monotonic() - started < 15  # the 5-second timer, not a one-off
        assert f"request {request}" in hook.bodies[0]["text"] and hook.bodies[0]["kind"] == "approval"
        qtbot.wait(6000)  # a later tick finds nothing due: sent once
        assert len(hook.bodies) == 1
        with store.read() as uow:
            assert [i.status for i in uow.notifications.outbox()] == ["sent"]
        _close(qtbot, window)
        assert not window.inbox.outbox.timer.isActive()
    finally:
        hook.close()
        if window is not None and window.isVisible():
            _close(qtbot, window)


def test_an_analyst_window_does_not_send(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    window = _open(qtbot, store, "anna", settings)
    try:
        assert not window.inbox.outbox.active and not window.inbox.outbox.timer.isActive()
    finally:
        _close(qtbot, window)


def test_a_failing_webhook_is_said_once_in_the_status_bar(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    from tests.support.postgres import free_port

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    configure_webhook(store, "alice", f"http://127.0.0.1:{free_port()}/nobody-listens")
    window = _open(qtbot, store, "bob", settings)
    said: list[str] = []
    window.statusBar().messageChanged.connect(said.append)
    try:
        _request(store)

        def attempts() -> int:
            with store.read() as uow:
                return sum(i.attempts for i in uow.notifications.outbox())

        qtbot.waitUntil(lambda: attempts() >= 2, timeout=30_000)  # tried, backed off, tried again
        qtbot.wait(300)
        failures = [text for text in said if "could not send" in text]
        assert len(failures) == 1, said
        assert "will retry" in failures[0]
    finally:
        _close(qtbot, window)


def test_a_long_status_message_stops_short_of_the_identity(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    window = _open(qtbot, store, "rita", settings)
    try:
        qtbot.waitUntil(lambda: window.isMaximized() or window.width() <= 1366, timeout=5_000)
        note = ("Note: your signing key lasts for this session only (no OS keyring is available on this "
                "machine (install and unlock a Secret Service such as GNOME Keyring or KWallet); what you "
                "sign still verifies, and the next session registers another key.")
        window.statusBar().showMessage(note, 15000)
        shown = window.statusBar().currentMessage()
        assert shown.endswith("…") and shown[:-1] in note
        identity = window.statusBar().findChild(QLabel, "identity")
        room = identity.geometry().left()  # the message is drawn left of the permanent widgets
        assert window.statusBar().fontMetrics().horizontalAdvance(shown) < room
        assert window.statusBar().toolTip() == note  # the whole note, on hover
    finally:
        _close(qtbot, window)


def test_a_failed_run_notification_opens_the_run(qtbot, tmp_path: Path, settings) -> None:  # noqa: ANN001
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    with store.write("bob") as uow:
        project = uow.projects.ensure()
        failed, other = uow.runs.create(project.id, None).id, uow.runs.create(project.id, None).id
        uow.runs.set_status(failed, "running")
        uow.runs.set_status(failed, "failed", error="train: out of memory")
    window = _open(qtbot, store, "bob", settings)
    try:
        box = window.inbox
        qtbot.waitUntil(lambda: box.unread == 1, timeout=10_000)
        box.action.trigger()
        item = box.popup.list.topLevelItem(0)
        assert item.text(1) == "your run" and "out of memory" in item.text(2)
        box.popup.list.itemActivated.emit(item, 0)  # as a double-click does
        runs = window.view("runs")
        qtbot.waitUntil(lambda: runs.selected_run == failed, timeout=10_000)
        assert runs.runs.item(runs.runs.currentRow(), 0).text() == str(failed) != str(other)
        qtbot.waitUntil(lambda: box.unread == 0, timeout=10_000)
    finally:
        _close(qtbot, window)
