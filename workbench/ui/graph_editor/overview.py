"""The far-out drawing of the canvas: every node and edge in a few batched draw calls.

Rules: when the view is zoomed out below ``OVERVIEW_ZOOM`` the node and edge items keep
existing (selection, rubber band, dragging and hit tests work as always) but stop painting
(``ItemHasNoContents``); this one item draws them instead: node blocks batched by colour and
edges as one path (or, very far out, one batch of straight lines) per port type. Batches are
rebuilt lazily, only when something changed since the last paint and only while shown, so a
pan or zoom frame over 500 nodes and 700 edges is a handful of draw calls instead of 1,200
Python paint calls. It reads the items; it never touches the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from workbench.ui.graph_editor import style
from workbench.ui.graph_editor.style import HEADER_HEIGHT, LOD_SIMPLE, NODE_WIDTH

if TYPE_CHECKING:  # pragma: no cover
    from workbench.ui.graph_editor.scene import GraphScene

__all__ = ["OVERVIEW_ZOOM", "OverviewItem"]

#: Below this zoom the overview draws the graph (the same level as a node's simple drawing).
OVERVIEW_ZOOM = LOD_SIMPLE


class OverviewItem(QGraphicsItem):
    """Draws the whole graph cheaply for far-out zoom levels."""

    def __init__(self, scene: GraphScene):
        super().__init__()
        self._scene = scene
        self._dirty = True
        self._bounds: QRectF | None = None
        self._bodies: list[QRectF] = []
        self._blocks: dict[str, list[QRectF]] = {}  # colour name -> header/state rects
        self._selected: list[QRectF] = []
        self._curves: dict[tuple[str, bool], QPainterPath] = {}
        self._lines: dict[tuple[str, bool], list[QLineF]] = {}
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(0.5)
        self.setVisible(False)

    def invalidate(self) -> None:
        """Something changed: rebuild the batches at the next paint."""
        if not self._dirty or self._bounds is not None:
            self.prepareGeometryChange()
        self._dirty = True
        self._bounds = None
        if self.isVisible():
            self.update()

    def boundingRect(self) -> QRectF:
        if self._bounds is None:
            self._bounds = self._scene.content_rect().adjusted(-8.0, -8.0, 8.0, 8.0)
        return self._bounds

    def _rebuild(self) -> None:
        scene = self._scene
        colors = scene.colors
        self._bodies, self._blocks, self._selected = [], {}, []
        for item in scene.node_items.values():
            pos = item.pos()
            body = QRectF(pos.x(), pos.y(), NODE_WIDTH, item.height)
            self._bodies.append(body)
            header = QRectF(pos.x(), pos.y(), NODE_WIDTH, HEADER_HEIGHT)
            category = item.kind.category if item.kind is not None else ""
            color = colors.header(category) if item.kind is not None else QColor("#7a7a7a")
            self._blocks.setdefault(color.name(), []).append(header)
            if item.run_status:
                state = colors.state(item.run_status).name()
                rest = QRectF(
                    pos.x(), pos.y() + HEADER_HEIGHT, NODE_WIDTH, item.height - HEADER_HEIGHT
                )
                self._blocks.setdefault(state, []).append(rest)
            if item.isSelected():
                self._selected.append(body)
        self._curves, self._lines = {}, {}
        for edge in scene.edge_items.values():
            key = (style.port_color(edge.port_type).name(), edge.is_signal)
            self._curves.setdefault(key, QPainterPath()).addPath(edge.path())
            self._lines.setdefault(key, []).append(edge.line)
        self._dirty = False

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        if self._dirty:
            self._rebuild()
        colors = self._scene.colors
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        straight = lod < OVERVIEW_ZOOM / 2
        for (color, dashed), lines in self._lines.items():
            pen = QPen(
                QColor(color), 1.0, Qt.PenStyle.DashLine if dashed else Qt.PenStyle.SolidLine
            )
            pen.setCosmetic(True)
            painter.setPen(pen)
            if straight:
                painter.drawLines(lines)
            else:
                painter.drawPath(self._curves[(color, dashed)])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colors.node_body)
        painter.drawRects(self._bodies)
        for color, rects in self._blocks.items():
            painter.setBrush(QColor(color))
            painter.drawRects(rects)
        if self._selected:
            pen = QPen(colors.highlight, 2.0)
            pen.setCosmetic(True)
            painter.setPen(pen)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRects(self._selected)
