"""The minimap: an overview of the whole graph in a corner of the canvas, with the visible
rect drawn on it; a click (or drag) centres the canvas there.

Size: at most ``MAX_FRACTION`` of the canvas's width and height (and ``MAX_SIZE``), shaped
like the graph, in the bottom-right corner; it follows the canvas's size and the graph's
extent. The editor's Minimap action (Ctrl+M) hides and shows it.

Rules: the overview is drawn with QPainter primitives (node blocks, straight edge lines) into
a pixmap at the screen's device pixel ratio, re-rendered only after the scene changed
(debounced), never while panning or zooming; it maps the nodes' bounding rect (plus a
margin). A pan or zoom only repaints the visible-rect frame over the cached pixmap. It
reads the scene's items and never touches the model.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QWidget

from workbench.ui.graph_editor.canvas_contents import CanvasContents
from workbench.ui.graph_editor.node_item import NodeItem

__all__ = ["MAX_FRACTION", "MAX_SIZE", "MappedView", "MiniMap"]

_MARGIN = 8
_AREA_MARGIN = 60.0
#: The minimap never takes more than this share of the canvas's width, nor of its height.
MAX_FRACTION = 0.2
MAX_SIZE = (220, 150)
_MIN_SIZE = (48, 32)


class MappedView(Protocol):
    """What the minimap needs of the canvas view it maps (``view.GraphView``)."""

    @property
    def graph_scene(self) -> CanvasContents: ...

    def viewport(self) -> QWidget: ...

    def visible_scene_rect(self) -> QRectF:
        """The part of the scene in sight."""
        ...

    def centre_on(self, point: QPointF) -> None:
        """Scroll the view so ``point`` is in the middle."""
        ...


class MiniMap(QWidget):
    """A small overview of ``view``'s scene, drawn in its ``parent`` (the view itself); the view
    calls ``invalidate`` when its scene changed."""

    def __init__(self, view: MappedView, parent: QWidget):
        super().__init__(parent)
        self.view = view
        self.setObjectName("graph_minimap")
        self.setFixedSize(*MAX_SIZE)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip("Overview — click to centre the canvas there")
        self._pixmap: QPixmap | None = None
        self._area = QRectF()  # the scene rect the pixmap shows
        self._target = QRectF()  # where that rect lies in the widget
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._on_timeout)

    def place(self) -> None:
        """Size (see the module rules) and move to the canvas's bottom-right corner."""
        port = self.view.viewport().geometry()
        box_w = min(MAX_SIZE[0], port.width() * MAX_FRACTION)
        box_h = min(MAX_SIZE[1], port.height() * MAX_FRACTION)
        area = self._graph_area()
        aspect = area.width() / max(area.height(), 1.0)
        width, height = box_w, box_w / aspect
        if height > box_h:
            width, height = box_h * aspect, box_h
        size = (
            max(_MIN_SIZE[0], min(int(box_w), round(width))),
            max(_MIN_SIZE[1], min(int(box_h), round(height))),
        )
        if size != (self.width(), self.height()):
            self.setFixedSize(*size)
            self._pixmap = None
        self.move(port.right() - self.width() - _MARGIN, port.bottom() - self.height() - _MARGIN)

    def _graph_area(self) -> QRectF:
        content = self.view.graph_scene.content_rect()
        area = content if not content.isNull() else self.view.visible_scene_rect()
        return area.adjusted(-_AREA_MARGIN, -_AREA_MARGIN, _AREA_MARGIN, _AREA_MARGIN)

    def invalidate(self, *_: object) -> None:
        """The scene changed: re-render the overview soon."""
        self._timer.start()

    def _on_timeout(self) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Re-render the overview at the next paint (the palette or the scene changed)."""
        self._timer.stop()
        self._pixmap = None
        self.place()
        self.update()

    # -- mapping -------------------------------------------------------------------------------

    def _render(self) -> None:
        scene = self.view.graph_scene
        area = self._graph_area()
        inner = QRectF(self.rect()).adjusted(4.0, 4.0, -4.0, -4.0)
        scale = min(
            inner.width() / max(area.width(), 1.0), inner.height() / max(area.height(), 1.0)
        )
        width, height = area.width() * scale, area.height() * scale
        self._area = area
        self._target = QRectF(
            inner.x() + (inner.width() - width) / 2,
            inner.y() + (inner.height() - height) / 2,
            width,
            height,
        )
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(round(self.width() * ratio), round(self.height() * ratio))
        pixmap.setDevicePixelRatio(ratio)
        colors = scene.colors
        background = QColor(colors.background)
        pixmap.fill(background.darker(108) if not colors.dark else background.lighter(125))
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(colors.node_border, 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))
        edge_pen = QPen(colors.muted_text, 0.8)
        painter.setPen(edge_pen)
        lines = [
            (
                self.to_widget(e.path().pointAtPercent(0.0)),
                self.to_widget(e.path().pointAtPercent(1.0)),
            )
            for e in scene.edge_items.values()
        ]
        for a, b in lines:
            painter.drawLine(a, b)
        painter.setPen(Qt.PenStyle.NoPen)
        for item in scene.node_items.values():
            painter.setBrush(self._node_color(item))
            painter.drawRect(self._map_rect(item.sceneBoundingRect()))
        painter.setBrush(QColor("#e8d98a"))
        for note in scene.note_items.values():
            painter.drawRect(self._map_rect(note.sceneBoundingRect()))
        painter.end()
        self._pixmap = pixmap

    def _node_color(self, item: NodeItem) -> QColor:
        colors = self.view.graph_scene.colors
        if item.run_status:
            return colors.state(item.run_status)
        if item.isSelected():
            return colors.highlight
        return colors.header(item.kind.category if item.kind is not None else "")

    def _map_rect(self, rect: QRectF) -> QRectF:
        a, b = self.to_widget(rect.topLeft()), self.to_widget(rect.bottomRight())
        return QRectF(a, b).normalized().adjusted(0.0, 0.0, 0.5, 0.5)

    def to_widget(self, point: QPointF) -> QPointF:
        sx = self._target.width() / max(self._area.width(), 1e-9)
        sy = self._target.height() / max(self._area.height(), 1e-9)
        return QPointF(
            self._target.x() + (point.x() - self._area.x()) * sx,
            self._target.y() + (point.y() - self._area.y()) * sy,
        )

    def to_scene(self, point: QPointF) -> QPointF:
        sx = self._area.width() / max(self._target.width(), 1e-9)
        sy = self._area.height() / max(self._target.height(), 1e-9)
        return QPointF(
            self._area.x() + (point.x() - self._target.x()) * sx,
            self._area.y() + (point.y() - self._target.y()) * sy,
        )

    # -- Qt overrides --------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        visible = self.view.visible_scene_rect()
        if self._pixmap is None:
            self._render()
        painter = QPainter(self)
        assert self._pixmap is not None
        painter.drawPixmap(0, 0, self._pixmap)
        frame = self._map_rect(visible).intersected(QRectF(self.rect()).adjusted(1, 1, -1, -1))
        highlight = QColor(self.view.graph_scene.colors.highlight)
        painter.setPen(QPen(highlight, 1.5))
        highlight.setAlpha(40)
        painter.setBrush(highlight)
        painter.drawRect(frame)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.view.centre_on(self.to_scene(event.position()))
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.view.centre_on(self.to_scene(event.position()))
            event.accept()
            return
        super().mouseMoveEvent(event)
