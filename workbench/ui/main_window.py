"""The main window: a role switcher showing only the roles the signed-in user holds; each
role opens its own arrangement of views as dock widgets, and the last layout of each role is
remembered (QSettings). The analyst's views see the store through a read-only session.

Also here: the command palette (Ctrl+K), light and dark palettes, the store chooser, and the
status bar's view of work running off the UI thread (progress, Cancel; Ctrl+Shift+X stops
every background task), and the Discussion panel at the right of every role's docks (Ctrl+Shift+D):
views say what is chosen with ``subject_changed(target, title)`` and the panel shows its thread.
The window works in one project (``ui.project_switcher``): its title names it, its views read
it, and its roles are those held there.
"""

from __future__ import annotations

import os
from typing import Any

from PySide6.QtCore import QRect, QSettings, QSize, Qt
from PySide6.QtGui import QAction, QActionGroup, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLabel,
    QMainWindow,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QStatusBar,
    QToolBar,
    QToolButton,
    QWidget,
)

from workbench.governance.permissions import ROLE_TITLES
from workbench.ui.context import UiContext
from workbench.ui.discussion_panel import DiscussionPanel
from workbench.ui.feed import ChangeFeedThread
from workbench.ui.inbox import install as install_inbox
from workbench.ui.palette import CommandPalette, apply_theme
from workbench.ui.project_switcher import install as install_project_switcher
from workbench.ui.role_window import RoleWindow
from workbench.ui.tasks import TaskRunner, TaskStatus
from workbench.ui.views import MAIN_SHARE, ROLE_ORDER, ROLE_VIEWS, START_HERE, VIEWS

DEFAULT_SIZE = (1440, 900)


class ElidedLabel(QLabel):
    """One line of text that shortens with "…" instead of widening the window; the whole text
    is its tooltip."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.full_text = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self.full_text = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._elide()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(self.fontMetrics().horizontalAdvance(self.full_text) + 8, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(120, super().minimumSizeHint().height())

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full_text, Qt.TextElideMode.ElideRight, max(self.width(), 40)))


class ElidingStatusBar(QStatusBar):
    """A status bar whose messages end in "…" before the permanent widgets (the identity) rather
    than running into them; the whole message is its tooltip while it shows."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.messageChanged.connect(self._on_message_changed)

    def _on_message_changed(self, text: str) -> None:
        if not text:
            self.setToolTip("")

    def showMessage(self, text: str, timeout: int | None = 0) -> None:  # noqa: N802 - Qt override
        self.setToolTip(text)
        widgets = [w for w in self.findChildren(QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly)
                   if not w.isHidden()]  # the permanent ones: a message hides the others
        width = (self.width() if self.isVisible() else self.window().width()) - 40 - sum(
            max(w.width() if w.isVisible() else 0, w.sizeHint().width()) for w in widgets)
        super().showMessage(self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(width, 120)),
                            timeout or 0)


