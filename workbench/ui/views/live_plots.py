"""Pieces the live plots share: growable numpy buffers fed by workers and drawn by a frame
timer, a feature × window grid for heatmaps, plots set up for long series (peak
downsampling, clip to view) and a threshold drawn as a dashed line over a shaded band."""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget


class Buffer:
    """Growable ``x``/``y`` float64 columns; appending is amortised O(1)."""

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self._x):
            size = max(need, 2 * len(self._x))
            self._x = np.resize(self._x, size)
            self._y = np.resize(self._y, size)
        self._x[self.n:need] = x
        self._y[self.n:need] = y
        self.n = need

    @property
    def x(self) -> np.ndarray:
        return self._x[:self.n]

    @property
    def y(self) -> np.ndarray:
        return self._y[:self.n]


class Grid:
    """A feature × window matrix of one method, grown as windows and features appear."""

    def __init__(self) -> None:
        self.windows: dict[tuple[int, int], int] = {}
        self.features: dict[str, int] = {}
        self.values = np.full((16, 8), np.nan)

    def put(self, window: tuple[int, int], feature: str, value: float) -> None:
        col = self.windows.setdefault(window, len(self.windows))
        row = self.features.setdefault(feature, len(self.features))
        rows, cols = self.values.shape
        if col >= rows or row >= cols:
            grown = np.full((max(rows, 2 * col + 1), max(cols, 2 * row + 1)), np.nan)
            grown[:rows, :cols] = self.values
            self.values = grown
        self.values[col, row] = value

    def image(self) -> np.ndarray:
        return self.values[:len(self.windows), :len(self.features)]


def make_plot(parent: QWidget, title: str, *, time_axis: bool = True, legend: bool = True) -> pg.PlotWidget:
    axis = {"bottom": pg.DateAxisItem()} if time_axis else {}
    plot = pg.PlotWidget(parent, title=title, axisItems=axis)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if legend:
        plot.addLegend()
    return plot


def threshold_items(plot: pg.PlotWidget) -> tuple[pg.InfiniteLine, pg.LinearRegionItem]:
    line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("r", width=1, style=Qt.PenStyle.DashLine),
                           label="threshold {value:.3g}", labelOpts={"position": 0.95, "color": "r",
                                                                     "fill": (0, 0, 0, 160)})
    band = pg.LinearRegionItem(orientation="horizontal", movable=False)
    for item in (band, line):
        item.hide()
        plot.addItem(item)
    return line, band


def set_threshold(line: pg.InfiniteLine, band: pg.LinearRegionItem, value: float | None,
                   low_is_bad: bool = False) -> None:
    if value is None or not np.isfinite(value):
        line.hide()
        band.hide()
        return
    line.show()  # before setValue: a hidden line's label is not updated
    band.show()
    line.setValue(value)
    band.setRegion((0.0, value))
    band.setBrush(pg.mkBrush(220, 60, 60, 40) if low_is_bad else pg.mkBrush(60, 170, 90, 35))
