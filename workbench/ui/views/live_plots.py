"""Pieces the live plots share: growable numpy buffers fed by workers and drawn by a frame
timer, a feature × window grid for heatmaps, plots set up for long series (peak
downsampling, clip to view) in a :class:`PlotFrame`, a time axis in local dates and a threshold
drawn as a dashed line over a shaded band.

Rules: a buffer hands out its columns sorted by ``x`` (rows may arrive out of time order; a
line must never run back in time); the grid orders its windows by time. The time axis has one
row of labels whose spacing is chosen from the label width, so labels never overlap."""

from __future__ import annotations

import datetime
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QWidget

from workbench.ui.views.plot_frame import PlotFrame


class Buffer:
    """Growable ``x``/``y`` float64 columns; appending is amortised O(1). ``x``/``y`` are
    handed out sorted by ``x`` (stable): rows appended out of order are sorted in place once."""

    def __init__(self, capacity: int = 256):
        self._x = np.empty(capacity)
        self._y = np.empty(capacity)
        self.n = 0
        self._sorted = True

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        need = self.n + len(x)
        if need > len(self._x):
            size = max(need, 2 * len(self._x))
            self._x = np.resize(self._x, size)
            self._y = np.resize(self._y, size)
        x = np.asarray(x, dtype=float)
        if len(x) and self._sorted:
            self._sorted = (self.n == 0 or x[0] >= self._x[self.n - 1]) and bool(np.all(np.diff(x) >= 0))
        self._x[self.n:need] = x
        self._y[self.n:need] = y
        self.n = need

    def _sort(self) -> None:
        if not self._sorted:
            order = np.argsort(self._x[:self.n], kind="stable")
            self._x[:self.n] = self._x[:self.n][order]
            self._y[:self.n] = self._y[:self.n][order]
            self._sorted = True

    @property
    def x(self) -> np.ndarray:
        self._sort()
        return self._x[:self.n]

    @property
    def y(self) -> np.ndarray:
        self._sort()
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

    def ordered_windows(self) -> list[tuple[int, int]]:
        """The windows by time: the image's columns, left to right."""
        return sorted(self.windows)

    def image(self) -> np.ndarray:
        """Windows (by time) × features."""
        columns = [self.windows[w] for w in self.ordered_windows()]
        return self.values[columns, :len(self.features)]


# distinct on a dark background, in order (Tableau 10): neighbouring series never share a hue
PALETTE = ("#4e9ee8", "#f28e2b", "#e15759", "#76d7c4", "#59c44f", "#edc948", "#c67fd9", "#ff9da7", "#c4a484",
           "#bab0ac")


def series_color(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def make_plot(parent: QWidget, title: str, *, time_axis: bool = True, legend: bool = True) -> pg.PlotWidget:
    axis = {"bottom": TimeAxis()} if time_axis else {}
    plot = pg.PlotWidget(parent, title=title, axisItems=axis)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setClipToView(True)
    plot.showGrid(x=True, y=True, alpha=0.2)
    if legend:
        plot.addLegend()
    return plot


def make_frame(parent: QWidget, title: str, *, time_axis: bool = True, legend: bool = True,
               min_height: int = 120) -> PlotFrame:
    """A :func:`make_plot` plot in a :class:`PlotFrame` (its empty state says why)."""
    return PlotFrame(make_plot(parent, title, time_axis=time_axis, legend=legend), parent, min_height=min_height)


def threshold_items(plot: pg.PlotWidget) -> tuple[pg.InfiniteLine, pg.LinearRegionItem]:
    line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen("r", width=1, style=Qt.PenStyle.DashLine),
                           label="threshold {value:.3g}",
                           # right-aligned inside the right edge, on the side of the line facing the middle
                           labelOpts={"position": 0.98, "color": "r", "fill": (0, 0, 0, 160),
                                      "anchors": [(1.0, 0.0), (1.0, 1.0)]})
    band = pg.LinearRegionItem(orientation="horizontal", movable=False)
    band.hide()
    plot.addItem(band, ignoreBounds=True)  # the band reaches 0; the data, not the band, sets the range
    line.hide()
    plot.addItem(line)
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


_DAY = 86_400.0
# tick steps in seconds; months and years are calendar steps (30.44 and 365.25 days stand for them)
_STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900,
          1800, 3600, 7200, 10800, 21600, 43200, _DAY, 2 * _DAY, 7 * _DAY, 14 * _DAY)
_MONTHS = (1, 2, 3, 6, 12, 24, 60, 120, 240, 600)


