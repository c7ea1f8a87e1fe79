"""The model registry: every version with its aliases and metrics; promote (engineer,
approver) moves an alias, which the audit trail records."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time, number
from workbench.ui.widgets import tables


class ModelsView(QWidget):
    subject_changed = Signal(str, str)  # the chosen model version ("model:NAME/VERSION") as a discussion target, its title

    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = tables.table(["name", "version", "aliases", "accuracy", "roc_auc", "trained", "by", "run"], self)
        self.table.setObjectName("models_table")
        self.alias_box = QComboBox(self)
        self.alias_box.addItems(["champion", "challenger", "candidate", "archived"])
        self.promote_button = QPushButton("Promote", self)
        self.card_button = QPushButton("Model card…", self)
        self.card_button.setObjectName("model_card_button")
        self.card_button.setToolTip("Write an HTML model card of the selected version")
        can_promote = not ctx.read_only and bool({"engineer", "approver"} & set(ctx.roles))
        self.alias_box.setVisible(can_promote)
        self.promote_button.setVisible(can_promote)
        bar = QHBoxLayout()
        bar.addWidget(self.card_button)
        bar.addStretch(1)
        bar.addWidget(self.alias_box)
        bar.addWidget(self.promote_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.promote_button.clicked.connect(self._on_promote)
        self.card_button.clicked.connect(lambda: self.write_card())
        self.table.itemSelectionChanged.connect(self._on_selected)
        ctx.feed.changed.connect(lambda changes: any(c.topic == "models" for c in changes) and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        from workbench.services.models import list_models

        self.ctx.tasks.run(lambda: list_models(self.ctx.store, self.ctx.user, project=self.ctx.project), self._show)

    def _show(self, versions: list) -> None:
        def metric(v, key: str) -> str:  # noqa: ANN001
            value = v.metrics.get(key)
            return number(value) if isinstance(value, int | float) else ""

        tables.fill(self.table, [[v.name, v.version, ", ".join(v.aliases), metric(v, "accuracy"), metric(v, "roc_auc"),
                            local_time(v.created_at, seconds=False), v.created_by, v.run_id] for v in versions])
        self.table.resizeColumnsToContents()

    def _on_selected(self) -> None:
        row = self.table.currentRow()
        name, version = (self.table.item(row, c) for c in (0, 1)) if row >= 0 else (None, None)
        if name is not None and version is not None:
            self.subject_changed.emit(f"model:{name.text()}/{version.text()}", f"{name.text()} version {version.text()}")

    def _on_promote(self) -> None:
        from workbench.services.models import promote

        row = self.table.currentRow()
        if row < 0:
            self.ctx.status("choose a model version first")
            return
        name, version = self.table.item(row, 0).text(), int(self.table.item(row, 1).text())
        alias = self.alias_box.currentText()
        self.ctx.tasks.run(lambda: promote(self.ctx.store, self.ctx.user, name, version, alias),
                           lambda _: (self.ctx.status(f"{name} v{version} is now {alias}"), self.refresh()),
                           lambda message: self.ctx.error(self, "Promote", message))

    def write_card(self, path: str | None = None) -> None:
        """Write the selected version's model card (asks where unless ``path`` is given)."""
        from PySide6.QtWidgets import QFileDialog

        from workbench.services.reports import write_model_card

        row = self.table.currentRow()
        if row < 0:
            self.ctx.status("choose a model version first")
            return
        name, version = self.table.item(row, 0).text(), int(self.table.item(row, 1).text())
        if path is None:
            path, _ = QFileDialog.getSaveFileName(self, "Save model card", f"{name}-v{version}.html",
                                                  "HTML (*.html)")
            if not path:
                return
        self.ctx.tasks.start(f"Model card of {name} v{version}",
                             lambda progress: write_model_card(self.ctx.store, self.ctx.user, name, version, path,
                                                               progress=progress),
                             lambda written: self.ctx.status(f"wrote {written}"),
                             lambda message: self.ctx.error(self, "Model card", message),
                             lambda message: self.ctx.status("model card cancelled; no file written"))


def create(ctx: UiContext) -> QWidget:
    return ModelsView(ctx)
