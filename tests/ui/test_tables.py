"""The views' shared tables (``ui.widgets.tables``): read-only, whole rows, and a refill keeps the
selected row by its key."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QWidget

from workbench.ui.widgets.tables import fill, table


def test_a_refill_keeps_the_selected_row_by_its_key(qtbot) -> None:  # noqa: ANN001
    parent = QWidget()
    qtbot.addWidget(parent)
    runs = table(["run", "status"], parent)
    assert runs.editTriggers() == QTableWidget.EditTrigger.NoEditTriggers
    fill(runs, [[7, "running"], [8, None]])
    runs.selectRow(1)
    fill(runs, [[9, "queued"], [7, "succeeded"], [8, "failed"]])
    assert runs.currentRow() == 2 and runs.item(2, 1).text() == "failed"
    assert runs.item(2, 1).data(Qt.ItemDataRole.UserRole) == 8
    fill(runs, [[9, "queued"], [8, None]])
    assert runs.item(1, 1).text() == "" and runs.rowCount() == 2
