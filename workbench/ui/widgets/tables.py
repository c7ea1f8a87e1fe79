"""The read-only tables the views list things in: one way to make them, one way to fill them."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget


def table(headers: list[str], parent: QWidget) -> QTableWidget:
    """A read-only table with these column headers: whole rows are selected, the last column
    stretches, no row numbers."""
    widget = QTableWidget(0, len(headers), parent)
    widget.setHorizontalHeaderLabels(headers)
    widget.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    widget.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    widget.horizontalHeader().setStretchLastSection(True)
    widget.verticalHeader().hide()
    return widget


def fill(widget: QTableWidget, rows: list[list[Any]], key_column: int = 0) -> None:
    """Show these rows (None as an empty cell). Each cell carries its row's key (``UserRole``),
    and the row that was selected stays selected when its key is still there."""
    selected = widget.currentRow()
    current = widget.item(selected, key_column) if selected >= 0 else None
    keep = current.text() if current is not None else None
    widget.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            item.setData(Qt.ItemDataRole.UserRole, row[key_column])
            widget.setItem(r, c, item)
        if keep is not None and str(row[key_column]) == keep:
            widget.selectRow(r)
