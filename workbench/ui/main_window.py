"""The main window: a role switcher showing the roles the signed-in user holds, and the start
page. Role views (graph editor, runs, live monitoring, KPI review, approvals) dock here."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QListWidget,
    QMainWindow,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.governance.permissions import ROLE_TITLES


class MainWindow(QMainWindow):
    def __init__(self, store, user: str):  # noqa: ANN001 - workbench.store.Store
        super().__init__()
        self.store = store
        self.user_name = user
        with store.read() as uow:
            found = uow.users.find(user)
            self.roles: tuple[str, ...] = found.roles if found else ()
            self.templates: list[str] = []
        self.setWindowTitle(f"MLOps Workbench — {store.display_url}")
        self.resize(1200, 780)
        self._build_toolbar()
        self._build_start_page()
        self.statusBar().showMessage(f"{user} · {', '.join(self.roles) or 'no roles'} · {store.display_url}")

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
        bar.addWidget(self.role_box)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)
        self.menuBar().addMenu("&File").addAction(quit_action)

    def _build_start_page(self) -> None:
        from workbench.graph import list_templates

        page = QWidget(self)
        layout = QVBoxLayout(page)
        title = QLabel("<h1>MLOps Workbench</h1>"
                       "<p>One shared picture of your production ML application.</p>")
        title.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(title)
        if not self.roles:
            layout.addWidget(QLabel(f"{self.user_name!r} holds no role in this store. "
                                    "Ask an admin to add you."))
        layout.addWidget(QLabel("<b>Start from a template</b>"))
        self.template_list = QListWidget(page)
        self.template_list.setObjectName("template_list")
        self.template_list.addItems(list_templates())
        layout.addWidget(self.template_list)
        self.setCentralWidget(page)
