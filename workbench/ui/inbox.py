"""The inbox in every role's window: a toolbar button "Inbox (N)" with the unread count, and a
popup listing the person's notifications newest first (time, kind, text; unread in bold) with
"Mark all read". Activating one marks it read and goes to its target where this window can
show it: ``approval:ID`` selects the request in Approvals, ``run:ID`` the run in Runs,
``alert:ID`` the alert in Alerts (switching to a role of the person's that has the view when
the current one lacks it).

The count follows the change feed (topic ``notifications``, key = the recipient), so an entry
made by another process shows within the feed's poll. Reading goes through
``services.notifications`` on a worker thread; the UI thread never waits on the store.
"""

from __future__ import annotations

import textwrap
from typing import Any

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QFont, QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QToolBar,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.formatting import local_time

__all__ = ["Inbox", "InboxPopup", "install"]

KIND_TITLES = {"approval": "approval asked", "run": "your run", "mention": "mention", "alert": "alert"}
# where a target is shown: its view, and how that view selects it
TARGET_VIEWS = {"approval": "approvals", "run": "runs", "alert": "alerts"}


def _when(epoch_ms: int) -> str:
    """"14:05" today, "Dec 03 14:05" before."""
    import datetime as dt

    shown = local_time(epoch_ms, seconds=False)
    return shown[11:] if shown[:10] == dt.date.today().isoformat() else \
        dt.datetime.fromtimestamp(epoch_ms / 1000).strftime("%b %d %H:%M")


class InboxPopup(QFrame):
    """The list under the Inbox button; closes when the person clicks elsewhere or presses Esc."""

    activated = Signal(object)  # the chosen Notification

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("inbox_popup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel("<b>Inbox</b>", self)
        self.mark_all = QPushButton("Mark all read", self)
        self.mark_all.setObjectName("inbox_mark_all")
        self.list = QTreeWidget(self)
        self.list.setObjectName("inbox_list")
        self.list.setHeaderLabels(["time", "kind", "what"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(False)  # a long text takes two or three lines
        self.list.setAlternatingRowColors(True)
        header = self.list.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No notifications. Approval requests for your role, your runs that fail or "
                            "wait, mentions of you and alerts arrive here.", self)
        self.empty.setWordWrap(True)
        self.hint = QLabel("Double-click or Enter goes to it.", self)
        self.hint.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.mark_all)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(top)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.hint)
        self.list.itemActivated.connect(lambda item, _col: self.activated.emit(item.data(0, Qt.ItemDataRole.UserRole)))

    def fill(self, notes: list[Any]) -> None:
        self.list.clear()
        for note in notes:  # the service gives them newest first
            item = QTreeWidgetItem([_when(note.created_at), KIND_TITLES.get(note.kind, note.kind),
                                    textwrap.fill(note.text, 64, max_lines=3, placeholder=" …")])
            item.setData(0, Qt.ItemDataRole.UserRole, note)
            item.setToolTip(2, f"{note.text}\n({note.target})")
            if note.read_at is None:
                font = QFont(self.list.font())
                font.setBold(True)
                for column in range(3):
                    item.setFont(column, font)
            self.list.addTopLevelItem(item)
        unread = sum(1 for n in notes if n.read_at is None)
        self.title.setText(f"<b>Inbox</b> — {unread} unread" if unread else "<b>Inbox</b>")
        self.mark_all.setEnabled(unread > 0)
        self.list.setVisible(bool(notes))
        self.hint.setVisible(bool(notes))
        self.empty.setVisible(not notes)
        first = self.list.topLevelItem(0) if notes else None
        if first is not None:
            self.list.setCurrentItem(first)

    def show_under(self, anchor: QWidget) -> None:
        """Open below ``anchor``, kept on its screen (640×420, less on a small screen)."""
        screen = anchor.screen().availableGeometry()
        width, height = min(640, screen.width() - 16), min(420, screen.height() - 80)
        self.resize(width, height)
        spot = anchor.mapToGlobal(QPoint(0, anchor.height()))
        x = min(max(spot.x(), screen.left() + 4), screen.right() - width - 4)
        y = min(spot.y(), screen.bottom() - height - 4)
        self.move(x, y)
        self.show()
        self.list.setFocus()


