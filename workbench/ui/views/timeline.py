"""A run's steps drawn on a time line: one lane per step (retries get their own lane), a bar
from its start to its end — growing while it runs — coloured by its state, the seconds since
the run started along the bottom. Hovering a bar shows the step's times and state; clicking
it selects the step (``stepClicked``), as the step table does."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFontMetrics, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from workbench.ui.graph_editor.style import RUN_STATES

LANE = 22  # pixels per step
AXIS = 22  # room for the time axis
LIVE = ("running", "queued", "awaiting_approval")


@dataclass(frozen=True)
class Bar:
    step_id: int
    label: str
    status: str
    start_ms: int | None
    end_ms: int | None  # None while the step is live
    rect: QRectF
    cached_from: int | None = None  # the step whose result this one reused


def _begin(step: Any) -> int | None:
    """When a step began, or (reused from the cache, so never started) when it was done."""
    return step.started_at if step.started_at is not None else step.finished_at


def _nice_step(span_s: float, pixels: float) -> float:
    """A tick spacing (1, 2 or 5 × 10^k seconds) about every 80 pixels."""
    want = span_s * 80.0 / max(pixels, 1.0)
    magnitude = 10 ** int(f"{want:e}".split("e")[1])
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= want:
            return factor * magnitude
    return 10 * magnitude


def _seconds(ms: float) -> str:
    s = ms / 1000.0
    if s < 60:
        return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"
    return f"{int(s // 60)} min {int(s % 60):02d} s"


class StepTimeline(QWidget):
    stepClicked = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("step_timeline")
        self.setMouseTracking(True)
        self.setMinimumHeight(LANE + AXIS + 8)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._steps: list[Any] = []
        self._run_start: int | None = None
        self._run_end: int | None = None
        self._selected: int | None = None
        self._bars: list[Bar] = []
        self._now = lambda: int(time.time() * 1000)
        self._tick = QTimer(self, interval=500)  # live bars grow while the run is live
        self._tick.timeout.connect(self.update)

    # -- data -------------------------------------------------------------------------------
    def set_run(self, run: Any, steps: list[Any]) -> None:
        """Show ``steps`` of ``run`` (entities with ids, node ids, attempts, states, times)."""
        self._steps = sorted(steps, key=lambda s: (_begin(s) is None, _begin(s) or 0, s.id))
        starts = [_begin(s) for s in steps if _begin(s) is not None]
        self._run_start = run.started_at if run.started_at is not None else (min(starts) if starts else None)
        self._run_end = run.finished_at if run.finished else None
        live = any(s.status in LIVE for s in steps) and not run.finished
        if live and not self._tick.isActive():
            self._tick.start()
        elif not live:
            self._tick.stop()
        self.setMinimumHeight(max(1, len(self._steps)) * LANE + AXIS + 8)
        self.updateGeometry()
        self.update()

    def clear(self) -> None:
        self._steps, self._run_start, self._run_end, self._selected = [], None, None, None
        self._tick.stop()
        self.update()

    def select(self, step_id: int | None) -> None:
        self._selected = step_id
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(480, max(1, len(self._steps)) * LANE + AXIS + 8)

    # -- geometry ---------------------------------------------------------------------------
    def _label_width(self) -> int:
        metrics = QFontMetrics(self.font())
        names = [self._label(s) for s in self._steps] or [""]
        return min(max(metrics.horizontalAdvance(n) for n in names) + 12, self.width() // 3)

    @staticmethod
    def _label(step: Any) -> str:
        return step.node_id if step.attempt <= 1 else f"{step.node_id} (attempt {step.attempt})"

    def _span(self) -> tuple[int, int]:
        start = self._run_start or 0
        ends = [s.finished_at or _begin(s) or start for s in self._steps]
        live = any(s.status in LIVE for s in self._steps)
        return start, max([self._now() if live else 0, self._run_end or 0, *ends, start + 1])

    def bars(self) -> list[Bar]:
        """The bars as last laid out (also what tests and tooltips read)."""
        self._layout()
        return list(self._bars)

    def _layout(self) -> None:
        self._bars = []
        if not self._steps or self._run_start is None:
            return
        left = self._label_width()
        width = max(self.width() - left - 10, 10)
        start, end = self._span()
        scale = width / (end - start)
        now = self._now()
        for lane, step in enumerate(self._steps):
            y = 4 + lane * LANE
            if step.started_at is None:  # queued, or reused from the cache: a marker, not a bar
                at = left + ((step.finished_at or start) - start) * scale
                rect = QRectF(at, y + LANE * 0.3, 5, LANE * 0.4)
            else:
                stop = step.finished_at or (now if step.status in LIVE else step.started_at)
                x0 = left + (step.started_at - start) * scale
                x1 = left + (max(stop, step.started_at) - start) * scale
                rect = QRectF(x0, y + 3, max(x1 - x0, 3.0), LANE - 6)
            self._bars.append(Bar(step.id, self._label(step), step.status, step.started_at,
                                  step.finished_at, rect, (getattr(step, "info", None) or {}).get("cached_from")))

    # -- painting ---------------------------------------------------------------------------
    def paintEvent(self, _: Any) -> None:  # noqa: N802 - Qt override
        self._layout()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        text_color = self.palette().color(self.foregroundRole())
        if not self._bars:
            painter.setPen(text_color)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Select a run to see its steps in time")
            return
        left = self._label_width()
        start, end = self._span()
        width = max(self.width() - left - 10, 10)
        axis_y = 4 + len(self._bars) * LANE + 2
        grid = QColor(text_color)
        grid.setAlpha(50)
        step = _nice_step((end - start) / 1000.0, width) * 1000.0
        tick = 0.0
        while tick <= end - start:
            x = left + tick * width / (end - start)
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(x, 2), QPointF(x, axis_y))
            painter.setPen(text_color)
            painter.drawText(QPointF(x + 2, axis_y + 14), _seconds(tick))
            tick += step
        for bar in self._bars:
            painter.setPen(text_color)
            painter.drawText(QRectF(2, bar.rect.top() - 3, left - 6, LANE), Qt.AlignmentFlag.AlignVCenter,
                             bar.label)
            color = QColor(RUN_STATES.get(bar.status, ("#8a94a6", ""))[0])
            painter.setPen(QPen(color.darker(130), 2 if bar.step_id == self._selected else 1))
            painter.setBrush(color if bar.status not in LIVE else color.lighter(115))
            painter.drawRoundedRect(bar.rect, 3, 3)
        painter.end()

    # -- interaction ------------------------------------------------------------------------
    def bar_at(self, point: QPointF) -> Bar | None:
        for bar in self._bars:
            lane = QRectF(0, bar.rect.top() - 3, self.width(), LANE)
            if lane.contains(point):
                return bar
        return None

    def mousePressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        bar = self.bar_at(event.position())
        if bar is not None and event.button() == Qt.MouseButton.LeftButton:
            self.select(bar.step_id)
            self.stepClicked.emit(bar.step_id)

    def mouseMoveEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        bar = self.bar_at(event.position())
        if bar is None:
            QToolTip.hideText()
            return
        QToolTip.showText(event.globalPosition().toPoint(), self.describe(bar), self)

    def describe(self, bar: Bar) -> str:
        state = RUN_STATES.get(bar.status, ("", bar.status))[1] or bar.status
        if bar.cached_from is not None:
            return f"{bar.label}: {state}, reused the result of step {bar.cached_from} (cache)"
        if bar.start_ms is None:
            return f"{bar.label}: {state}, not started"
        begun = _seconds(bar.start_ms - (self._run_start or bar.start_ms))
        if bar.end_ms is None:
            return f"{bar.label}: {state} since {begun} into the run ({_seconds(self._now() - bar.start_ms)} so far)"
        return f"{bar.label}: {state}, from {begun} into the run, took {_seconds(bar.end_ms - bar.start_ms)}"
