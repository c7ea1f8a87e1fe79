"""A plot that is never silently empty: :class:`PlotFrame` holds one pyqtgraph plot and, in
its place when there is nothing to draw, a plain message saying why and what would produce
the data.

API: ``frame.plot`` (the ``pg.PlotWidget``); ``set_title(text)`` (shortened with "…" to
the plot's width — a pyqtgraph title never shrinks and would push the plot out of its
widget — the full text in the tooltip); ``show_plot()``; ``show_message(text)``;
``show_data_or(text)`` (the plot when it has data, else ``text``); ``has_data()`` (True when
at least one data item — curve, scatter, bars, error bars, image — holds a finite value;
threshold lines and bands are decorations, not data); ``message()`` (the visible message,
``''`` while the plot is shown).

:class:`NoteLabel` is a word-wrapped label for notes under plots: it takes the height its
text needs at its width, but does not hand its layout a height-for-width — a scroll area
around a view would otherwise size the view to its preferred height and scroll.

Rules: a view wraps every plot it shows in a frame and, whenever it draws, either shows data
or says why there is none — also while it is still reading ("Reading …"). The frame asks
little room (``MIN_WIDTH`` × ``min_height``) so views fit a 1366×768 screen.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QStackedLayout, QVBoxLayout, QWidget

MIN_WIDTH = 160


class NoteLabel(QLabel):
    """Word-wrapped text that grows to the lines it needs, without height-for-width."""

    def __init__(self, text: str = "", parent: QWidget | None = None):
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt override
        return False

    def setText(self, text: str) -> None:  # noqa: N802 - Qt override
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        height = self.heightForWidth(max(self.width(), MIN_WIDTH)) if self.text() else 0
        if height != self.minimumHeight():
            self.setMinimumHeight(height)


class PlotFrame(QWidget):
    """One plot and its empty-state message, stacked; exactly one of them is shown."""

    def __init__(self, plot: pg.PlotWidget | None = None, parent: QWidget | None = None, *,
                 min_height: int = 120):
        super().__init__(parent)
        self.setObjectName("plot_frame")
        self.plot = plot if plot is not None else pg.PlotWidget()
        self.plot.setMinimumSize(MIN_WIDTH, min_height)
        self.plot.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._title = NoteLabel("", self)
        self._title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._title.setStyleSheet("font-weight: bold")
        self._text = NoteLabel("", self)
        self._text.setObjectName("plot_message")
        self._text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        page = QWidget(self)
        page.setMinimumSize(MIN_WIDTH, min_height)
        box = QVBoxLayout(page)
        box.addStretch(1)
        box.addWidget(self._title)
        box.addWidget(self._text)
        box.addStretch(1)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.plot)
        self._stack.addWidget(page)
        self._page = page
        self._title_text = _plain(self.plot.getPlotItem().titleLabel.text)

    def set_title(self, text: str) -> None:
        self._title_text = text
        self.plot.setToolTip(text)
        self._fit_title()

    def _fit_title(self) -> None:
        text = self._title_text
        if not text:
            return
        label = self.plot.getPlotItem().titleLabel
        room = max(self.width() - 40, 60)  # the plot fills the frame (its own size may lag behind)
        label.setText(text)
        if label.item.boundingRect().width() > room:
            low, high = 1, len(text)  # the longest prefix that fits with "…"
            while low < high:
                middle = (low + high + 1) // 2
                label.setText(text[:middle].rstrip() + "…")
                low, high = (middle, high) if label.item.boundingRect().width() <= room else (low, middle - 1)
            label.setText(text[:low].rstrip() + "…")

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_title()

    # -- state ----------------------------------------------------------------------------
    def show_plot(self) -> None:
        self._stack.setCurrentWidget(self.plot)

    def show_message(self, text: str) -> None:
        """Show ``text`` (why there is no data, and what would produce it) instead of the plot."""
        self._title.setText(self._title_text or _plain(self.plot.getPlotItem().titleLabel.text))
        self._title.setVisible(bool(self._title.text()))
        self._text.setText(text)
        self._stack.setCurrentWidget(self._page)

    def show_data_or(self, text: str) -> bool:
        """The plot when it has data, else ``text``; returns whether the plot is shown."""
        if self.has_data():
            self.show_plot()
            return True
        self.show_message(text)
        return False

    def message(self) -> str:
        return self._text.text() if self._stack.currentWidget() is self._page else ""

    def has_data(self) -> bool:
        return any(_holds_data(item) for item in self.plot.getPlotItem().items)


def _holds_data(item: Any) -> bool:
    if isinstance(item, pg.PlotDataItem):
        return _finite(item.yData)
    if isinstance(item, pg.ScatterPlotItem):
        return item.data is not None and len(item.data) > 0
    if isinstance(item, pg.BarGraphItem):  # bars: every per-bar array non-empty, some value finite
        arrays = [item.opts.get(k) for k in ("x", "y", "x0", "y0", "x1", "y1", "height", "width")]
        arrays = [a for a in arrays if a is not None and np.ndim(a) > 0]
        return bool(arrays) and all(np.size(a) > 0 for a in arrays) and all(_finite(a) for a in arrays)
    if isinstance(item, pg.ErrorBarItem):
        return _finite(item.opts.get("y"))
    if isinstance(item, pg.ImageItem):
        return item.image is not None and _finite(item.image)
    return False


def _finite(values: Any) -> bool:
    if values is None:
        return False
    array = np.asarray(values, dtype=float)
    return array.size > 0 and bool(np.isfinite(array).any())


def _plain(html: str) -> str:
    import re

    return re.sub(r"<[^>]+>", "", html or "").strip()