def _label_format(step: float) -> str:
    if step < 1:
        return "%H:%M:%S.%f"
    if step < 60:
        return "%H:%M:%S"
    if step < _DAY:
        return "%H:%M"  # midnight ticks show the day instead
    if step < 28 * _DAY:
        return "%d %b"
    if step < 365 * _DAY:
        return "%b %Y"
    return "%Y"


class TimeAxis(pg.AxisItem):
    """Epoch seconds shown as local dates and times in one row of labels that never overlap:
    the step (1 ms … 50 years, calendar months and years) is the smallest whose labels,
    measured in the axis font, fit with room to spare."""

    SAMPLES = {"%H:%M:%S.%f": "00:00:00.000", "%H:%M:%S": "00:00:00", "%H:%M": "30 Sep",
               "%d %b": "30 Sep", "%b %Y": "Sep 2026", "%Y": "2026"}
    GAP = 18  # pixels between two labels

    def __init__(self, orientation: str = "bottom", **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def _width(self, text: str) -> float:
        font = self.style.get("tickFont") or QFont()
        return QFontMetrics(font).horizontalAdvance(text) + self.GAP

    def tickValues(self, minVal: float, maxVal: float, size: float) -> list:  # noqa: N802,N803 - Qt/pg API
        if not (np.isfinite(minVal) and np.isfinite(maxVal)) or maxVal <= minVal or size <= 0:
            return []
        per_pixel = (maxVal - minVal) / size
        for step in _STEPS:
            if step / per_pixel >= self._width(self.SAMPLES[_label_format(step)]):
                if step >= _DAY:
                    return [(step, _day_ticks(minVal, maxVal, int(round(step / _DAY))))]
                shift = _local_offset(minVal) if step >= 3600 else 0.0  # whole hours, locally
                first = np.ceil((minVal + shift) / step) * step - shift
                return [(step, list(np.arange(first, maxVal + step * 1e-9, step)))]
        for months in _MONTHS:
            step = months * 30.44 * _DAY
            if step / per_pixel >= self._width(self.SAMPLES[_label_format(step)]):
                return [(step, _month_ticks(minVal, maxVal, months))]
        return [(_MONTHS[-1] * 30.44 * _DAY, _month_ticks(minVal, maxVal, _MONTHS[-1]))]

    def tickStrings(self, values: list, scale: float, spacing: float) -> list[str]:  # noqa: N802 - pg API
        fmt = _label_format(spacing)
        labels = []
        for value in values:
            try:
                moment = time.localtime(float(value))
            except (OverflowError, OSError, ValueError):
                labels.append("")
                continue
            if fmt == "%H:%M" and moment.tm_hour == 0 and moment.tm_min == 0:
                labels.append(time.strftime("%d %b", moment))
            elif fmt == "%H:%M:%S.%f":
                labels.append(time.strftime("%H:%M:%S", moment) + f".{int(round(value * 1000)) % 1000:03d}")
            else:
                labels.append(time.strftime(fmt, moment))
        return labels


def _local_offset(at: float) -> float:
    """Seconds east of UTC of the local time zone at ``at`` (0 where it cannot be known)."""
    try:
        return float(time.localtime(max(float(at), 0.0)).tm_gmtoff)
    except (OverflowError, OSError, ValueError):
        return 0.0


def _day_ticks(low: float, high: float, days: int) -> list[float]:
    """Local midnights every ``days`` days (counted from the epoch's day) within [low, high];
    a change to or from summer time moves the next midnight, never the label."""
    try:
        day = datetime.date.fromtimestamp(max(low, 0.0))
    except (OverflowError, OSError, ValueError):
        return []
    day -= datetime.timedelta(days=day.toordinal() % days)
    ticks: list[float] = []
    while len(ticks) < 2000:
        try:
            at = time.mktime((day.year, day.month, day.day, 0, 0, 0, 0, 0, -1))
        except (OverflowError, ValueError):
            break
        if at > high:
            break
        if at >= low:
            ticks.append(float(at))
        day += datetime.timedelta(days=days)
    return ticks


def _month_ticks(low: float, high: float, months: int) -> list[float]:
    """Firsts of the month (every ``months`` months, counted from year 0) within [low, high]."""
    try:
        start = time.localtime(max(low, 0.0))
    except (OverflowError, OSError, ValueError):
        return []
    index = start.tm_year * 12 + start.tm_mon - 1
    index = (index // months) * months
    ticks = []
    while len(ticks) < 1000:
        year, month = divmod(index, 12)
        if year > 9999:
            break
        try:
            at = float(time.mktime((year, month + 1, 1, 0, 0, 0, 0, 0, -1)))
        except (OverflowError, ValueError):
            break
        if at > high:
            break
        if at >= low:
            ticks.append(at)
        index += months
    return ticks
