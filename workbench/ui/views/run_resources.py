"""The run page's resource plots (its "Resources" tab): what each step used while it ran.

Two plots, one above the other, sharing one time axis (seconds since the run's first step
started): memory — each step's resident memory in MB (its process and children), and GPU memory
dashed when a step used a GPU — and CPU — each step's CPU use in percent of one core (GPU use
dashed). One colour per step, named by its node in the legend of the upper plot; the selected
step is drawn thicker. No titles: the axis labels say what is drawn, so that the plots keep
their height in the run page's side column. The
series are the runtime's ``resources/<step id>/…`` metrics (``engines/resource_series.py``).

Rules: a plot says why it is empty ("no step of run N has reported…") instead of showing a
blank frame; curves are updated in place while a run goes on.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QVBoxLayout, QWidget

from workbench.ui.views.live_plots import series_color
from workbench.ui.views.plot_frame import PlotFrame

#: plot name → (figure drawn solid, figure drawn dashed, its legend suffix)
PLOTS = {"memory": ("rss_mb", "gpu_mem_mb", "GPU"), "cpu": ("cpu_percent", "gpu_util_percent", "GPU")}
AXES = {"memory": "memory, MB", "cpu": "CPU %"}
TIPS = {"memory": "Resident memory of each step's process and the processes it started (MB); "
                  "dashed: GPU memory",
        "cpu": "CPU use of each step in percent of one core (200 = two cores busy); dashed: GPU use"}


class ResourcePlots(QWidget):
    """Resident memory and CPU of every step of the shown run."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.frames: dict[str, PlotFrame] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        for name, axis in AXES.items():
            plot = pg.PlotWidget()
            plot.showGrid(x=True, y=True, alpha=0.2)
            plot.setLabel("left", axis)
            plot.setToolTip(TIPS[name])
            if name == "cpu":
                plot.setLabel("bottom", "seconds since the run started")
            else:
                plot.addLegend(offset=(-4, 4), labelTextSize="8pt", verSpacing=-6)
            plot.setDownsampling(mode="peak")
            plot.setClipToView(True)
            frame = PlotFrame(plot, self, min_height=90)
            frame.setObjectName(f"run_resources_{name}")
            self.frames[name] = frame
            layout.addWidget(frame, 1)
        self.frames["cpu"].plot.setXLink(self.frames["memory"].plot)
        self._curves: dict[tuple[str, int, str], Any] = {}
        self._run: int | None = None
        self.clear("Select a run to see what its steps used.")

    def clear(self, message: str) -> None:
        self._run = None
        self._curves.clear()
        for frame in self.frames.values():
            frame.plot.clear()
            legend = frame.plot.getPlotItem().legend
            if legend is not None:
                legend.clear()
            frame.show_message(message)

    def show_run(self, run_id: int, figures: dict[int, dict[str, dict[str, np.ndarray]]],
                 nodes: dict[int, str], selected: int | None = None) -> None:
        """Draw ``figures`` (``resource_series.by_step``) of run ``run_id``; ``nodes`` names the
        steps, ``selected`` is drawn thicker."""
        if run_id != self._run:
            self.clear("")
            self._run = run_id
        starts = {step: _start_ms(series) for step, series in figures.items()}
        origin = min(starts.values()) if starts else 0.0
        order = sorted(figures, key=lambda step: (starts[step], step))
        for name, (solid, dashed, suffix) in PLOTS.items():
            frame = self.frames[name]
            top = 0.0
            for index, step in enumerate(order):
                color = series_color(index)
                width = 3 if step == selected else 1.5
                label = nodes.get(step, f"step {step}")
                for figure, style, text in ((solid, Qt.PenStyle.SolidLine, label),
                                            (dashed, Qt.PenStyle.DashLine, f"{label} {suffix}")):
                    series = figures[step].get(figure)
                    if series is None or not len(series["value"]):
                        continue
                    x = (starts[step] + series["ms"] - origin) / 1000.0
                    pen = pg.mkPen(color, width=width, style=style)
                    curve = self._curves.get((name, step, figure))
                    if curve is None:
                        curve = frame.plot.plot(name=text, pen=pen)
                        self._curves[(name, step, figure)] = curve
                    curve.setPen(pen)
                    curve.setData(x, series["value"])
                    top = max(top, float(np.nanmax(series["value"])))
            if top > 0:  # from zero: a step's memory is read against none, not against its low
                frame.plot.setYRange(0, top * 1.08, padding=0)
            frame.show_data_or(
                f"No step of run {run_id} has reported its {'memory' if name == 'memory' else 'CPU use'} "
                "yet: each step sends it every half second while it runs (runs from before this "
                "version have none).")


def _start_ms(series: dict[str, dict[str, np.ndarray]]) -> float:
    """When a step started, in epoch ms: each point's arrival time less its time since the
    start (the earliest such estimate)."""
    starts = [float(np.min(s["ts"] - s["ms"])) for s in series.values() if len(s["ts"])]
    return min(starts) if starts else 0.0
