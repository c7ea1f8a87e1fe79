"""The main window: a role switcher showing only the roles the signed-in user holds; each
role opens its own arrangement of views as dock widgets, and the last layout of each role is
remembered (QSettings). The analyst's views see the store through a read-only session.

Also here: the command palette (Ctrl+K), light and dark palettes, the store chooser, and the
status bar's view of work running off the UI thread (progress, Cancel; Ctrl+Shift+X stops
every background task).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QToolBar,
    QWidget,
)

from workbench.governance.permissions import ROLE_TITLES
from workbench.ui.context import UiContext
from workbench.ui.feed import ChangeFeedThread
from workbench.ui.palette import CommandPalette, apply_theme
from workbench.ui.tasks import TaskRunner, TaskStatus
from workbench.ui.views import ROLE_VIEWS, VIEWS


class MainWindow(QMainWindow):
    def __init__(self, store: Any, user: str, *, settings: QSettings | None = None):
        super().__init__()
        self.setObjectName("main_window")
        self.store, self.user_name = store, user
        self.settings = settings or QSettings()
        with store.read() as uow:
            found = uow.users.find(user)
        self.roles: tuple[str, ...] = found.roles if found else ()
        self._read_only_store: Any = None
        self.tasks = TaskRunner(self)
        self.feed = ChangeFeedThread(store, self)
        self.feed.start()
        self._docks: dict[str, QDockWidget] = {}
        self._contexts: dict[bool, UiContext] = {}
        self.current_role: str | None = None
        self.setWindowTitle(f"MLOps Workbench — {store.display_url}")
        self.resize(1280, 800)
        self.setDockNestingEnabled(True)
        self._build_actions()
        self._build_toolbar()
        self._build_status()
        apply_theme(str(self.settings.value("theme", "light")))
        if self.roles:
            first = str(self.settings.value("last_role", self.roles[0]))
            self.switch_role(first if first in self.roles else self.roles[0])
        else:
            note = QLabel(f"{user!r} holds no role in this store. Ask an admin to add you "
                          "('workbench users add').", self)
            note.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.setCentralWidget(note)

    # -- chrome ---------------------------------------------------------------------------
    def _build_actions(self) -> None:
        self.palette_action = QAction("Command palette…", self)
        self.palette_action.setShortcut(QKeySequence("Ctrl+K"))
        self.palette_action.triggered.connect(self._on_palette)
        self.theme_action = QAction("Dark palette", self, checkable=True)
        self.theme_action.setChecked(self.settings.value("theme", "light") == "dark")
        self.theme_action.triggered.connect(self._on_theme)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.open_store_action = QAction("Open store…", self)
        self.open_store_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_store_action.triggered.connect(self._on_open_store)
        self.reset_layout_action = QAction("Reset layout", self)
        self.reset_layout_action.triggered.connect(self._on_reset_layout)
        self.cancel_tasks_action = QAction("Cancel background tasks", self)
        self.cancel_tasks_action.setShortcut(QKeySequence("Ctrl+Shift+X"))
        self.cancel_tasks_action.triggered.connect(self._on_cancel_tasks)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_store_action)
        file_menu.addAction(self.quit_action)
        self.addAction(self.open_store_action)
        self.view_menu = self.menuBar().addMenu("&View")
        for action in (self.palette_action, self.theme_action, self.reset_layout_action,
                       self.cancel_tasks_action):
            self.view_menu.addAction(action)
            self.addAction(action)
        self.addAction(self.quit_action)

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main", self)
        bar.setObjectName("main_toolbar")
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Role: "))
        self.role_box = QComboBox(self)
        self.role_box.setObjectName("role_switcher")
        for role in self.roles:
            self.role_box.addItem(ROLE_TITLES.get(role, role), role)
        self.role_box.setEnabled(bool(self.roles))
        self.role_box.currentIndexChanged.connect(self._on_role_chosen)
        bar.addWidget(self.role_box)

    def _build_status(self) -> None:
        self.busy = TaskStatus(self.tasks, self)
        self.statusBar().addPermanentWidget(self.busy)
        self.statusBar().addPermanentWidget(QLabel(f"{self.user_name} · {self.store.display_url}"))
        self.feed.failed.connect(lambda text: self.statusBar().showMessage(f"store unreachable: {text}", 5000))

    def _on_cancel_tasks(self) -> None:
        count = self.tasks.cancel_all()
        self.statusBar().showMessage(f"cancelling {count} background task(s)" if count
                                     else "no background task to cancel", 4000)

    # -- roles ----------------------------------------------------------------------------
    def context(self, read_only: bool) -> UiContext:
        if read_only not in self._contexts:
            store = self.store
            if read_only:
                from workbench.store import open_store

                self._read_only_store = open_store(self.store.url, read_only=True)
                store = self._read_only_store
            self._contexts[read_only] = UiContext(store, self.user_name, self.roles, self.feed, self.tasks, self)
        return self._contexts[read_only]

    def switch_role(self, role: str) -> None:
        if role not in self.roles or role == self.current_role:
            return
        if self.current_role is not None:
            self.settings.setValue(f"layout/{self.current_role}", self.saveState())
        for dock in self._docks.values():
            self.removeDockWidget(dock)
            dock.hide()
        read_only = role == "analyst"
        ctx = self.context(read_only)
        shown: list[QDockWidget] = []
        for view_id in ROLE_VIEWS.get(role, ()):
            spec = VIEWS[view_id]
            if read_only and not spec.read_only_ok:
                continue
            key = f"{view_id}{':ro' if read_only else ''}"
            dock = self._docks.get(key)
            if dock is None:
                factory = spec.factory()
                if factory is None:
                    continue
                dock = QDockWidget(spec.title, self)
                dock.setObjectName(f"dock_{key}")
                widget: QWidget = factory(ctx)
                widget.setObjectName(f"view_{view_id}")
                dock.setWidget(widget)
                self._docks[key] = dock
            shown.append(dock)
        for i, dock in enumerate(shown):
            if i == 0:
                self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
            else:
                self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
                if i > 1:
                    self.tabifyDockWidget(shown[1], dock)
            dock.show()
        if len(shown) > 1:
            self.resizeDocks([shown[0], shown[1]], [int(self.width() * 0.68), int(self.width() * 0.32)],
                             Qt.Orientation.Horizontal)
        saved = self.settings.value(f"layout/{role}")
        if isinstance(saved, QByteArray | bytes):
            self.restoreState(saved)
        self.current_role = role
        self.settings.setValue("last_role", role)
        index = self.role_box.findData(role)
        if index >= 0 and index != self.role_box.currentIndex():
            self.role_box.blockSignals(True)
            self.role_box.setCurrentIndex(index)
            self.role_box.blockSignals(False)
        self.statusBar().showMessage(f"{ROLE_TITLES.get(role, role)} view"
                                     + (" (read-only)" if read_only else ""), 4000)

    def view(self, view_id: str) -> QWidget | None:
        """The widget of a view of the current role (for tests and the palette)."""
        for key, dock in self._docks.items():
            if key.split(":")[0] == view_id and dock.isVisible():
                return dock.widget()
        return None

    def _on_role_chosen(self, index: int) -> None:
        self.switch_role(self.role_box.itemData(index))

    def _on_reset_layout(self) -> None:
        if self.current_role:
            self.settings.remove(f"layout/{self.current_role}")
            role, self.current_role = self.current_role, None
            self.switch_role(role)

    def _on_theme(self, dark: bool) -> None:
        self.settings.setValue("theme", "dark" if dark else "light")
        apply_theme("dark" if dark else "light")

    def _on_palette(self) -> None:
        actions = [a for a in self.findChildren(QAction) if a.text() and a.isEnabled() and a.isVisible()]
        CommandPalette(actions, self).exec()

    def open_store(self, url: str) -> MainWindow | None:
        """Open another store in a new window (this one closes); None if it cannot be opened."""
        from workbench.errors import WorkbenchError
        from workbench.ui.app import prepare_store

        try:
            store, note = prepare_store(url, self.user_name)
        except WorkbenchError as exc:
            self.statusBar().showMessage(f"cannot open the store: {exc}", 15000)
            return None
        window = MainWindow(store, self.user_name, settings=self.settings)
        if note:
            window.statusBar().showMessage(note, 15000)
        window.show()
        self.close()
        self._successor = window
        return window

    def _on_open_store(self) -> None:
        from workbench.ui.store_dialog import StoreDialog

        dialog = StoreDialog(self)
        if dialog.exec() and dialog.chosen_url:
            self.open_store(dialog.chosen_url)

    # -- closing --------------------------------------------------------------------------
    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        for dock in self._docks.values():
            guard = getattr(dock.widget(), "maybe_close", None)
            if guard is not None and not guard():
                event.ignore()
                return
        if self.current_role:
            self.settings.setValue(f"layout/{self.current_role}", self.saveState())
        self.tasks.cancel_all()  # long work stops at its next step instead of outliving the window
        self.feed.stop()
        if self._read_only_store is not None:
            self._read_only_store.close()
        self.store.close()
        super().closeEvent(event)
