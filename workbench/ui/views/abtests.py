"""The operator's A/B tests: the latest result of every ``ab_test`` node (``services.abtests``)
— the decision in words, the effect of B against A with its confidence interval, the p-value,
and the smallest effect the test could have found. Re-read when a run changes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time
from workbench.ui.widgets import tables

COLUMNS = ["decision", "effect (B − A)", "confidence interval", "p-value", "A", "B", "rows A / B",
           "could find ≥", "graph / node", "run", "finished"]


def verdict(result: Any) -> str:
    """The decision in two words (the full sentence is the row's tooltip)."""
    f = result.figures
    if not f.get("significant"):
        return "no difference"
    return "B better" if float(f.get("effect", 0)) > 0 else "A better"


def row_values(result: Any) -> list[Any]:
    f = result.figures
    level = f"{float(f.get('confidence', 0.95)):.0%}"
    return [verdict(result), f"{f.get('effect', 0):+.4g}",
            f"{level}: {f.get('ci_low', 0):+.4g} … {f.get('ci_high', 0):+.4g}", f"{f.get('p_value', 1):.3g}",
            f"{f.get('estimate_a', 0):.4g}", f"{f.get('estimate_b', 0):.4g}", f"{f.get('n_a')} / {f.get('n_b')}",
            f"{f.get('mde', 0):.4g}", f"{result.graph} / {result.node_id}", result.run_id,
            local_time(result.finished_at)]


class ABTestsView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.results: list[Any] = []
        self.note = QLabel("", self)
        self.note.setWordWrap(True)
        self.table = tables.table(COLUMNS, self)
        self.table.setObjectName("abtests_table")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.table, 1)
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
        self.note.setText("No A/B test has run yet: add an A/B test node (monitoring) to a graph, fed by one "
                          "row per unit with its variant and outcome." if not results else
                          f"{len(results)} result(s), newest first. Effect = B − A; the interval is the "
                          "effect's; 'could find ≥' is the smallest effect the test had the power to find.")


def create(ctx: UiContext) -> QWidget:
    return ABTestsView(ctx)