class Inbox(QObject):
    """The unread count on ``action`` and the popup, kept current from the change feed."""

    counted = Signal(int)

    def __init__(self, window: Any, action: QAction):
        super().__init__(window)
        self.window, self.action = window, action
        self.store, self.user = window.store, window.user_name
        self.notes: list[Any] = []
        self.unread = 0
        self.outbox: Any = None  # the sender the window runs (see install_inbox)
        self.popup = InboxPopup(window)
        self.popup.mark_all.clicked.connect(self.mark_all_read)
        self.popup.activated.connect(self.go_to)
        action.triggered.connect(self.open)
        window.feed.changed.connect(self._on_changes)
        self._show_count()
        self.refresh()

    # -- reading ----------------------------------------------------------------------------
    def _on_changes(self, changes: list) -> None:
        if any(c.topic == "notifications" and c.key == self.user for c in changes):
            self.refresh()

    def refresh(self) -> None:
        from workbench.services.notifications import inbox

        store, user = self.store, self.user
        self.window.tasks.run(lambda: inbox(store, user), self._show,
                              lambda text: self.window.statusBar().showMessage(f"cannot read the inbox: {text}", 8000))

    def _show(self, notes: list[Any]) -> None:
        self.notes = list(notes)
        self.unread = sum(1 for n in self.notes if n.read_at is None)
        self._show_count()
        self.popup.fill(self.notes)
        self.counted.emit(self.unread)

    def _show_count(self) -> None:
        self.action.setText(f"Inbox ({self.unread})" if self.unread else "Inbox")
        self.action.setToolTip(f"{self.unread} unread notification(s) — open the inbox (Ctrl+Shift+I)"
                               if self.unread else "Open the inbox: nothing unread (Ctrl+Shift+I)")
        button = self._button()
        if button is not None:
            font = QFont(button.font())
            font.setBold(self.unread > 0)
            button.setFont(font)

    def _button(self) -> QWidget | None:
        for bar in self.window.findChildren(QToolBar):
            widget = bar.widgetForAction(self.action)
            if widget is not None:
                return widget
        return None

    def stop(self) -> None:
        """The window closes: stop sending (waits for a send in flight)."""
        outbox = getattr(self, "outbox", None)
        if outbox is not None:
            outbox.stop()

    # -- acting -----------------------------------------------------------------------------
    def open(self) -> None:
        self.popup.fill(self.notes)
        anchor = self._button() or self.window
        self.popup.show_under(anchor)
        self.refresh()

    def mark_all_read(self) -> None:
        self._mark(None)

    def _mark(self, ids: list[int] | None) -> None:
        if getattr(self.store, "read_only", False):
            return
        from workbench.services.notifications import mark_read

        store, user = self.store, self.user
        self.window.tasks.run(lambda: mark_read(store, user, ids), lambda _n: self.refresh(),
                              lambda text: self.window.statusBar().showMessage(f"cannot mark read: {text}", 8000))

    def go_to(self, note: Any) -> None:
        """Mark ``note`` read and show its target where this window has a view for it."""
        self.popup.hide()
        if note is None:
            return
        if note.read_at is None:
            self._mark([note.id])
        kind, _, ident = note.target.partition(":")
        view_id = TARGET_VIEWS.get(kind)
        if view_id is None or not ident.isdigit() or not self._show_view(view_id):
            self.window.statusBar().showMessage(f"{note.text} ({note.target})", 8000)
            return
        self._select(view_id, int(ident), tries=20)

    def _show_view(self, view_id: str) -> bool:
        from workbench.ui.views import ROLE_VIEWS

        window = self.window
        if window.view(view_id) is None:
            role = next((r for r in window.roles if view_id in ROLE_VIEWS.get(r, ())), None)
            if role is None:
                return False
            window.switch_role(role)
        dock = window.role_window().docks.get(view_id) if window.role_window() else None
        if dock is None:
            return False
        dock.show()
        dock.raise_()
        return True

    def _select(self, view_id: str, ident: int, tries: int) -> None:
        """Select ``ident`` in the view; a view just opened may still be reading, so try again
        for a few seconds."""
        view = self.window.view(view_id)
        if view is None:
            return
        table = view.runs if view_id == "runs" else view.table
        for row in range(table.rowCount()):
            item = table.item(row, 0)
            if item is not None and item.text() == str(ident):
                table.setCurrentCell(row, 0)
                table.selectRow(row)
                table.scrollToItem(item)
                if view_id == "runs":
                    view.select_run(ident)
                return
        if tries > 0:
            QTimer.singleShot(250, lambda: self._select(view_id, ident, tries - 1))
        else:
            self.window.statusBar().showMessage(f"{view_id[:-1]} {ident} is not in the list any more", 8000)


def install(window: Any) -> Inbox:
    """Put the Inbox button in ``window``'s main toolbar (after the role switcher's group) and
    start its sender of due webhook/e-mail notifications."""
    from workbench.ui.outbox_sender import OutboxSender

    action = QAction("Inbox", window)
    action.setObjectName("inbox_button")
    action.setShortcut(QKeySequence("Ctrl+Shift+I"))
    bar = window.findChild(QToolBar, "main_toolbar")
    actions = bar.actions() if bar is not None else []
    hint = getattr(window, "_hint_actions", (None,))[0]
    # before the spacer that precedes the start-here hint, so it stays beside the role switcher
    index = actions.index(hint) - 1 if hint in actions else len(actions)
    if bar is not None:
        if 0 <= index < len(actions):
            bar.insertAction(actions[index], action)
        else:
            bar.addAction(action)
    window.addAction(action)
    inbox = Inbox(window, action)
    inbox.outbox = OutboxSender(window)
    return inbox
