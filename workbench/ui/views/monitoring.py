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
* Findings are the drifted drift rows, the windows' broken expectations and the alerts of the
  source, newest last (at most ``MAX_FINDINGS``). Nothing here writes; acknowledging is the
  alerts view's.
* Every plot sits in a :class:`PlotFrame`: data, or why this source has none and where it is
  (``empty_states``). Series are drawn in time order; thresholds come from the stored results.
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
    QSizePolicy,
    QSplitter,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.monitoring.multivariate import MULTIVARIATE_COLUMN
from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time
from workbench.ui.views import empty_states as empty
from workbench.ui.views import live_plots as lp
from workbench.ui.views.plot_frame import NoteLabel, PlotFrame
from workbench.ui.widgets import tables

FRAME_MS = 40  # 25 Hz
SOURCE_TOPICS = {"drift", "divergence", "prediction_windows"}
MAX_FINDINGS = 10_000


# the multivariate test's series: every column at once, not a column called '*all'
MULTIVARIATE_LABEL = "*all: the columns together"

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
        self._listed = False  # the sources were read once
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
        self.source_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.source_box.setMinimumContentsLength(24)
        self.source_box.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.method_box = QComboBox(self)
        self.method_box.setObjectName("drift_method")
        self.method_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.note = NoteLabel("", self)
        top = QHBoxLayout()
        top.addWidget(QLabel("Source:"))
        top.addWidget(self.source_box, 3)
        top.addWidget(QLabel("Drift method:"))
        top.addWidget(self.method_box)
        top.addWidget(self.note, 2)
        self.tabs = QTabWidget(self)
        self.drift_frame = lp.make_frame(self, "Drift per feature")
        self.drift_plot = self.drift_frame.plot
        self.drift_line, self.drift_band = lp.threshold_items(self.drift_plot)
        self.heatmap_frame = lp.make_frame(self, "Feature × window", time_axis=False, legend=False)
        self.heatmap_plot = self.heatmap_frame.plot
        self.heatmap_plot.setLabel("bottom", "window (local dates)")
        self.heatmap = pg.ImageItem()
        self.heatmap.setColorMap(pg.colormap.get("viridis"))
        self.heatmap_plot.addItem(self.heatmap)
        drift = QSplitter(Qt.Orientation.Vertical, self)
        drift.addWidget(self.drift_frame)
        drift.addWidget(self.heatmap_frame)
        self.findings = tables.table(["time", "finding", "column", "method", "value", "threshold", "detail"], self)
        self.findings.setObjectName("findings_table")
        self.canary_frame = lp.make_frame(self, "Canary divergence")
        self.canary_plot = self.canary_frame.plot
        self.canary_line, self.canary_band = lp.threshold_items(self.canary_plot)
        self.diverged = self.canary_plot.plot(pen=None, symbol="x", symbolPen="r", name="diverged")
        self.performance_frame = lp.make_frame(self, "Accuracy: label-free estimate vs realised")
        self.performance_plot = self.performance_frame.plot
        self.estimated_curve = self.performance_plot.plot(pen=pg.mkPen("c", width=2), name="estimated (CBPE)",
                                                          connect="finite", symbol="s", symbolSize=4,
                                                          symbolBrush="c", symbolPen=None)
        self.realised_curve = self.performance_plot.plot(pen=pg.mkPen("y", width=2), symbol="o", symbolSize=5,
                                                         name="realised")
        self.performance_note = NoteLabel("", self)
        performance = QWidget(self)
        box = QVBoxLayout(performance)
        box.addWidget(self.performance_frame, 1)
        box.addWidget(self.performance_note)
        self.volume_frame = lp.make_frame(self, "Prediction volume (rows per window)")
        self.volume_plot = self.volume_frame.plot
        self.volume_curve = self.volume_plot.plot(pen=pg.mkPen("g", width=2), name="rows", symbol="o",
                                                  symbolSize=4, symbolBrush="g", symbolPen=None)
        self.latency_frame = lp.make_frame(self, "Latency (ms)")
        self.latency_plot = self.latency_frame.plot
        traffic = QSplitter(Qt.Orientation.Vertical, self)
        traffic.addWidget(self.volume_frame)
        traffic.addWidget(self.latency_frame)
        for widget, title in ((drift, "Drift"), (self.findings, "Findings"), (self.canary_frame, "Canary"),
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
        self._drift: dict[str, dict[str, lp.Buffer]] = {}
        self._grids: dict[str, lp.Grid] = {}
        self._thresholds: dict[str, float] = {}
        self._pvalue_methods: set[str] = set()
        self._divergence: dict[str, lp.Buffer] = {}
        self._divergence_threshold: float | None = None
        self._diverged = lp.Buffer()
        self._volume = lp.Buffer()
        self._latency: dict[str, lp.Buffer] = {}
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
        lp.set_threshold(self.drift_line, self.drift_band, None)
        lp.set_threshold(self.canary_line, self.canary_band, None)
        self.performance_note.setText("")
        self._read_once = False  # the first read of the source is in
        self._update_frames()

    # -- sources --------------------------------------------------------------------------
    def refresh_sources(self) -> None:
        from workbench.services.monitoring import monitoring_sources

        self.ctx.tasks.run(lambda: monitoring_sources(self.ctx.store, self.ctx.user), self._show_sources,
                           lambda message: self.note.setText(f"cannot list sources: {message}"))

    def _show_sources(self, sources: list[str]) -> None:
        self._known_sources, self._listed = set(sources), True
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
            self._update_frames()

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
        self.method_box.setEnabled(False)  # until this source's drift methods are read
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
        if not self._read_once:
            self._read_once = True
            self._update_frames()
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
            self._divergence.setdefault(row.method, lp.Buffer()).extend([row.window_end / 1000.0], [row.statistic])
            self._divergence_threshold = row.threshold
            if row.diverged:
                self._diverged.extend([row.window_end / 1000.0], [row.statistic])
        if found.divergence:
            self._dirty.add("canary")
        for window in found.windows:
            self._volume.extend([window.window_end / 1000.0], [window.count])
            for key, value in window.latency_ms.items():
                self._latency.setdefault(key, lp.Buffer()).extend([window.window_end / 1000.0], [value])
        if found.windows:
            self._dirty.add("traffic")
        self._add_findings([r for r in found.drift if r.drifted], found.alerts, found.findings)
        self._undrawn += len(found.drift) + len(found.divergence) + len(found.windows) + len(found.alerts)
        if time.monotonic() - self._last_frame >= FRAME_MS / 1000.0:
            self._on_frame()  # idle since the last frame: draw now, still at most 25 times a second

    def add_drift_points(self, method: str, column: str, x: np.ndarray, y: np.ndarray, *,
                         threshold: float | None = None, p_values: bool = False,
                         windows: list[tuple[int, int]] | None = None) -> None:
        """Append drift values (x: epoch seconds) of one feature and method; drawn next frame."""
        self._drift.setdefault(method, {}).setdefault(column, lp.Buffer()).extend(x, y)
        if threshold is not None:
            self._thresholds[method] = float(threshold)
        if p_values:
            self._pvalue_methods.add(method)
        if windows is not None:
            grid = self._grids.setdefault(method, lp.Grid())
            for window, value in zip(windows, y, strict=True):
                grid.put(window, column, float(value))
            self._dirty.add("heatmap")
        if self.method_box.findText(method) < 0:
            self.method_box.addItem(method)
            self.method_box.setEnabled(True)
            self.method_box.setMinimumWidth(self.method_box.sizeHint().width())  # never elided
        if self.method is None:
            self.method_box.setCurrentIndex(self.method_box.findText(method))
        self._dirty.add("drift")

    def _add_findings(self, drifted: list[Any], alerts: tuple[Any, ...],
                      broken: tuple[Any, ...] = ()) -> None:
        """Newest first: each batch goes on top, in time order, and the oldest fall off the bottom."""
        rows = [(r.window_end, [_when(r.window_end), "drift", r.column, r.method,
                                f"{r.p_value if r.p_value is not None else r.statistic:.4g}", f"{r.threshold:.4g}",
                                f"window {_when(r.window_start)} – {_when(r.window_end)}"]) for r in drifted]
        rows += [(b.window_end, [_when(b.window_end), "expectation", b.finding.column or "(rows)",
                                 b.finding.counts.get("rule", ""), b.finding.counts.get("found", ""),
                                 b.finding.counts.get("expectation", ""),
                                 f"window {_when(b.window_start)} – {_when(b.window_end)}: {b.finding.message}"])
                 for b in broken]
        rows += [(a.created_at, [_when(a.created_at), f"alert: {a.kind}", "", "", "", "", a.message]) for a in alerts]
        if not rows:
            return
        table = self.findings
        ordered = [row for _, row in sorted(rows, key=lambda pair: -pair[0])]
        for r, row in enumerate(ordered):
            table.insertRow(r)
            for c, value in enumerate(row):
                table.setItem(r, c, QTableWidgetItem(str(value)))
        while table.rowCount() > MAX_FINDINGS:
            table.removeRow(table.rowCount() - 1)

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
            curve = pg.PlotDataItem(pen=pg.mkPen(lp.series_color(index), width=1.5), name=name)
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
                label = MULTIVARIATE_LABEL if column == MULTIVARIATE_COLUMN else column
                self._curve(self.drift_plot, (self.method, column), label, i).setData(buffer.x, buffer.y)
            lp.set_threshold(self.drift_line, self.drift_band, self._thresholds.get(self.method),
                           low_is_bad=self.method in self._pvalue_methods)
        if "heatmap" in dirty and self.method in self._grids:
            grid = self._grids[self.method]
            levels = (0.0, 1.0) if self.method in self._pvalue_methods else None
            image = grid.image()
            self.heatmap.setImage(image, autoLevels=levels is None, levels=levels)
            names = sorted(grid.features.items(), key=lambda item: item[1])
            self.heatmap_plot.getAxis("left").setTicks([[(i + 0.5, name) for name, i in names]])
            windows = grid.ordered_windows()
            every = max(1, -(-len(windows) // 6))  # about six dated ticks
            self.heatmap_plot.getAxis("bottom").setTicks(
                [[(i + 0.5, time.strftime("%d %b", time.localtime(end / 1000))) for i, (_, end)
                  in enumerate(windows) if i % every == 0]])
        if "canary" in dirty:
            for i, (method, buffer) in enumerate(self._divergence.items()):
                self._curve(self.canary_plot, method, method, i).setData(buffer.x, buffer.y)
            self.diverged.setData(self._diverged.x, self._diverged.y)
            lp.set_threshold(self.canary_line, self.canary_band, self._divergence_threshold)
        if "traffic" in dirty:
            self.volume_curve.setData(self._volume.x, self._volume.y)
            for i, (key, buffer) in enumerate(sorted(self._latency.items())):
                self._curve(self.latency_plot, key, key, i).setData(buffer.x, buffer.y)
        if self._undrawn:
            self.rows_drawn += self._undrawn
            self._undrawn = 0
            self.last_update_monotonic = time.monotonic()
            self.last_update_wall = time.time()
            self.draw_log.append((self.last_update_wall, self.rows_drawn))
        self._update_frames()

    # -- empty states ---------------------------------------------------------------------
    def frames(self) -> list[PlotFrame]:
        return [self.drift_frame, self.heatmap_frame, self.canary_frame, self.performance_frame,
                self.volume_frame, self.latency_frame]

    def _update_frames(self) -> None:
        """Each plot shows its data or says why this source has none."""
        source, known = self.source, self._known_sources
        if source is None or not self._read_once:
            for frame in self.frames():
                frame.show_message(empty.reading(source or "the store") if source or not self._listed
                                   else empty.NO_STORE_DATA)
            return
        self.drift_frame.show_data_or(empty.no_drift(source, known))
        self.heatmap_frame.show_data_or(empty.no_drift(source, known))
        self.canary_frame.show_data_or(empty.no_divergence(source, known))
        self.volume_frame.show_data_or(empty.no_windows(source, known))
        self.latency_frame.show_data_or(empty.no_latency(source, known, self._volume.n))
        self._update_performance_frame()

    def _update_performance_frame(self, failure: str | None = None) -> None:
        if self.source is not None:
            text = empty.no_performance(self.source, self._known_sources, self.performance, failure)
            if failure is None and self.performance is not None:
                self.performance_frame.show_data_or(text)
            else:
                self.performance_frame.show_message(text)

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
        self._update_performance_frame(message)

    def _show_performance(self, result: Any) -> None:
        if result.source != self.source:
            return  # read for a source that is no longer shown; set_source started a new one
        self._performance_running = False
        self.performance = result
        points = sorted(result.points, key=lambda p: (p.window_end, p.window_id))  # in time order
        x = np.asarray([p.window_end / 1000.0 for p in points], dtype=float)
        est = np.asarray([np.nan if p.estimated_accuracy is None else p.estimated_accuracy
                          for p in points], dtype=float)
        real = np.asarray([np.nan if p.realised_accuracy is None else p.realised_accuracy
                           for p in points], dtype=float)
        self.estimated_curve.setData(x, est)
        known = np.isfinite(real)  # only windows with labelled predictions
        self.realised_curve.setData(x[known], real[known])
        self.performance_note.setText(empty.estimate_note(result))
        self._update_performance_frame()
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
    return local_time(ms)


def create(ctx: UiContext) -> QWidget:
    return MonitoringView(ctx)
