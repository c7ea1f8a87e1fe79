"""The engineer's runs view: runs with a status filter; a run page with its steps drawn on a
time line (and listed in a table), the live log of the selected step, its metric curves, and
cancel / resume / re-run."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.views.timeline import StepTimeline

STATUSES = ("", "queued", "running", "awaiting_approval", "succeeded", "failed", "cancelled", "rejected",
            "interrupted")
TOPICS = {"runs", "steps", "logs", "metrics"}


def _table(headers: list[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels(headers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.horizontalHeader().setStretchLastSection(True)
    table.verticalHeader().hide()
    return table


def _fill(table: QTableWidget, rows: list[list[Any]], key_column: int = 0) -> None:
    selected = table.currentRow()
    keep = table.item(selected, key_column).text() if selected >= 0 and table.item(selected, key_column) else None
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            item = QTableWidgetItem("" if value is None else str(value))
            item.setData(Qt.ItemDataRole.UserRole, row[key_column])
            table.setItem(r, c, item)
        if keep is not None and str(row[key_column]) == keep:
            table.selectRow(r)


class RunsView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.status_filter = QComboBox(self)
        for status in STATUSES:
            self.status_filter.addItem(status or "all statuses", status)
        self.runs = _table(["run", "status", "trigger", "by", "target", "error"], self)
        self.runs.setObjectName("runs_table")
        self.steps = _table(["step", "node", "attempt", "status", "target", "exit"], self)
        self.steps.setObjectName("steps_table")
        self.timeline = StepTimeline(self)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(20_000)
        self.plot = pg.PlotWidget(self)
        self.plot.addLegend()
        self.plot.setClipToView(True)
        self.plot.setDownsampling(mode="peak")
        self.cancel_button = QPushButton("Cancel", self)
        self.resume_button = QPushButton("Resume", self)
        self.rerun_button = QPushButton("Re-run", self)
        self.rerun_button.setToolTip("Run the same graph version again with the same options")
        for button in (self.cancel_button, self.resume_button, self.rerun_button):
            button.setEnabled(False)
            button.setVisible(not ctx.read_only)
        top = QHBoxLayout()
        top.addWidget(self.status_filter)
        top.addStretch(1)
        for button in (self.cancel_button, self.resume_button, self.rerun_button):
            top.addWidget(button)
        detail = QSplitter(Qt.Orientation.Vertical, self)
        detail.addWidget(self.timeline)
        detail.addWidget(self.steps)
        detail.addWidget(self.log)
        detail.addWidget(self.plot)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.runs)
        split.addWidget(detail)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.selected_run: int | None = None
        self.selected_step: int | None = None
        self._last_log_id = 0
        self._curves: dict[str, Any] = {}
        self._refresh_timer = QTimer(self, singleShot=True, interval=200)
        self._refresh_timer.timeout.connect(self.refresh)
        self.status_filter.currentIndexChanged.connect(lambda _: self.refresh())
        self.runs.itemSelectionChanged.connect(self._on_run_selected)
        self.steps.itemSelectionChanged.connect(self._on_step_selected)
        self.timeline.stepClicked.connect(self._select_step_row)
        self.cancel_button.clicked.connect(lambda: self._act("cancel"))
        self.resume_button.clicked.connect(lambda: self._act("resume"))
        self.rerun_button.clicked.connect(lambda: self._act("rerun"))
        ctx.feed.changed.connect(self._on_changes)
        self.refresh()

    def _on_changes(self, changes: list) -> None:
        if any(c.topic in TOPICS for c in changes):
            self._refresh_timer.start()

    def refresh(self) -> None:
        from workbench.services.runs import list_runs, show_run

        status = self.status_filter.currentData() or None
        run_id, step_id, since = self.selected_run, self.selected_step, self._last_log_id

        def load() -> dict[str, Any]:
            data: dict[str, Any] = {"runs": list_runs(self.ctx.store, self.ctx.user, status=status, limit=200)}
            if run_id is not None:
                from workbench.services.runs import step_logs, step_metrics

                data["view"] = show_run(self.ctx.store, self.ctx.user, run_id)
                data["metrics"] = step_metrics(self.ctx.store, self.ctx.user, run_id)
                if step_id is not None:
                    data["logs"] = step_logs(self.ctx.store, self.ctx.user, step_id, since)
            return data

        self.ctx.tasks.run(load, self._show)

    def _show(self, data: dict[str, Any]) -> None:
        _fill(self.runs, [[r.id, r.status, r.trigger, r.started_by, r.target, r.error.splitlines()[0] if r.error else ""]
                          for r in data["runs"]])
        view = data.get("view")
        if view is None or view.run.id != self.selected_run:
            return
        _fill(self.steps, [[s.id, s.node_id, s.attempt, s.status, s.target, s.exit_code] for s in view.steps])
        self.timeline.set_run(view.run, view.steps)
        status = view.run.status
        self.cancel_button.setEnabled(status in ("queued", "running", "awaiting_approval"))
        self.resume_button.setEnabled(status in ("interrupted", "failed", "cancelled"))
        self.rerun_button.setEnabled(view.run.graph_version_id is not None)
        for line in data.get("logs", []):
            if line.step_id == self.selected_step and line.id > self._last_log_id:
                self.log.appendPlainText(("! " if line.stream == "stderr" else "") + line.line)
                self._last_log_id = line.id
        for i, (key, points) in enumerate(sorted(data.get("metrics", {}).items())):
            curve = self._curves.get(key)
            if curve is None:
                curve = self.plot.plot(name=key, pen=pg.intColor(i, hues=9))
                self._curves[key] = curve
            curve.setData(points["step"], points["value"])

    def _on_run_selected(self) -> None:
        row = self.runs.currentRow()
        item = self.runs.item(row, 0) if row >= 0 else None
        run_id = int(item.text()) if item else None
        if run_id != self.selected_run:
            self.selected_run, self.selected_step = run_id, None
            self.log.clear()
            self._last_log_id = 0
            self.plot.clear()
            self.plot.addLegend()
            self._curves.clear()
            self.timeline.clear()
            self.refresh()

    def _on_step_selected(self) -> None:
        row = self.steps.currentRow()
        item = self.steps.item(row, 0) if row >= 0 else None
        step_id = int(item.text()) if item else None
        if step_id != self.selected_step:
            self.selected_step = step_id
            self.timeline.select(step_id)
            self.log.clear()
            self._last_log_id = 0
            self.refresh()

    def _select_step_row(self, step_id: int) -> None:
        for row in range(self.steps.rowCount()):
            item = self.steps.item(row, 0)
            if item is not None and item.text() == str(step_id):
                self.steps.selectRow(row)
                return

    def select_run(self, run_id: int) -> None:
        self.selected_run = run_id
        self.refresh()

    def _act(self, action: str) -> None:
        from workbench.services import runs as run_service

        run_id = self.selected_run
        if run_id is None:
            return
        calls = {"cancel": lambda: run_service.cancel_run(self.ctx.store, self.ctx.user, run_id),
                 "resume": lambda: run_service.resume_run(self.ctx.store, self.ctx.user, run_id),
                 "rerun": lambda: run_service.rerun(self.ctx.store, self.ctx.user, run_id)}
        self.ctx.tasks.run(calls[action], lambda run: (self.ctx.status(f"{action}: run {run.id}"), self.refresh()),
                           lambda message: self.ctx.error(self, action.title(), message))


def create(ctx: UiContext) -> QWidget:
    return RunsView(ctx)
