"""The "new from template" dialog: the shipped templates with their titles and descriptions.

Rules: the dialog only chooses a name (``selected_name``); the editor loads it. The list comes
from ``workbench.graph.describe_templates`` so it always matches what is shipped.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from workbench.graph import TemplateInfo, describe_templates

__all__ = ["TemplateDialog"]


class TemplateDialog(QDialog):
    """Pick a template to start a new graph from."""

    def __init__(self, parent: QWidget | None = None, templates: list[TemplateInfo] | None = None):
        super().__init__(parent)
        self.setWindowTitle("New from template")
        self.setObjectName("template_dialog")
        self.resize(560, 420)
        self.templates = templates if templates is not None else describe_templates()
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Start a new graph from one of the application patterns:", self))
        self.list = QListWidget(self)
        self.list.setObjectName("template_list")
        for info in self.templates:
            item = QListWidgetItem(f"{info.title}  ({info.name})")
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            item.setToolTip(info.description)
            self.list.addItem(item)
        self.description = QTextBrowser(self)
        self.description.setMaximumHeight(130)
        layout.addWidget(self.list)
        layout.addWidget(self.description)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        layout.addWidget(buttons)
        self.list.currentRowChanged.connect(self._on_row_changed)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        if self.templates:
            self.list.setCurrentRow(0)
        self._on_row_changed(self.list.currentRow())

    def _on_row_changed(self, row: int) -> None:
        valid = 0 <= row < len(self.templates)
        self.ok_button.setEnabled(valid)
        self.description.setPlainText(self.templates[row].description if valid else "")

    def selected_name(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None
