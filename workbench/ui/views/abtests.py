"""The operator's A/B tests: the latest result of every ``ab_test`` node (``services.abtests``)
— the decision in words, the effect of B against A with its confidence interval, the p-value,
and the smallest effect the test could have found. Re-read when a run changes."""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QVBoxLayout, QWidget

from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time
from workbench.ui.widgets import tables

COLUMNS = ["decision", "effect B − A", "interval", "p-value", "graph / node"]  # the rest: the detail below


def verdict(result: Any) -> str:
    """The decision in two words (the full sentence is the row's tooltip and the detail's)."""
    f = result.figures
    if not f.get("significant"):
        return "no difference"
    return "B better" if float(f.get("effect", 0)) > 0 else "A better"


def _level(result: Any) -> str:
    return f"{float(result.figures.get('confidence', 0.95)):.0%}"


def row_values(result: Any) -> list[Any]:
    """The table's cells: short enough that the five columns fit a 1366-pixel screen's dock."""
    f = result.figures
    return [verdict(result), f"{f.get('effect', 0):+.3g}",
            f"{f.get('ci_low', 0):+.3g} … {f.get('ci_high', 0):+.3g} ({_level(result)})",
            f"{f.get('p_value', 1):.3g}", f"{result.graph} / {result.node_id}"]


def detail_html(result: Any) -> str:
    """Everything about one result, in words, for the panel under the table."""
    f = result.figures
    rows = [("decision", result.decision or verdict(result)),
            ("test", f"{str(f.get('test', 'two-sample test')).replace('_', ' ')}, {f.get('alternative', 'two-sided')}, "
                     f"α = {f.get('alpha', 0.05):g}"),
            ("A (control)", f"{f.get('estimate_a', 0):.4g} over {f.get('n_a')} rows"),
            ("B", f"{f.get('estimate_b', 0):.4g} over {f.get('n_b')} rows"),
            ("effect B − A", f"{f.get('effect', 0):+.4g}; {_level(result)} interval "
                             f"{f.get('ci_low', 0):+.4g} … {f.get('ci_high', 0):+.4g}; p = {f.get('p_value', 1):.3g}"),
            ("could find", f"an effect of {f.get('mde', 0):.4g} or more with power {float(f.get('power', 0.8)):.0%}"),
            ("from", f"{result.graph} / {result.node_id}, run {result.run_id}, finished "
                     f"{local_time(result.finished_at)}")]
    return "<table>" + "".join(f"<tr><td><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(str(v))}</td></tr>"
                               for k, v in rows) + "</table>"


class ABTestsView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.results: list[Any] = []
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        self.table = tables.table(COLUMNS, self)
        self.table.setObjectName("abtests_table")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.detail = QLabel("", self)
        self.detail.setObjectName("abtests_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(split, 1)
        self.table.itemSelectionChanged.connect(self._show_detail)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(300)
        self._timer.timeout.connect(self.refresh)
        ctx.feed.changed.connect(self._on_changes)
        self.refresh()

    def _on_changes(self, changes: list) -> None:
        if any(c.topic == "runs" for c in changes):
            self._timer.start()

    def refresh(self) -> None:
        from workbench.services.abtests import ab_results

        self.ctx.tasks.run(lambda: ab_results(self.ctx.store, self.ctx.user), self._show,
                           lambda message: self.ctx.error(self, "A/B tests", message))

    def _show(self, results: list[Any]) -> None:
        self.results = results
        tables.fill(self.table, [row_values(r) for r in results])
        for row, result in enumerate(results):
            for column in range(self.table.columnCount()):
                cell = self.table.item(row, column)
                if cell is not None:
                    cell.setToolTip(result.decision)
        if results:
            self.table.selectRow(0)
        self._show_detail()
        self.note.setText("No A/B test has run yet: add an A/B test node (monitoring) to a graph, fed by one "
                          "row per unit with its variant and outcome." if not results else
                          f"{len(results)} result(s), newest first; the selected one is told in full "
                          "below. Effect = B − A, with its confidence interval.")

    def _show_detail(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        row = rows[0].row() if rows else -1
        self.detail.setText(detail_html(self.results[row]) if 0 <= row < len(self.results) else "")


def create(ctx: UiContext) -> QWidget:
    return ABTestsView(ctx)
