"""The operator's live monitoring view of one source: per-feature drift over time with its
threshold band and a feature × window heatmap, data-deviation findings, canary divergence
with its threshold, label-free performance estimate vs realised, and prediction volume and
latency.

Rules:

* Live, never re-reading: on ``ctx.feed.changed`` with a topic of this source, one task
  (``ctx.tasks``) reads only rows after the view's :class:`Cursor` through
  ``services.monitoring.updates``; one read runs at a time and changes that arrive meanwhile
  start one more; a read is applied only if the cursor it started from is still the view's,
  and choosing another source drops reads still in flight. Results are appended to growable numpy buffers; a 25 Hz frame timer calls
  ``setData`` on curves created once, only for what changed (no per-tick ``clear()``); rows
  arriving when no frame was drawn in the last 40 ms are drawn at once (still ≤ 25 Hz).
  ``rows_drawn``, ``last_update_monotonic``/``last_update_wall`` and ``draw_log`` record
  when new rows reached the plots (tests measure latency with them).
* Long series stay interactive: every plot uses ``setDownsampling(mode="peak")`` and
  ``setClipToView(True)``.
* The plotted drift value of a method is its p-value when its rows have one (tests: drifted
  below the threshold, band ``[0, threshold]`` in red) and its statistic otherwise (distances:
  drifted above the threshold, band ``[0, threshold]`` in green).
* Label-free performance is recomputed as a whole (a point per window) 300 ms after its
  windows or logged labels change; it is not on the latency path.
* Findings are the drifted drift rows and the alerts of the source, newest last (at most
  ``MAX_FINDINGS``). Nothing here writes; acknowledging is the alerts view's.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.views.live_plots import Buffer, Grid, make_plot, set_threshold, threshold_items
from workbench.ui.views.runs import _table

FRAME_MS = 40  # 25 Hz
SOURCE_TOPICS = {"drift", "divergence", "prediction_windows"}
MAX_FINDINGS = 10_000


class MonitoringView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.source: str | None = None
        self.method: str | None = None
        self.rows_drawn = 0
        self.last_update_monotonic: float | None = None
        self.last_update_wall: float | None = None
        self.draw_log: deque[tuple[float, int]] = deque(maxlen=1000)  # (wall time, rows_drawn)
        self._known_sources: set[str] = set()
        self._last_frame = 0.0
        self._build()
        self._reset_state()
        self._frame = QTimer(self, interval=FRAME_MS)
        self._frame.timeout.connect(self._on_frame)
        self._frame.start()
        self._performance_timer = QTimer(self, singleShot=True, interval=300)
        self._performance_timer.timeout.connect(self._fetch_performance)
        self.source_box.currentIndexChanged.connect(self._on_source_chosen)
        self.method_box.currentIndexChanged.connect(self._on_method_chosen)
        ctx.feed.changed.connect(self._on_changes)
        self.refresh_sources()

    # -- widgets --------------------------------------------------------------------------
    def _build(self) -> None:
        self.source_box = QComboBox(self)
        self.source_box.setObjectName("monitoring_source")
        self.source_box.setMinimumContentsLength(24)
        self.method_box = QComboBox(self)
        self.method_box.setObjectName("drift_method")
        self.note = QLabel("", self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Source:"))
        top.addWidget(self.source_box)
        top.addWidget(QLabel("Drift method:"))
        top.addWidget(self.method_box)
        top.addWidget(self.note, 1)
        self.tabs = QTabWidget(self)
        self.drift_plot = make_plot(self, "Drift per feature")
        self.drift_line, self.drift_band = threshold_items(self.drift_plot)
        self.heatmap_plot = make_plot(self, "Feature × window", time_axis=False, legend=False)
        self.heatmap_plot.setLabel("bottom", "window")
        self.heatmap = pg.ImageItem()
        self.heatmap.setColorMap(pg.colormap.get("viridis"))
        self.heatmap_plot.addItem(self.heatmap)
        drift = QSplitter(Qt.Orientation.Vertical, self)
        drift.addWidget(self.drift_plot)
        drift.addWidget(self.heatmap_plot)
        self.findings = _table(["time", "finding", "column", "method", "value", "threshold", "detail"], self)
        self.findings.setObjectName("findings_table")
        self.canary_plot = make_plot(self, "Canary divergence")
        self.canary_line, self.canary_band = threshold_items(self.canary_plot)
        self.diverged = self.canary_plot.plot(pen=None, symbol="x", symbolPen="r", name="diverged")
        self.performance_plot = make_plot(self, "Accuracy: label-free estimate vs realised")
        self.estimated_curve = self.performance_plot.plot(pen=pg.mkPen("c", width=2), name="estimated (CBPE)",
                                                          connect="finite")
        self.realised_curve = self.performance_plot.plot(pen=pg.mkPen("y", width=2), symbol="o", symbolSize=5,
                                                         name="realised")
        self.performance_note = QLabel("", self)
        performance = QWidget(self)
        box = QVBoxLayout(performance)
        box.addWidget(self.performance_plot, 1)
        box.addWidget(self.performance_note)
        self.volume_plot = make_plot(self, "Prediction volume (rows per window)")
        self.volume_curve = self.volume_plot.plot(pen=pg.mkPen("g", width=2), name="rows")
        self.latency_plot = make_plot(self, "Latency (ms)")
        self.latency_note = QLabel("", self)
        plots = QSplitter(Qt.Orientation.Vertical, self)
        plots.addWidget(self.volume_plot)
        plots.addWidget(self.latency_plot)
        traffic = QWidget(self)
        box = QVBoxLayout(traffic)
        box.addWidget(plots, 1)
        box.addWidget(self.latency_note)
        for widget, title in ((drift, "Drift"), (self.findings, "Findings"), (self.canary_plot, "Canary"),
                              (performance, "Performance"), (traffic, "Traffic")):
            self.tabs.addTab(widget, title)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)

    def _reset_state(self) -> None:
        from workbench.services.monitoring import Cursor

        self.cursor = Cursor()
        self._generation = getattr(self, "_generation", 0) + 1  # results of earlier reads are dropped
        self._fetching = self._pending = False
        self._performance_running = self._performance_pending = False
        self._drift: dict[str, dict[str, Buffer]] = {}
        self._grids: dict[str, Grid] = {}
        self._thresholds: dict[str, float] = {}
        self._pvalue_methods: set[str] = set()
        self._divergence: dict[str, Buffer] = {}
        self._divergence_threshold: float | None = None
        self._diverged = Buffer()
        self._volume = Buffer()
        self._latency: dict[str, Buffer] = {}
        self._dirty: set[str] = set()
        self._undrawn = 0
        self.performance: Any = None
        for plot in (self.drift_plot, self.canary_plot, self.latency_plot):
            for curve in list(getattr(self, "_curves", {}).get(id(plot), {}).values()):
                plot.removeItem(curve)
        self._curves: dict[int, dict[Any, pg.PlotDataItem]] = {}
        for curve in (self.diverged, self.volume_curve, self.estimated_curve, self.realised_curve):
            curve.setData([], [])
        self.heatmap.clear()
        self.findings.setRowCount(0)
        set_threshold(self.drift_line, self.drift_band, None)
        set_threshold(self.canary_line, self.canary_band, None)
        self.latency_note.setText("")
        self.performance_note.setText("")

    # -- sources --------------------------------------------------------------------------
    def refresh_sources(self) -> None:
        from workbench.services.monitoring import monitoring_sources

        self.ctx.tasks.run(lambda: monitoring_sources(self.ctx.store, self.ctx.user), self._show_sources,
                           lambda message: self.note.setText(f"cannot list sources: {message}"))

    def _show_sources(self, sources: list[str]) -> None:
        self._known_sources = set(sources)
        current = self.source
        self.source_box.blockSignals(True)
        self.source_box.clear()
        self.source_box.addItems(sources)
        if current in sources:
            self.source_box.setCurrentIndex(sources.index(current))
        self.source_box.blockSignals(False)
        if current is None and sources:
            # start on a drift monitor when there is one: that is what an operator checks first
            self.set_source(next((s for s in sources if "drift" in s.rsplit("/", 1)[-1]), sources[0]))
        elif not sources:
            self.note.setText("no monitoring results yet")

    def _on_source_chosen(self, index: int) -> None:
        if index >= 0:
            self.set_source(self.source_box.itemText(index))

    def set_source(self, source: str) -> None:
        """Show ``source``: forget the previous one and read it from the start."""
        if source == self.source:
            return
        self.source = source
        self.method = None
        self.method_box.blockSignals(True)
        self.method_box.clear()
        self.method_box.blockSignals(False)
        index = self.source_box.findText(source)
        if index >= 0 and index != self.source_box.currentIndex():
            self.source_box.blockSignals(True)
            self.source_box.setCurrentIndex(index)
            self.source_box.blockSignals(False)
        self._reset_state()
        self.note.setText("")
        self.fetch()
        self._fetch_performance()

    # -- the feed -------------------------------------------------------------------------
    def _on_changes(self, changes: list) -> None:
        from workbench.services.monitoring import labels_source

        fetch = performance = new_source = False
        for change in changes:
            if change.topic in SOURCE_TOPICS:
                new_source |= change.key not in self._known_sources
                fetch |= change.key == self.source
                performance |= change.topic == "prediction_windows" and change.key == self.source
            elif change.topic == "alerts" and change.action == "raised":
                fetch = True
            elif change.topic == "predictions" and self.source is not None:
                performance |= change.key in (self.source, labels_source(self.source))
        if new_source:
            self.refresh_sources()
        if fetch and self.source is not None:
            self.fetch()
        if performance and self.source is not None:
            self._performance_timer.start()

    def fetch(self) -> None:
        """Read what is new about the source (one read at a time; later calls queue one more)."""
        from workbench.services.monitoring import updates

        if self.source is None:
            return
        if self._fetching:
            self._pending = True
            return
        self._fetching, self._pending = True, False
        source, cursor, generation = self.source, self.cursor, self._generation
        self.ctx.tasks.run(lambda: updates(self.ctx.store, self.ctx.user, source, cursor),
                           lambda found: self._on_updates(found, generation, cursor),
                           lambda message: self._on_fetch_failed(message, generation))

    def _on_fetch_failed(self, message: str, generation: int) -> None:
        if generation == self._generation:
            self._fetching = False
            self.note.setText(f"cannot read {self.source}: {message}")

    def _on_updates(self, found: Any, generation: int, cursor: Any) -> None:
        if generation != self._generation:
            return  # read for a source that is no longer shown
        self._fetching = False
        if cursor == self.cursor and found.cursor != cursor:  # never the same rows twice
            self.cursor = found.cursor
            self._ingest(found)
        if self._pending:
            self.fetch()

    # -- ingest (UI thread, cheap: numpy appends) -----------------------------------------
    def _ingest(self, found: Any) -> None:
        groups: dict[tuple[str, str], list[Any]] = {}
        for row in found.drift:
            groups.setdefault((row.method, row.column), []).append(row)
        for (method, column), rows in sorted(groups.items(), key=lambda item: item[0][0] == "dataset"):
            pvalues = rows[-1].p_value is not None
            x = np.fromiter((r.window_end / 1000.0 for r in rows), float, len(rows))
            y = np.fromiter((r.p_value if pvalues and r.p_value is not None else r.statistic for r in rows),
                            float, len(rows))
            self.add_drift_points(method, column, x, y, threshold=rows[-1].threshold, p_values=pvalues,
                                  windows=[(r.window_start, r.window_end) for r in rows])
        for row in found.divergence:
            self._divergence.setdefault(row.method, Buffer()).extend([row.window_end / 1000.0], [row.statistic])
            self._divergence_threshold = row.threshold
            if row.diverged:
                self._diverged.extend([row.window_end / 1000.0], [row.statistic])
        if found.divergence:
            self._dirty.add("canary")
        for window in found.windows:
            self._volume.extend([window.window_end / 1000.0], [window.count])
            for key, value in window.latency_ms.items():
                self._latency.setdefault(key, Buffer()).extend([window.window_end / 1000.0], [value])
        if found.windows:
            self._dirty.add("traffic")
        self._add_findings([r for r in found.drift if r.drifted], found.alerts)
        self._undrawn += len(found.drift) + len(found.divergence) + len(found.windows) + len(found.alerts)
        if time.monotonic() - self._last_frame >= FRAME_MS / 1000.0:
            self._on_frame()  # idle since the last frame: draw now, still at most 25 times a second

    def add_drift_points(self, method: str, column: str, x: np.ndarray, y: np.ndarray, *,
                         threshold: float | None = None, p_values: bool = False,
                         windows: list[tuple[int, int]] | None = None) -> None:
        """Append drift values (x: epoch seconds) of one feature and method; drawn next frame."""
        self._drift.setdefault(method, {}).setdefault(column, Buffer()).extend(x, y)
        if threshold is not None:
            self._thresholds[method] = float(threshold)
        if p_values:
            self._pvalue_methods.add(method)
        if windows is not None:
            grid = self._grids.setdefault(method, Grid())
            for window, value in zip(windows, y, strict=True):
                grid.put(window, column, float(value))
            self._dirty.add("heatmap")
        if self.method_box.findText(method) < 0:
            self.method_box.addItem(method)
        if self.method is None:
            self.method_box.setCurrentIndex(self.method_box.findText(method))
        self._dirty.add("drift")

    def _add_findings(self, drifted: list[Any], alerts: tuple[Any, ...]) -> None:
        rows = [[_when(r.window_end), "drift", r.column, r.method,
                 f"{r.p_value if r.p_value is not None else r.statistic:.4g}", f"{r.threshold:.4g}",
                 f"window {_when(r.window_start)} – {_when(r.window_end)}"] for r in drifted]
        rows += [[_when(a.created_at), f"alert: {a.kind}", "", "", "", "", a.message] for a in alerts]
        if not rows:
            return
        table = self.findings
        start = table.rowCount()
        table.setRowCount(start + len(rows))
        for r, row in enumerate(rows, start):
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(str(value)))
        extra = table.rowCount() - MAX_FINDINGS
        for _ in range(max(0, extra)):
            table.removeRow(0)

    def _on_method_chosen(self, index: int) -> None:
        method = self.method_box.itemText(index) if index >= 0 else None
        if method and method != self.method:
            drift_curves = self._curves.get(id(self.drift_plot), {})
            for (curve_method, _), curve in drift_curves.items():
                if curve_method != method and curve.scene() is not None:
                    self.drift_plot.removeItem(curve)
            self.method = method
            self._dirty |= {"drift", "heatmap"}

    # -- drawing (25 Hz) ------------------------------------------------------------------
    def _curve(self, plot: pg.PlotWidget, key: Any, name: str, index: int) -> pg.PlotDataItem:
        curves = self._curves.setdefault(id(plot), {})
        curve = curves.get(key)
        if curve is None:
            curve = pg.PlotDataItem(pen=pg.mkPen(pg.intColor(index, hues=12), width=1.5), name=name)
            curves[key] = curve
        if curve.scene() is None:
            plot.addItem(curve)
        return curve

    def _on_frame(self) -> None:
        if not self._dirty:
            return
        self._last_frame = time.monotonic()
        dirty, self._dirty = self._dirty, set()
        if "drift" in dirty and self.method is not None:
            for i, (column, buffer) in enumerate(self._drift.get(self.method, {}).items()):
                self._curve(self.drift_plot, (self.method, column), column, i).setData(buffer.x, buffer.y)
            set_threshold(self.drift_line, self.drift_band, self._thresholds.get(self.method),
                           low_is_bad=self.method in self._pvalue_methods)
        if "heatmap" in dirty and self.method in self._grids:
            grid = self._grids[self.method]
            levels = (0.0, 1.0) if self.method in self._pvalue_methods else None
            image = grid.image()
            self.heatmap.setImage(image, autoLevels=levels is None, levels=levels)
            names = sorted(grid.features.items(), key=lambda item: item[1])
            self.heatmap_plot.getAxis("left").setTicks([[(i + 0.5, name) for name, i in names]])
        if "canary" in dirty:
            for i, (method, buffer) in enumerate(self._divergence.items()):
                self._curve(self.canary_plot, method, method, i).setData(buffer.x, buffer.y)
            self.diverged.setData(self._diverged.x, self._diverged.y)
            set_threshold(self.canary_line, self.canary_band, self._divergence_threshold)
        if "traffic" in dirty:
            self.volume_curve.setData(self._volume.x, self._volume.y)
            for i, (key, buffer) in enumerate(sorted(self._latency.items())):
                self._curve(self.latency_plot, key, key, i).setData(buffer.x, buffer.y)
            self.latency_note.setText("" if self._latency else
                                      "these prediction windows carry no latency (summary key latency_ms)")
        if self._undrawn:
            self.rows_drawn += self._undrawn
            self._undrawn = 0
            self.last_update_monotonic = time.monotonic()
            self.last_update_wall = time.time()
            self.draw_log.append((self.last_update_wall, self.rows_drawn))

    def drift_curve(self, column: str, method: str | None = None) -> pg.PlotDataItem | None:
        """The curve of one feature (for tests): ``None`` until it was drawn."""
        return self._curves.get(id(self.drift_plot), {}).get((method or self.method, column))

    # -- label-free performance -----------------------------------------------------------
    def _fetch_performance(self) -> None:
        from workbench.services.monitoring import performance

        if self.source is None:
            return
        if self._performance_running:
            self._performance_pending = True
            return
        self._performance_running = True
        source = self.source
        self.ctx.tasks.run(lambda: performance(self.ctx.store, self.ctx.user, source), self._show_performance,
                           self._on_performance_failed)

    def _on_performance_failed(self, message: str) -> None:
        self._performance_running = False
        self.performance_note.setText(f"no estimate: {message}")

    def _show_performance(self, result: Any) -> None:
        if result.source != self.source:
            return  # read for a source that is no longer shown; set_source started a new one
        self._performance_running = False
        self.performance = result
        x = np.asarray([p.window_end / 1000.0 for p in result.points], dtype=float)
        est = np.asarray([np.nan if p.estimated_accuracy is None else p.estimated_accuracy
                          for p in result.points], dtype=float)
        real = np.asarray([np.nan if p.realised_accuracy is None else p.realised_accuracy
                           for p in result.points], dtype=float)
        self.estimated_curve.setData(x, est)
        known = np.isfinite(real)  # only windows with labelled predictions
        self.realised_curve.setData(x[known], real[known])
        if result.calibration == "isotonic":
            how = f"calibrated (isotonic) on {result.reference_rows} labelled predictions"
        elif result.reference_rows:
            how = f"raw scores kept (calibrating on {result.reference_rows} labelled predictions did not improve them)"
        else:
            how = "raw scores taken as probabilities (no labelled reference of both classes)"
        labelled = sum(p.n_labelled for p in result.points)
        self.performance_note.setText(f"CBPE, threshold {result.threshold:g}, {how}; "
                                      f"{labelled} labelled predictions in {len(result.points)} windows")
        if self._performance_pending:
            self._performance_pending = False
            self._fetch_performance()

    # -- Qt -------------------------------------------------------------------------------
    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._frame.start()
        super().showEvent(event)

    def hideEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self._frame.stop()
        super().hideEvent(event)


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ms / 1000.0))


def create(ctx: UiContext) -> QWidget:
    return MonitoringView(ctx)
