"""The far-out drawing of the canvas: every node and edge in a few batched draw calls.

Rules: when the view is zoomed out below ``OVERVIEW_ZOOM`` the node and edge items keep
existing (selection, rubber band, dragging and hit tests work as always) but stop painting
(``ItemHasNoContents``); this one item draws them instead: node blocks in their category's
colour batched by colour, state and selection rings, edges as one path (or, very far out, one
batch of straight lines) per port type, and each exposed node's title in screen pixels as a
compact node draws it (``title_text``: shortened with "…", never smaller than
``TITLE_MIN_PX``; left out only where not even one letter fits). Batches are rebuilt lazily,
only when something changed since the last paint and only while shown, so a pan or zoom
frame over 500 nodes and 700 edges is a few draw calls plus one text call per readable
title instead of 1,200 Python paint calls. ``painted_titles`` is what the last paint drew.
It reads the items; it never touches the model.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from workbench.ui.graph_editor import style
from workbench.ui.graph_editor.canvas_contents import CanvasContents
from workbench.ui.graph_editor.style import NODE_WIDTH
from workbench.ui.graph_editor.title_text import DrawnTitle, draw_title, layout_title

__all__ = ["OVERVIEW_ZOOM", "OverviewItem"]

#: Below this zoom the overview draws the graph (nodes look as a compact node does).
OVERVIEW_ZOOM = 0.3
_WHITE = QColor("#ffffff")


class OverviewItem(QGraphicsItem):
    """Draws the whole graph cheaply for far-out zoom levels."""

    def __init__(self, scene: CanvasContents):
        super().__init__()
        self._scene = scene
        self._dirty = True
        self._bounds: QRectF | None = None
        self._blocks: dict[str, list[QRectF]] = {}  # colour name -> node rects
        self._rings: dict[str, list[QRectF]] = {}  # run-state colour name -> node rects
        self._selected: list[QRectF] = []
        self._titles: list[tuple[str, QRectF, str]] = []  # node id, rect, title
        self.painted_titles: dict[str, DrawnTitle] = {}
        self._curves: dict[tuple[str, bool], QPainterPath] = {}
        self._lines: dict[tuple[str, bool], list[QLineF]] = {}
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
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
        self._blocks, self._rings, self._selected, self._titles = {}, {}, [], []
        for item in scene.node_items.values():
            pos = item.pos()
            body = QRectF(pos.x(), pos.y(), NODE_WIDTH, item.height)
            category = item.kind.category if item.kind is not None else ""
            color = colors.header(category) if item.kind is not None else QColor("#7a7a7a")
            self._blocks.setdefault(color.name(), []).append(body)
            if item.run_status:
                state = colors.state(item.run_status).name()
                self._rings.setdefault(state, []).append(body)
            if item.isSelected():
                self._selected.append(body)
            self._titles.append((item.node_id, body, item.node.title or item.node_id))
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
        for color, rects in self._blocks.items():
            painter.setBrush(QColor(color))
            painter.drawRects(rects)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        for color, rects in (*self._rings.items(), (colors.highlight.name(), self._selected)):
            if rects:
                pen = QPen(QColor(color), 3.0 if rects is not self._selected else 2.0)
                pen.setCosmetic(True)
                painter.setPen(pen)
                painter.drawRects(rects)
        self._paint_titles(painter, option.exposedRect, lod)

    def _paint_titles(self, painter: QPainter, exposed: QRectF, lod: float) -> None:
        """Each exposed node's title in screen pixels, where one letter and "…" fit."""
        if not layout_title("Mm", NODE_WIDTH * lod - 4.0, 100.0):  # too far out for any letter
            self.painted_titles = {}
            return
        drawn: dict[str, DrawnTitle] = {}
        for node_id, rect, title in self._titles:
            if rect.intersects(exposed):
                found = draw_title(painter, rect, title, _WHITE)
                if found is not None:
                    drawn[node_id] = found
        self.painted_titles = drawn
