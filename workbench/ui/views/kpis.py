"""The business analyst's KPI review: a KPI series with the chosen model's deployments as
vertical lines labelled "name vN", the lagged cross-correlation of the KPI with a model
metric (bars with the ±z/√n band), and the interrupted-time-series impact of each deployment
(table and error bars of the level change with its confidence interval); exportable as PNG
and CSV.

Every plot sits in a :class:`PlotFrame` that says why it is empty (no KPI yet, no
correlation, no deployment to measure). The view fits a 1366×768 screen beside another view:
its choosers sit on two rows and never ask for more room than a short name needs (full names
in their tooltips).

Rules: the view only reads (``services.kpis.kpi_review``, in ``ctx.tasks``) and works on the
analyst's read-only store. Exports write local files, never the store. The only action that
changes the store, "Import KPI…", exists only for roles holding ``kpis.import`` on a
writable store — never for the analyst. The review is re-read 500 ms after a change of KPIs,
deployments, models or prediction windows.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.governance.permissions import allowed
from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time
from workbench.ui.views.live_plots import make_frame
from workbench.ui.views.plot_frame import NoteLabel, PlotFrame
from workbench.ui.widgets import tables

NARROW = 760  # pixels: narrower than this, the buttons move to a row of their own
TOPICS = {"kpis", "deployments", "models", "prediction_windows"}
FREQS = (("daily", "D"), ("weekly", "W"))
METRICS = (("mean score", "score_mean"), ("positive rate", "positive_rate"), ("prediction volume", "count"))


class KpiView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.review: Any = None
        self.deployment_lines: list[pg.InfiniteLine] = []
        self.kpi_box = QComboBox(self)
        self.kpi_box.setObjectName("kpi_chooser")
        self.model_box = QComboBox(self)
        self.model_box.setObjectName("model_chooser")
        self.metric_box = QComboBox(self)
        for title, key in METRICS:
            self.metric_box.addItem(title, key)
        self.freq_box = QComboBox(self)
        for title, key in FREQS:
            self.freq_box.addItem(title, key)
        self.png_button = QPushButton("Export PNG…", self)
        self.csv_button = QPushButton("Export CSV…", self)
        self.import_button = QPushButton("Import KPI…", self)
        self.can_import = not ctx.read_only and allowed(ctx.roles, "kpis.import")
        self.import_button.setVisible(self.can_import)
        self.import_button.setEnabled(self.can_import)
        choose, act, self._buttons_row = QHBoxLayout(), QHBoxLayout(), QHBoxLayout()
        for row, label, box in ((choose, "KPI:", self.kpi_box), (choose, "Model:", self.model_box),
                                (act, "Metric:", self.metric_box), (act, "Periods:", self.freq_box)):
            box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            box.setMinimumContentsLength(10 if row is choose else 8)
            box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            row.addWidget(QLabel(label))
            row.addWidget(box, 1 if row is choose else 0)
        act.addStretch(1)
        self._buttons_row.addStretch(1)
        self._act_row = act
        self.kpi_frame = make_frame(self, "KPI and deployments", time_axis=True, legend=False)
        self.kpi_plot = self.kpi_frame.plot
        self.kpi_curve = self.kpi_plot.plot(pen=pg.mkPen("c", width=2), name="KPI")
        self.correlation_frame = make_frame(self, "Cross-correlation r(k); k > 0: metric leads",
                                            time_axis=False, legend=False)
        self.correlation_plot = self.correlation_frame.plot
        self.correlation_plot.setLabel("bottom", "lag (periods)")
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush="c")
        self.correlation_plot.addItem(self.bars)
        dash = pg.mkPen("r", style=Qt.PenStyle.DashLine)
        self.band_lines = (pg.InfiniteLine(angle=0, movable=False, pen=dash),
                           pg.InfiniteLine(angle=0, movable=False, pen=dash))
        for line in self.band_lines:
            line.hide()
            self.correlation_plot.addItem(line)
        self.impact_table = tables.table(["deployment", "time", "level change", "95% CI", "p", "slope change",
                                    "95% CI", "p", "mean before → after"], self)
        self.impact_table.setObjectName("impact_table")
        self.impact_table.setMinimumHeight(60)
        self.impact_frame = make_frame(self, "Level change at each deployment (95% CI)", time_axis=False,
                                       legend=False)
        self.impact_plot = self.impact_frame.plot
        self.impact_plot.addItem(pg.InfiniteLine(angle=0, pos=0.0, movable=False, pen=pg.mkPen("w", width=0.5)))
        self.impact_bars = pg.ErrorBarItem(x=np.zeros(0), y=np.zeros(0), top=np.zeros(0), bottom=np.zeros(0),
                                           beam=0.2, pen=pg.mkPen("y", width=2))
        self.impact_points = pg.ScatterPlotItem(size=8, brush="y")
        self.impact_plot.addItem(self.impact_bars)
        self.impact_plot.addItem(self.impact_points)
        self.note = NoteLabel("", self)
        impact = QSplitter(Qt.Orientation.Vertical, self)
        impact.addWidget(self.impact_table)
        impact.addWidget(self.impact_frame)
        lower = QSplitter(Qt.Orientation.Horizontal, self)
        lower.addWidget(self.correlation_frame)
        lower.addWidget(impact)
        main = QSplitter(Qt.Orientation.Vertical, self)
        main.addWidget(self.kpi_frame)
        main.addWidget(lower)
        for splitter, sizes in ((main, [500, 400]), (lower, [500, 500]), (impact, [150, 250])):
            splitter.setSizes(sizes)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addLayout(act)
        layout.addLayout(self._buttons_row)
        self._narrow: bool | None = None
        self._arrange(narrow=False)
        layout.addWidget(main, 1)
        layout.addWidget(self.note)
        for frame in self.frames():
            frame.show_message("Reading the KPIs…")
        self._refresh_timer = QTimer(self, singleShot=True, interval=500)
        self._refresh_timer.timeout.connect(self.load_choices)
        for box in (self.kpi_box, self.model_box, self.metric_box, self.freq_box):
            box.currentIndexChanged.connect(lambda _: self.refresh())
        self.png_button.clicked.connect(self._on_export_png)
        self.csv_button.clicked.connect(self._on_export_csv)
        self.import_button.clicked.connect(self._on_import)
        ctx.feed.changed.connect(lambda changes: any(c.topic in TOPICS for c in changes)
                                 and self._refresh_timer.start())
        self.load_choices()

    # -- narrow columns -------------------------------------------------------------------
    def _arrange(self, narrow: bool) -> None:
        """Below ``NARROW`` pixels (a side column) the buttons get a row of their own."""
        if narrow == self._narrow:
            return
        self._narrow = narrow
        row = self._buttons_row if narrow else self._act_row
        for button in (self.import_button, self.png_button, self.csv_button):
            row.addWidget(button)  # moves it from the other row

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(self.width() < NARROW)

    # -- loading --------------------------------------------------------------------------
    def load_choices(self) -> None:
        from workbench.services.kpis import deployed_models, list_kpis

        def load() -> tuple[list[str], list[str]]:
            return ([s.name for s in list_kpis(self.ctx.store, self.ctx.user, project=self.ctx.project)],
                    deployed_models(self.ctx.store, self.ctx.user))

        self.ctx.tasks.run(load, self._show_choices, self._on_failed)

    def _on_failed(self, message: str) -> None:
        self.note.setText(message)
        for frame in self.frames():
            frame.show_message(f"Cannot read the KPI review: {message}")

    def frames(self) -> list[PlotFrame]:
        return [self.kpi_frame, self.correlation_frame, self.impact_frame]

    def _show_choices(self, choices: tuple[list[str], list[str]]) -> None:
        for box, names in zip((self.kpi_box, self.model_box), choices, strict=True):
            current = box.currentText()
            box.blockSignals(True)
            box.clear()
            box.addItems(names)
            if current in names:
                box.setCurrentIndex(names.index(current))
            box.blockSignals(False)
            box.setToolTip(box.currentText())
        self.refresh()

    def choose(self, kpi: str | None = None, model: str | None = None) -> None:
        for box, name in ((self.kpi_box, kpi), (self.model_box, model)):
            if name is not None and box.findText(name) >= 0:
                box.setCurrentIndex(box.findText(name))

    def refresh(self) -> None:
        from workbench.services.kpis import kpi_review

        kpi, model = self.kpi_box.currentText(), self.model_box.currentText()
        for box in (self.kpi_box, self.model_box):
            box.setToolTip(box.currentText())  # the full name, when the chooser is narrower
        if not kpi:
            self.note.setText("no KPI series in this store yet")
            for frame in self.frames():
                frame.show_message("No KPI series in this store yet: an operator or engineer imports one from a "
                                   "CSV file of dates and values (Import KPI…).")
            return
        metric, freq = self.metric_box.currentData(), self.freq_box.currentData()
        self.ctx.tasks.run(lambda: kpi_review(self.ctx.store, self.ctx.user, kpi, model, metric=metric, freq=freq),
                           self._show, self._on_failed)

    # -- showing --------------------------------------------------------------------------
    def _show(self, review: Any) -> None:
        if review.kpi.name != self.kpi_box.currentText() or review.model_name != self.model_box.currentText():
            return  # the choice changed while this was read; a newer read is on its way
        self.review = review
        self.kpi_curve.setData(review.kpi.ts / 1000.0, review.kpi.values)
        self.kpi_frame.set_title(f"{review.kpi.name} and deployments of {review.model_name or '—'}")
        for line in self.deployment_lines:
            self.kpi_plot.removeItem(line)
        self.deployment_lines = []
        middle = float(np.mean([review.kpi.ts.min(), review.kpi.ts.max()])) if len(review.kpi.ts) else 0.0
        if len(review.kpi.ts):  # a deployment outside the KPI's time range is listed below, not drawn
            low, high = float(review.kpi.ts.min()), float(review.kpi.ts.max())  # (piled at the edge)
            drawn = [m for m in review.deployments if low <= m.ts <= high]
        else:
            drawn = []
        for i, mark in enumerate(drawn):
            side = (1.0, 0.5) if mark.ts > middle else (0.0, 0.5)  # labels on the right half read leftwards
            line = pg.InfiniteLine(pos=mark.ts / 1000.0, angle=90, movable=False,
                                   pen=pg.mkPen("y", style=Qt.PenStyle.DashLine), label=mark.label,
                                   labelOpts={"position": 0.92 - 0.08 * (i % 5), "color": "y", "fill": (0, 0, 0, 160),
                                              "anchors": [side, side]})
            line.setToolTip(f"{mark.label} deployed at {mark.node_id} by {mark.actor}")
            self.kpi_plot.addItem(line)
            self.deployment_lines.append(line)
        notes = []
        correlation = review.correlation
        if correlation is not None:
            self.bars.setOpts(x=np.asarray(correlation.lags, dtype=float),
                              height=np.asarray(correlation.values), width=0.8)
            for line, sign in zip(self.band_lines, (1, -1), strict=True):
                line.setValue(sign * correlation.band)
                line.show()
            notes.append(f"best lag {correlation.best_lag:+d}: r = {correlation.best_value:.3f} "
                         f"({'outside' if correlation.significant else 'inside'} the ±{correlation.band:.3f} band, "
                         f"n = {correlation.n})")
        else:
            self.bars.setOpts(x=np.zeros(0), height=np.zeros(0), width=0.8)
            for line in self.band_lines:
                line.hide()
            notes.append(f"no correlation: {review.correlation_error}")
        self._show_impact(review.impact, notes)
        self.note.setText(" · ".join(notes))
        self.kpi_frame.show_data_or(f"The KPI '{review.kpi.name}' has no points yet: import its values (Import "
                                    f"KPI…).")
        self.correlation_frame.show_data_or(f"No cross-correlation of {review.kpi.name} with the model's "
                                            f"{self.metric_box.currentText()}: {review.correlation_error}")
        why = review.impact.error or (f"no deployment of {review.model_name or 'a model'} inside the KPI's time "
                                      f"range, with enough periods before and after it")
        self.impact_frame.show_data_or(f"No impact estimate: {why}")

    def _show_impact(self, impact: Any, notes: list[str]) -> None:
        events = impact.result.events if impact.result is not None else ()
        rows = []
        for event in events:
            level, slope = event.level_change, event.slope_change
            rows.append([event.name, _event_local_time(event), f"{level.value:+.4g}", f"[{level.ci_low:.4g}, {level.ci_high:.4g}]",
                         f"{level.p_value:.3g}", f"{slope.value:+.4g}", f"[{slope.ci_low:.4g}, {slope.ci_high:.4g}]",
                         f"{slope.p_value:.3g}", f"{event.before_mean:.4g} → {event.after_mean:.4g}"])
        tables.fill(self.impact_table, rows)
        x = np.arange(len(events), dtype=float)
        y = np.asarray([e.level_change.value for e in events], dtype=float)
        top = np.asarray([e.level_change.ci_high - e.level_change.value for e in events], dtype=float)
        bottom = np.asarray([e.level_change.value - e.level_change.ci_low for e in events], dtype=float)
        self.impact_bars.setData(x=x, y=y, top=top, bottom=bottom)
        self.impact_points.setData(x=x, y=y)
        room = self.impact_frame.width() / max(len(events), 1) - 12
        wide = max((QFontMetrics(QFont()).horizontalAdvance(e.name) for e in events), default=0) <= room
        self.impact_plot.getAxis("bottom").setTicks([[(i, e.name if wide else e.name.rsplit(" ", 1)[-1])
                                                      for i, e in enumerate(events)]])  # "v3" when narrow
        self.impact_plot.setXRange(-0.75, max(len(events), 1) - 0.25, padding=0)
        if impact.error:
            notes.append(f"no impact: {impact.error}")
        if impact.skipped:
            notes.append("skipped " + "; ".join(impact.skipped))

    # -- exports (local files; never the store) -------------------------------------------
    def export_png(self, path: str | Path) -> Path:
        target = Path(path)
        if not self.grab().save(str(target), "PNG"):
            raise OSError(f"{target}: the picture could not be written")
        return target

    def export_csv(self, path: str | Path) -> Path:
        """One tidy table: section, name, time, value, ci_low, ci_high, p_value."""
        target = Path(path)
        review = self.review
        if review is None:
            raise ValueError("nothing to export yet: choose a KPI")
        rows: list[list[Any]] = []
        for ts, value in zip(review.kpi.ts, review.kpi.values, strict=True):
            rows.append(["kpi", review.kpi.name, _iso(int(ts)), float(value), "", "", ""])
        for ts, value in zip(review.metric.ts, review.metric.values, strict=True):
            rows.append(["metric", review.metric.name, _iso(int(ts)), float(value), "", "", ""])
        for mark in review.deployments:
            rows.append(["deployment", mark.label, _iso(mark.ts), "", "", "", ""])
        if review.correlation is not None:
            band = review.correlation.band
            for lag, value in zip(review.correlation.lags, review.correlation.values, strict=True):
                rows.append(["cross_correlation", f"lag {lag}", "", value, -band, band, ""])
        if review.impact.result is not None:
            for event in review.impact.result.events:
                for section, estimate in (("impact_level", event.level_change), ("impact_slope", event.slope_change)):
                    rows.append([section, event.name, _event_time(event), estimate.value,
                                 estimate.ci_low,
                                 estimate.ci_high, estimate.p_value])
        with target.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["section", "name", "time", "value", "ci_low", "ci_high", "p_value"])
            writer.writerows(rows)
        return target

    def _on_export_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", "kpi-review.png", "PNG images (*.png)")
        if path:
            self._export(self.export_png, path)

    def _on_export_csv(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export CSV", "kpi-review.csv", "CSV files (*.csv)")
        if path:
            self._export(self.export_csv, path)

    def _export(self, export: Any, path: str) -> None:
        try:
            self.ctx.status(f"wrote {export(path)}")
        except (OSError, ValueError) as exc:
            self.ctx.error(self, "Export", str(exc))

    # -- import (never for the analyst) ---------------------------------------------------
    def _on_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Import KPI", "", "CSV files (*.csv);;All files (*)")
        if path:
            self.import_csv(path)

    def import_csv(self, path: str | Path) -> None:
        from workbench.services.kpis import import_kpi_csv

        if not self.can_import:
            self.ctx.error(self, "Import KPI", "this session may not import KPIs")
            return
        self.ctx.tasks.run(lambda: import_kpi_csv(self.ctx.store, self.ctx.user, path, project=self.ctx.project),
                           lambda done: (self.ctx.status(f"imported {done.points} points into {done.series.name}"),
                                         self.load_choices()),
                           lambda message: self.ctx.error(self, "Import KPI", message))


def _event_time(event: Any) -> str:
    return _iso(int(pd.Timestamp(event.time).value // 1_000_000))


def _event_local_time(event: Any) -> str:
    """When a deployment happened, as the person's local time (the table on screen)."""
    return local_time(int(pd.Timestamp(event.time).value // 1_000_000), seconds=False)


def _iso(ms: int) -> str:  # exports: UTC, machine-readable
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000.0))


def create(ctx: UiContext) -> QWidget:
    return KpiView(ctx)
