"""The engineer's runs view: runs with a status filter; a run page with its steps drawn on a
time line (and listed in a table), the live log of the selected step, the run's metrics, what
each step used (resident memory and CPU over time, GPU when used: ``run_resources.py``, in a
"Resources" tab beside "Metrics"), and cancel / resume / re-run.

Metrics are drawn as curves over steps (epochs) when a series has more than one point, and
as labelled horizontal bars of the final values when every series is a single value (what
scikit-learn training records); with no run chosen, or a run without metrics, the plot's
frame says so and what would record them."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.views.live_plots import series_color
from workbench.ui.views.plot_frame import PlotFrame
from workbench.ui.views.run_resources import ResourcePlots
from workbench.ui.views.timeline import StepTimeline
from workbench.ui.widgets import tables

STATUSES = ("", "queued", "running", "awaiting_approval", "succeeded", "failed", "cancelled", "rejected",
            "interrupted")
TOPICS = {"runs", "steps", "logs", "metrics"}


class RunsView(QWidget):
    subject_changed = Signal(str, str)  # the chosen run as a discussion target ("run:ID"), its title

    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.status_filter = QComboBox(self)
        for status in STATUSES:
            self.status_filter.addItem(status or "any status", status)
        self.status_filter.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.status_filter.setMinimumContentsLength(10)  # a side column is about 400 pixels wide
        self.runs = tables.table(["run", "status", "trigger", "by", "target", "error"], self)
        self.runs.setObjectName("runs_table")
        self.steps = tables.table(["step", "node", "attempt", "status", "target", "exit"], self)
        self.steps.setObjectName("steps_table")
        self.timeline = StepTimeline(self)
        self.log = QPlainTextEdit(self)
        self.log.setReadOnly(True)
        self.log.setMaximumBlockCount(20_000)
        self.metrics_frame = PlotFrame(pg.PlotWidget(title="Metrics"), self, min_height=150)
        self.metrics_frame.setObjectName("run_metrics")
        self.plot = self.metrics_frame.plot
        self.plot.setClipToView(True)
        self.plot.setDownsampling(mode="peak")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.metrics_frame.show_message("Select a run to see its metrics.")
        self.resources = ResourcePlots(self)
        self.resources.setObjectName("run_resources")
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
        lanes = QScrollArea(self)  # a run with many steps scrolls instead of growing the view
        lanes.setWidget(self.timeline)
        lanes.setWidgetResizable(True)
        lanes.setFrameShape(QScrollArea.Shape.NoFrame)
        lanes.setMinimumHeight(80)
        detail = QSplitter(Qt.Orientation.Vertical, self)
        detail.addWidget(lanes)
        detail.addWidget(self.steps)
        detail.addWidget(self.log)
        self.plots = QTabWidget(self)
        self.plots.setObjectName("run_plots")
        self.plots.setDocumentMode(True)
        self.plots.addTab(self.metrics_frame, "Metrics")
        self.plots.addTab(self.resources, "Resources")
        self.plots.setTabToolTip(1, "Memory and CPU (and GPU) each step used while it ran")
        detail.addWidget(self.plots)
        detail.setSizes([210, 90, 110, 240])
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.runs)
        split.addWidget(detail)
        split.setSizes([150, 610])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(split, 1)
        self.selected_run: int | None = None
        self.selected_step: int | None = None
        self._last_log_id = 0
        self._curves: dict[str, Any] = {}
        self._bars_of: tuple[tuple[str, float], ...] | None = None  # what the bars show
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
            data: dict[str, Any] = {"runs": list_runs(self.ctx.store, self.ctx.user, status=status, limit=200,
                                                     project=self.ctx.project)}
            if run_id is not None:
                from workbench.services.runs import step_logs, step_metrics

                data["view"] = show_run(self.ctx.store, self.ctx.user, run_id)
                data["metrics"] = step_metrics(self.ctx.store, self.ctx.user, run_id)
                if step_id is not None:
                    data["logs"] = step_logs(self.ctx.store, self.ctx.user, step_id, since)
            return data

        self.ctx.tasks.run(load, self._show)

    def _show(self, data: dict[str, Any]) -> None:
        tables.fill(self.runs, [[r.id, r.status, r.trigger, r.started_by, r.target, r.error.splitlines()[0] if r.error else ""]
                          for r in data["runs"]])
        view = data.get("view")
        if view is None or view.run.id != self.selected_run:
            return
        tables.fill(self.steps, [[s.id, s.node_id, s.attempt, s.status, s.target, s.exit_code] for s in view.steps])
        self.timeline.set_run(view.run, view.steps)
        status = view.run.status
        self.cancel_button.setEnabled(status in ("queued", "running", "awaiting_approval"))
        self.resume_button.setEnabled(status in ("interrupted", "failed", "cancelled"))
        self.rerun_button.setEnabled(view.run.graph_version_id is not None)
        for line in data.get("logs", []):
            if line.step_id == self.selected_step and line.id > self._last_log_id:
                self.log.appendPlainText(("! " if line.stream == "stderr" else "") + line.line)
                self._last_log_id = line.id
        if "metrics" in data:
            from workbench.engines.resource_series import RESOURCE_PREFIX, by_step

            metrics = data["metrics"]
            self._show_metrics(view.run.id, {k: v for k, v in metrics.items() if not k.startswith(RESOURCE_PREFIX)})
            self.resources.show_run(view.run.id, by_step(metrics), {s.id: s.node_id for s in view.steps},
                                    self.selected_step)

    def _show_metrics(self, run_id: int, metrics: dict[str, Any]) -> None:
        series = {key: (np.asarray(points["step"], dtype=float), np.asarray(points["value"], dtype=float))
                  for key, points in sorted(metrics.items()) if len(points["value"])}
        if series and all(len(x) == 1 for x, _ in series.values()):
            self._draw_bars(run_id, tuple((key, float(y[-1])) for key, (_, y) in series.items()))
        elif series:
            self._draw_curves(run_id, series)
        else:
            self._clear_metrics()
        self.metrics_frame.show_data_or(
            f"Run {run_id} recorded no metrics: training and evaluation steps record them (accuracy, loss, … "
            f"per epoch or at the end); this run's steps recorded none, or have not reached that point yet.")

    def _clear_metrics(self) -> None:
        self.plot.clear()
        self._curves.clear()
        self._bars_of = None
        legend = self.plot.getPlotItem().legend
        if legend is not None:
            legend.clear()
        for axis in ("left", "bottom"):
            self.plot.getAxis(axis).setTicks(None)

    def _draw_curves(self, run_id: int, series: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        if self._bars_of is not None:
            self._clear_metrics()
        if self.plot.getPlotItem().legend is None:
            self.plot.addLegend()
        self.metrics_frame.set_title(f"Metrics of run {run_id} by step")
        self.plot.setLabel("bottom", "step")
        for i, (key, (x, y)) in enumerate(series.items()):
            curve = self._curves.get(key)
            if curve is None:
                color = series_color(i)
                curve = self.plot.plot(name=key, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=5,
                                       symbolBrush=color, symbolPen=None)
                self._curves[key] = curve
            order = np.argsort(x, kind="stable")
            curve.setData(x[order], y[order])

    def _draw_bars(self, run_id: int, values: tuple[tuple[str, float], ...]) -> None:
        if values == self._bars_of:
            return
        self._clear_metrics()
        self._bars_of = values
        n = len(values)
        heights = np.asarray([v for _, v in values], dtype=float)
        rows = np.arange(n - 1, -1, -1, dtype=float)  # the first metric on top
        self.plot.addItem(pg.BarGraphItem(x0=np.zeros(n), y=rows, height=0.7, width=heights,
                                          brush=pg.mkBrush(70, 160, 210, 200), pen=None))
        for (_, value), row in zip(values, rows, strict=True):
            label = pg.TextItem(f"{value:.4g}", anchor=(0, 0.5) if value >= 0 else (1, 0.5))
            label.setPos(value, row)
            self.plot.addItem(label)
        self.plot.getAxis("left").setTicks([[(row, key) for (key, _), row in zip(values, rows, strict=True)]])
        self.metrics_frame.set_title(f"Final metrics of run {run_id}")
        self.plot.getPlotItem().showLabel("bottom", False)
        low, high = min(0.0, float(heights.min())), max(0.0, float(heights.max()))
        pad = 0.3 * ((high - low) or 1.0)  # room for the value labels
        self.plot.setXRange(low - (pad if low < 0 else 0), high + pad, padding=0)
        self.plot.setYRange(-0.6, n - 0.4, padding=0)

    def _on_run_selected(self) -> None:
        row = self.runs.currentRow()
        item = self.runs.item(row, 0) if row >= 0 else None
        self.select_run(int(item.text()) if item else None)

    def select_run(self, run_id: int | None) -> None:
        """Show the page of ``run_id`` (its steps, logs and metrics are read afresh)."""
        if run_id != self.selected_run:
            self.selected_run, self.selected_step = run_id, None
            self.log.clear()
            self._last_log_id = 0
            self._clear_metrics()
            self.metrics_frame.show_message(f"Reading the metrics of run {run_id}…" if run_id is not None
                                            else "Select a run to see its metrics.")
            self.resources.clear(f"Reading what the steps of run {run_id} used…" if run_id is not None
                                 else "Select a run to see what its steps used.")
            self.timeline.clear()
            self.refresh()
            self.subject_changed.emit(*((f"run:{run_id}", f"run {run_id}") if run_id is not None else ("", "")))

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