class MainWindow(QMainWindow):
    def __init__(self, store: Any, user: str, *, settings: QSettings | None = None, identity: str = "",
                 proven: bool | None = None, project: str | None = None):
        super().__init__()
        self.setObjectName("main_window")
        self.store, self.user_name = store, user
        # how the workbench knows who this is (``services.session``): proven by a database
        # login, or only asserted on the embedded store, which every screen that shows a
        # decision says
        self.proven = (store.dialect == "postgresql") if proven is None else proven
        self.identity = identity or ("database login (PostgreSQL)" if self.proven else
                                     "asserted identity, embedded store")
        self.settings = settings or QSettings()
        from workbench.services.projects import window_roles

        asked = (project or os.environ.get("WORKBENCH_PROJECT")
                 or str(self.settings.value("last_project", "") or "default"))
        self.project, roles = window_roles(store, user, asked)
        self.project_note = "" if asked == self.project else f"this store has no project {asked!r}: showing {self.project}"
        held = set(roles)
        self.roles: tuple[str, ...] = tuple(r for r in ROLE_ORDER if r in held) + tuple(sorted(held - set(ROLE_ORDER)))
        self._read_only_store: Any = None
        self.tasks = TaskRunner(self)
        self.feed = ChangeFeedThread(store, self)
        self.feed.start()
        self._views: dict[str, QScrollArea] = {}
        self._role_windows: dict[str, RoleWindow] = {}
        self.stack = QStackedWidget(self)
        self.stack.setObjectName("roles")
        self.discussion = DiscussionPanel(self.feed, self)
        self.split = QSplitter(Qt.Orientation.Horizontal, self)
        self.split.setObjectName("roles_and_discussion")
        self.split.setChildrenCollapsible(False)
        self.split.addWidget(self.stack)
        self.split.addWidget(self.discussion)
        self.split.setStretchFactor(0, 1)
        self._contexts: dict[bool, UiContext] = {}
        self.current_role: str | None = None
        self.setWindowTitle(f"MLOps Workbench — {self.project} — {store.display_url}")
        self.setDockNestingEnabled(True)
        self._build_actions()
        self._build_toolbar()
        self.project_box = install_project_switcher(self)
        self._build_hint()
        self._build_status()
        self.inbox = install_inbox(self)  # the Inbox button and the sender of due notifications
        self._fit_initial_size()
        apply_theme(str(self.settings.value("theme", "light")))
        if self.roles:
            self.setCentralWidget(self.split)
            self._show_discussion(self.discussion_action.isChecked())
            first = str(self.settings.value("last_role", self.roles[0]))
            self.switch_role(first if first in self.roles else self.roles[0])
        else:
            note = QLabel(f"{user!r} holds no role in project {self.project!r}. Choose another project "
                          "above, or ask an admin to add you ('workbench users add', 'workbench users grant').",
                          self)
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
        self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.triggered.connect(self.close)
        self.open_store_action = QAction("Open store…", self)
        self.open_store_action.setShortcut(QKeySequence("Ctrl+Shift+O"))
        self.open_store_action.triggered.connect(self._on_open_store)
        self.reset_layout_action = QAction("Reset layout", self)
        self.reset_layout_action.triggered.connect(self._on_reset_layout)
        self.hint_action = QAction("Start-here hint", self, checkable=True)
        self.hint_action.triggered.connect(self._on_hint_toggled)
        self.cancel_tasks_action = QAction("Cancel background tasks", self)
        self.cancel_tasks_action.setShortcut(QKeySequence("Ctrl+Shift+X"))
        self.cancel_tasks_action.triggered.connect(self._on_cancel_tasks)
        self.discussion_action = QAction("Discussion", self, checkable=True)
        self.discussion_action.setObjectName("discussion_toggle")
        self.discussion_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.discussion_action.setToolTip("Show or hide the discussion of what you have chosen (Ctrl+Shift+D)")
        shown = self.settings.value("discussion/shown")
        # open at first only where it leaves every role's side column its room (the runs view needs
        # 400 px); on a laptop a person opens it, and the choice is remembered
        self.discussion_action.setChecked(self._available().width() >= 1900 if shown is None
                                          else shown in (True, "true"))
        self.discussion_action.triggered.connect(self._on_discussion_toggled)
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.open_store_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        # The graph editor's document and editing actions, while a role shows the editor.
        self.graph_menu = self.menuBar().addMenu("&Graph")
        self.graph_menu.menuAction().setVisible(False)
        self.role_menu = self.menuBar().addMenu("&Role")
        self.role_group = QActionGroup(self)
        self.role_actions: dict[str, QAction] = {}
        for i, role in enumerate(self.roles):
            title = ROLE_TITLES.get(role, role)
            action = QAction(f"{title[:1].upper()}{title[1:]} view", self, checkable=True)
            action.setObjectName(f"role_{role}")
            if i < 9:
                action.setShortcut(QKeySequence(f"Alt+{i + 1}"))
            action.triggered.connect(lambda _checked=False, role=role: self.switch_role(role))
            self.role_group.addAction(action)
            self.role_menu.addAction(action)
            self.role_actions[role] = action
        self.view_menu = self.menuBar().addMenu("&View")
        for action in (self.palette_action, self.discussion_action, self.theme_action, self.hint_action,
                       self.reset_layout_action, self.cancel_tasks_action):
            self.view_menu.addAction(action)
        self.addActions([self.open_store_action, self.quit_action, *self.role_actions.values(),
                         self.palette_action, self.discussion_action, self.theme_action, self.reset_layout_action,
                         self.cancel_tasks_action])

    def _build_toolbar(self) -> None:
        bar = QToolBar("Main toolbar", self)
        bar.setObjectName("main_toolbar")
        bar.setMovable(False)
        bar.toggleViewAction().setVisible(False)  # not a command: the palette lists commands
        self.addToolBar(bar)
        bar.addWidget(QLabel(" Role: "))
        self.role_box = QComboBox(self)
        self.role_box.setObjectName("role_switcher")
        self.role_box.setToolTip("Switch role (Alt+1 … Alt+6, or the Role menu)")
        for role in self.roles:
            self.role_box.addItem(ROLE_TITLES.get(role, role), role)
        self.role_box.setEnabled(bool(self.roles))
        self.role_box.currentIndexChanged.connect(self._on_role_chosen)
        bar.addWidget(self.role_box)
        bar.addAction(self.discussion_action)

    def _build_hint(self) -> None:
        """A one-line "start here" for the current role beside the role switcher, until the
        person dismisses it (View › Start-here hint brings it back)."""
        bar = self.findChild(QToolBar, "main_toolbar")
        assert bar is not None  # made by the constructor before the hint
        self.hint = ElidedLabel(self)
        self.hint.setObjectName("start_here")
        self.hint_close = QToolButton(self)
        self.hint_close.setText("Got it")
        self.hint_close.setToolTip("Hide this hint (View › Start-here hint brings it back)")
        self.hint_close.clicked.connect(lambda: self._on_hint_toggled(False))
        spacer = QWidget(self)
        spacer.setFixedWidth(16)
        bar.addWidget(spacer)
        self._hint_actions = (bar.addWidget(self.hint), bar.addWidget(self.hint_close))

    def _build_status(self) -> None:
        self.setStatusBar(ElidingStatusBar(self))
        self.busy = TaskStatus(self.tasks, self)
        self.statusBar().addPermanentWidget(self.busy)
        how = "signed in with a database login" if self.proven else self.identity
        who = QLabel(f"{self.user_name} ({how}) · {self.store.display_url}")
        who.setObjectName("identity")
        who.setToolTip("Signed in with a database login: the store knows who you are." if self.proven else
                       "The embedded store has no logins: anyone on this machine can type any name. "
                       "Four eyes on approvals need a PostgreSQL store.")
        self.statusBar().addPermanentWidget(who)
        self.feed.failed.connect(lambda text: self.statusBar().showMessage(f"store unreachable: {text}", 5000))

    def _available(self) -> QRect:
        screen = self.screen() or QGuiApplication.primaryScreen()
        return screen.availableGeometry() if screen is not None else QRect(0, 0, *DEFAULT_SIZE)

    def _fit_initial_size(self) -> None:
        """1440×900 where that fits; otherwise the whole available screen (a 1366×768 laptop)."""
        area = self._available()
        width, height = min(DEFAULT_SIZE[0], area.width()), min(DEFAULT_SIZE[1], area.height())
        self.resize(width, height)
        self.move(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2)
        self._maximise = width < DEFAULT_SIZE[0] or height < DEFAULT_SIZE[1]

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if getattr(self, "_maximise", False):
            self._maximise = False
            self.setWindowState(self.windowState() | Qt.WindowState.WindowMaximized)
        self.fit_to_screen()

    def fit_to_screen(self) -> None:
        """Never larger than the available screen: shrink (and move back on) when a view grew it."""
        if self.isMaximized() or self.isFullScreen():
            return
        area, frame = self._available(), self.frameGeometry()
        extra_w, extra_h = frame.width() - self.width(), frame.height() - self.height()
        width = min(self.width(), area.width() - extra_w)
        height = min(self.height(), area.height() - extra_h)
        if (width, height) != (self.width(), self.height()):
            self.resize(width, height)
        frame = self.frameGeometry()
        x = min(max(frame.x(), area.x()), area.right() - frame.width() + 1)
        y = min(max(frame.y(), area.y()), area.bottom() - frame.height() + 1)
        if (x, y) != (frame.x(), frame.y()):
            self.move(x, y)

    def _on_discussion_toggled(self, shown: bool) -> None:
        self.settings.setValue("discussion/shown", shown)
        self._show_discussion(shown)

    def _show_discussion(self, shown: bool) -> None:
        self.discussion.setVisible(shown)
        self.discussion_action.setChecked(shown)
        total = self.split.width() or self.width()
        if shown:  # a column about a quarter of the window: 320 px at 1366, 380 px at 1600
            side = max(300, min(420, total // 4))
            self.split.setSizes([total - side, side])

    def _on_cancel_tasks(self) -> None:
        count = self.tasks.cancel_all()
        self.statusBar().showMessage(f"cancelling {count} background task(s)" if count
                                     else "no background task to cancel", 4000)

    # -- roles ----------------------------------------------------------------------------
    def context(self, read_only: bool) -> UiContext:
        if read_only not in self._contexts:
            store = self.store
            if read_only:
                from workbench.services.session import read_only_twin

                self._read_only_store = read_only_twin(self.store)
                store = self._read_only_store
            self._contexts[read_only] = UiContext(store, self.user_name, self.roles, self.feed, self.tasks, self,
                                                  project=self.project)
        return self._contexts[read_only]

    def _view(self, view_id: str, ctx: UiContext) -> QScrollArea | None:
        """A view (created on first use), in a scroll area: a view larger than its space
        scrolls instead of growing the window off the screen. Shared by the roles that show it."""
        key = f"{view_id}{':ro' if ctx.read_only else ''}"
        if key not in self._views:
            factory = VIEWS[view_id].factory()
            if factory is None:
                return None
            widget: QWidget = factory(ctx)
            widget.setObjectName(f"view_{view_id}")
            scroll = QScrollArea(self)
            scroll.setObjectName(f"scroll_{key}")
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setWidget(widget)
            self._views[key] = scroll
            subject = getattr(widget, "subject_changed", None)
            if subject is not None:  # what the person chose there is what the discussion is about
                subject.connect(self.discussion.show_subject)
            if view_id == "graph":
                self._fill_graph_menu(widget)
                use_store = getattr(getattr(widget, "editor", None), "use_store", None)
                if use_store is not None:  # graph history: Save to store, History
                    use_store(ctx.store, ctx.user, ctx.project)
        return self._views[key]

    def _role_window(self, role: str) -> RoleWindow:
        if role not in self._role_windows:
            read_only = role == "analyst"
            ctx = self.context(read_only)
            views = [(v, VIEWS[v].title) for v in ROLE_VIEWS.get(role, ())
                     if (not read_only or VIEWS[v].read_only_ok) and self._view(v, ctx) is not None]
            window = RoleWindow(role, views, self.stack, MAIN_SHARE.get(role, 0.7))
            self.stack.addWidget(window)
            self._role_windows[role] = window
        return self._role_windows[role]

    def switch_role(self, role: str) -> None:
        if role not in self.roles or role == self.current_role:
            return
        self._save_layout()
        window = self._role_window(role)
        ctx = self.context(role == "analyst")
        for view_id, dock in window.docks.items():  # the shared views move into this role's docks
            scroll = self._view(view_id, ctx)
            if scroll is not None and dock.widget() is not scroll:
                dock.setWidget(scroll)
        window.resize(self.stack.size())
        window.arrange(self.settings.value(f"layout/{role}"), self.stack.width() or self.width())
        self.stack.setCurrentWidget(window)
        self.current_role = role
        self.discussion.set_context(ctx, role)
        self.settings.setValue("last_role", role)
        index = self.role_box.findData(role)
        if index >= 0 and index != self.role_box.currentIndex():
            self.role_box.blockSignals(True)
            self.role_box.setCurrentIndex(index)
            self.role_box.blockSignals(False)
        self.role_actions[role].setChecked(True)
        self.graph_menu.menuAction().setVisible(self.view("graph") is not None)
        self._show_hint()
        self.fit_to_screen()
        self.statusBar().showMessage(f"{ROLE_TITLES.get(role, role)} view"
                                     + (" (read-only)" if role == "analyst" else ""), 4000)

    def _save_layout(self) -> None:
        window = self._role_windows.get(self.current_role or "")
        if window is not None:
            self.settings.setValue(f"layout/{window.role}", window.layout_state())

    def role_window(self) -> RoleWindow | None:
        """The current role's window (its docks)."""
        return self._role_windows.get(self.current_role or "")

    def visible_docks(self) -> list[str]:
        """Titles of the docks a person sees now (tabbed ones count)."""
        window = self.role_window()
        return window.titles() if window is not None else []

    def _show_hint(self) -> None:
        hidden = self.settings.value(f"hint_hidden/{self.current_role}", False) in (True, "true")
        self.hint.set_full_text(START_HERE.get(self.current_role or "", ""))
        for action in self._hint_actions:
            action.setVisible(not hidden and bool(self.hint.full_text))
        self.hint_action.setChecked(not hidden)

    def _on_hint_toggled(self, shown: bool) -> None:
        if self.current_role:
            self.settings.setValue(f"hint_hidden/{self.current_role}", not shown)
        self._show_hint()

    def _fill_graph_menu(self, graph_view: QWidget) -> None:
        editor = getattr(graph_view, "editor", None)
        actions = editor.actions() if editor is not None else {}
        groups = (("new", "new_from_template", "open", "save", "save_as", "save_to_store", "history"),
                  ("undo", "redo", "cut", "copy", "paste", "duplicate", "delete", "select_all"),
                  ("add_note", "auto_layout", "zoom_in", "zoom_out", "zoom_reset", "fit_view", "minimap",
                   "properties", "validate"))
        for group in groups:
            if self.graph_menu.actions():
                self.graph_menu.addSeparator()
            for key in group:
                if key in actions:
                    self.graph_menu.addAction(actions[key])
        align = [a for k, a in actions.items() if k.startswith("align_")]
        if align:
            sub = self.graph_menu.addMenu("Align")
            sub.addActions(align)

    def view(self, view_id: str) -> QWidget | None:
        """The widget of a view of the current role (for tests and the palette)."""
        window = self.role_window()
        dock = window.docks.get(view_id) if window is not None else None
        scroll = dock.widget() if dock is not None else None
        return scroll.widget() if isinstance(scroll, QScrollArea) else None

    def _on_role_chosen(self, index: int) -> None:
        self.switch_role(self.role_box.itemData(index))

    def _on_reset_layout(self) -> None:
        """Forget every role's saved layout; the current role gets its default arrangement."""
        self.settings.remove("layout")
        role, self.current_role = self.current_role, None
        for old in self._role_windows.values():  # views are kept: they move to the new docks
            for dock in old.docks.values():
                dock.setWidget(QWidget())
            self.stack.removeWidget(old)
            old.deleteLater()
        self._role_windows.clear()
        if role:
            self.switch_role(role)

    def _on_theme(self, dark: bool) -> None:
        self.settings.setValue("theme", "dark" if dark else "light")
        apply_theme("dark" if dark else "light")

    def command_actions(self) -> list[QAction]:
        """Every command in the menus and toolbars a person sees now (what the palette lists)."""
        found: list[QAction] = []

        def walk(actions: list[QAction]) -> None:
            for action in actions:
                if not action.isVisible() or action.isSeparator():
                    continue
                menu = action.menu()
                if isinstance(menu, QMenu):
                    walk(menu.actions())
                elif action.text() and action not in found:
                    found.append(action)

        walk(self.menuBar().actions())
        for bar in self.findChildren(QToolBar):
            if bar.isVisible() and bar.window() is self:
                walk([a for a in bar.actions() if isinstance(button := bar.widgetForAction(a), QToolButton)
                      and button.defaultAction() is a])
        return found

    def _on_palette(self) -> None:
        CommandPalette([a for a in self.command_actions() if a.isEnabled()], self).exec()

    def open_store(self, url: str) -> MainWindow | None:
        """Open another store in a new window (this one closes); None if it cannot be opened."""
        from workbench.errors import WorkbenchError
        from workbench.ui.app import prepare_store

        claimed = "" if url.startswith("postgresql") else self.user_name  # there the login says who
        try:
            session, note = prepare_store(url, claimed)
        except WorkbenchError as exc:
            self.statusBar().showMessage(f"cannot open the store: {exc}", 15000)
            return None
        window = MainWindow(session.store, session.name, settings=self.settings, identity=session.how,
                            proven=session.proven)
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
    def may_close(self) -> bool:
        """Whether every view lets the window go (an unsaved graph asks the person)."""
        for scroll in self._views.values():
            guard = getattr(scroll.widget(), "maybe_close", None)
            if guard is not None and not guard():
                return False
        return True

    def hand_over(self, successor: MainWindow) -> None:
        """Close in favour of ``successor`` on the same store (another project): the store stays
        open for it, and the views were already asked (``may_close``)."""
        self._successor, self._handing_over = successor, True
        self.close()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        handing_over = getattr(self, "_handing_over", False)
        if not handing_over and not self.may_close():
            event.ignore()
            return
        self._save_layout()
        self.tasks.cancel_all()  # long work stops at its next step instead of outliving the window
        self.inbox.stop()
        self.discussion.leave()  # others stop seeing this workbench on what it had open
        self.feed.stop()
        if self._read_only_store is not None:
            self._read_only_store.close()
        if not handing_over:
            self.store.close()
        super().closeEvent(event)
