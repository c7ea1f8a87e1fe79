"""Users and roles (admin): who holds which role, store-wide and in single projects; add a user;
change roles."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.views import ROLE_ORDER
from workbench.ui.widgets import tables


class UsersView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = tables.table(["user", "roles (every project)", "roles in one project", "added by"], self)
        self.table.setObjectName("users_table")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.name = QLineEdit(self)
        self.name.setPlaceholderText("user name")
        self.role_boxes = {role: QCheckBox(role, self) for role in ROLE_ORDER}
        self.add_button = QPushButton("Add user", self)
        self.roles_button = QPushButton("Set roles of selected", self)
        form = QHBoxLayout()
        form.addWidget(self.name, 1)
        form.addWidget(self.add_button)
        form.addWidget(self.roles_button)
        boxes = QHBoxLayout()  # a row of its own, so the view stays narrow enough for a laptop
        for box in self.role_boxes.values():
            boxes.addWidget(box)
        boxes.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(boxes)
        layout.addLayout(form)
        self.add_button.clicked.connect(self._on_add)
        self.roles_button.clicked.connect(self._on_roles)
        ctx.feed.changed.connect(lambda changes: any(c.topic == "users" for c in changes) and self.refresh())
        self.refresh()

    def _chosen(self) -> list[str]:
        return [role for role, box in self.role_boxes.items() if box.isChecked()]

    def refresh(self) -> None:
        from workbench.services.projects import all_project_roles
        from workbench.services.users import list_users

        def read() -> list[list[str]]:
            users = list_users(self.ctx.store, self.ctx.user)
            held = all_project_roles(self.ctx.store, self.ctx.user)
            return [[u.name, ", ".join(u.roles),
                     "; ".join(f"{', '.join(roles)} in {project}" for project, roles in sorted(held.get(u.name, {}).items())),
                     u.created_by] for u in users]

        self.ctx.tasks.run(read, lambda rows: tables.fill(self.table, rows))

    def _on_add(self) -> None:
        from workbench.services.users import add_user

        name, roles = self.name.text().strip(), self._chosen()
        self.ctx.tasks.run(lambda: add_user(self.ctx.store, self.ctx.user, name, roles),
                           lambda user: (self.ctx.status(f"added {user.name}"), self.name.clear(), self.refresh()),
                           lambda message: self.ctx.error(self, "Add user", message))

    def _on_roles(self) -> None:
        from workbench.services.users import set_roles

        row = self.table.currentRow()
        if row < 0:
            return
        name, roles = self.table.item(row, 0).text(), self._chosen()
        self.ctx.tasks.run(lambda: set_roles(self.ctx.store, self.ctx.user, name, roles),
                           lambda user: (self.ctx.status(f"{user.name}: {', '.join(user.roles)}"), self.refresh()),
                           lambda message: self.ctx.error(self, "Roles", message))


def create(ctx: UiContext) -> QWidget:
    return UsersView(ctx)
