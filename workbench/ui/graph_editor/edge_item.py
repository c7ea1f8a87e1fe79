"""Edge items of the canvas: the drawn connection and the one being dragged from a port.

Rules: an ``EdgeItem`` is a ``QGraphicsPathItem`` showing one frozen ``Edge``; its path is
rebuilt only by ``update_path``, which the two end nodes call when they move, never while
painting. Its hit shape (a wide stroke, easy to click) and bounds are computed once per path
change. Colour follows the source port's type; signal (feedback) edges are dashed. The drawn
outline is stroked once per path change and filled per frame (a third of a stroke's cost);
far out (low level of detail) edges are thin, not antialiased, and straight. The
``DragEdgeItem`` is the rubber line of a connection drag; it knows nothing about the model.
"""

from __future__ import annotations

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPainterPathStroker, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem, QWidget

from workbench.graph import Edge
from workbench.ui.graph_editor import style
from workbench.ui.graph_editor.node_item import NodeItem

__all__ = ["DragEdgeItem", "EdgeItem", "back_edge_lane", "edge_path", "lane_above"]


BACK_EDGE_LANE = 70.0  # how far above the higher end a back edge runs, clear of the nodes' tops
LONG_BACK_EDGE = 150.0  # a back edge shorter than this keeps the (wider) S-curve


def is_long_back_edge(start: QPointF, end: QPointF) -> bool:
    """Whether the edge's input lies far enough left of its output to run it along a lane."""
    return end.x() < start.x() - LONG_BACK_EDGE


def edge_path(start: QPointF, end: QPointF, lane: float | None = None) -> QPainterPath:
    """A horizontal S-curve from an output (``start``) to an input (``end``). A long back edge
    (a feedback signal whose input lies far left of its output) leaves to the right, runs back
    along a lane above both ends (``lane``, a scene y; by default ``BACK_EDGE_LANE`` above the
    higher end) and enters its input from the left, so it does not cut through the nodes in
    between as an S-curve turned on itself would."""
    path = QPainterPath(start)
    if is_long_back_edge(start, end):
        lane = min(start.y(), end.y()) - BACK_EDGE_LANE if lane is None else lane
        bend = 60.0
        path.cubicTo(QPointF(start.x() + bend, start.y()), QPointF(start.x() + bend, lane),
                     QPointF(start.x(), lane))
        path.lineTo(QPointF(end.x(), lane))
        path.cubicTo(QPointF(end.x() - bend, lane), QPointF(end.x() - bend, end.y()), end)
        return path
    dx = max(40.0, abs(end.x() - start.x()) * 0.5)
    if end.x() < start.x():  # a short back edge: swing wider
        dx = max(dx, 80.0 + abs(end.y() - start.y()) * 0.15)
    path.cubicTo(QPointF(start.x() + dx, start.y()), QPointF(end.x() - dx, end.y()), end)
    return path


def _clear(nodes: list[QRectF], left: float, right: float, y: float, margin: float) -> bool:
    return not any(r.right() >= left and r.left() <= right and r.top() - margin <= y <= r.bottom() + margin
                   for r in nodes)


def lane_above(nodes: list[QRectF], start: QPointF, end: QPointF) -> float:
    """The y of a lane above ``start`` and ``end`` that clears every node rectangle (scene
    coordinates) lying across the edge's span between them."""
    lane = min(start.y(), end.y()) - BACK_EDGE_LANE
    left, right, low = end.x(), start.x(), max(start.y(), end.y())
    for rect in sorted(nodes, key=lambda r: -r.top()):  # lowest first: each may push the lane higher
        if rect.right() >= left and rect.left() <= right and rect.top() <= low and rect.bottom() >= lane - 12.0:
            lane = min(lane, rect.top() - 24.0)
    return lane


def back_edge_lane(nodes: list[QRectF], source: QRectF, target: QRectF, start: QPointF, end: QPointF) -> float:
    """Where a long back edge runs: through the gap between its two nodes when one sits above
    the other, the hop is short and nothing lies in that gap; else above everything between."""
    upper, lower = (source, target) if source.center().y() < target.center().y() else (target, source)
    gap = (upper.bottom() + lower.top()) / 2
    if lower.top() - upper.bottom() >= 20.0 and start.x() - end.x() < 400.0 \
            and _clear(nodes, end.x() - 60.0, start.x() + 60.0, gap, 6.0):
        return gap
    return lane_above(nodes, start, end)


def _stroke(path: QPainterPath, width: float, dashed: bool) -> QPainterPath:
    """The outline of ``path`` drawn with a pen of ``width``: filling it looks like stroking
    but costs a third, because the stroker runs once per path change, not once per frame."""
    stroker = QPainterPathStroker()
    stroker.setWidth(width)
    stroker.setCapStyle(Qt.PenCapStyle.RoundCap)
    if dashed:
        stroker.setDashPattern(Qt.PenStyle.DashLine)
    return stroker.createStroke(path)


class EdgeItem(QGraphicsPathItem):
    """One edge of the graph."""

    Type = QGraphicsItem.UserType + 2

    def __init__(
        self, edge: Edge, src_item: NodeItem, dst_item: NodeItem, port_type: str, is_signal: bool
    ):
        super().__init__()
        self.edge = edge
        self.src_item = src_item
        self.dst_item = dst_item
        self.port_type = port_type
        self.is_signal = is_signal
        color = style.port_color(port_type)
        dash = Qt.PenStyle.DashLine if is_signal else Qt.PenStyle.SolidLine
        self._brush = QBrush(color)
        self._thin_pen = QPen(color, 1.0, dash)
        self._thin_pen.setCosmetic(True)
        self._curve = QPainterPath()
        self._outline = QPainterPath()
        self.line = QLineF()
        self._shape = QPainterPath()
        self._bounds = QRectF()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable, True)
        self.setZValue(0.0)
        kind = f"{port_type}, feedback" if is_signal else port_type
        self.setToolTip(f"{edge.source} → {edge.target} ({kind})")
        src_item.edges.add(self)
        dst_item.edges.add(self)
        self.update_path()

    def type(self) -> int:
        return EdgeItem.Type

    def detach(self) -> None:
        """Forget the end nodes (the edge left the graph)."""
        self.src_item.edges.discard(self)
        self.dst_item.edges.discard(self)
        self.src_item.update()
        self.dst_item.update()

    def update_path(self) -> None:
        """Re-route between the two ports; called when an end node moves."""
        start = self.src_item.port_scene_pos(self.edge.src_port, True)
        end = self.dst_item.port_scene_pos(self.edge.dst_port, False)
        lane = None
        scene = self.src_item.scene()
        if scene is not None and is_long_back_edge(start, end):
            span = QRectF(QPointF(end.x() - 60.0, -1e9), QPointF(start.x() + 60.0, max(start.y(), end.y()) + 1e3))
            nodes = [item.sceneBoundingRect() for item in scene.items(span) if isinstance(item, NodeItem)]
            lane = back_edge_lane(nodes, self.src_item.sceneBoundingRect(), self.dst_item.sceneBoundingRect(),
                                  start, end)
        path = edge_path(start, end, lane)
        self.prepareGeometryChange()
        self._curve = path
        self.line = QLineF(start, end)
        self._outline = _stroke(path, 2.2, self.is_signal)
        self._shape = _stroke(path, 10.0, False)
        self._bounds = path.boundingRect().adjusted(-6.0, -6.0, 6.0, 6.0)
        self.setPath(path)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        # the view does not save the painter's state per item: set everything used here
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if lod < style.LOD_SIMPLE:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
            painter.setPen(self._thin_pen)
            if lod < style.LOD_SIMPLE / 2:
                painter.drawLine(self.line)
            else:
                painter.drawPath(self._curve)
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if self.isSelected():
            glow = QColor(style.colors_of(self).highlight)
            glow.setAlpha(120)
            painter.setPen(QPen(glow, 7.0, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            painter.drawPath(self._curve)
        painter.setPen(Qt.PenStyle.NoPen)  # the outline was stroked once, when the path changed
        painter.setBrush(self._brush)
        painter.drawPath(self._outline)


class DragEdgeItem(QGraphicsPathItem):
    """The line that follows the mouse while a connection is dragged out of a port."""

    def __init__(self, start: QPointF, port_type: str):
        super().__init__()
        self.start = start
        self.snapped: QPointF | None = None
        self._color = style.port_color(port_type)
        self.is_signal = port_type == "signal"
        self.setZValue(10.0)
        self.set_end(start)

    def set_end(self, end: QPointF, snapped: QPointF | None = None) -> None:
        self.snapped = snapped
        self.setPath(edge_path(self.start, snapped or end))

    def boundingRect(self) -> QRectF:
        return super().boundingRect().adjusted(-12.0, -12.0, 12.0, 12.0)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(
            self._color, 2.4, Qt.PenStyle.DashLine if self.is_signal else Qt.PenStyle.SolidLine
        )
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if self.snapped is not None:
            painter.setPen(QPen(self._color, 2.0))
            painter.drawEllipse(self.snapped, style.PORT_RADIUS + 4.0, style.PORT_RADIUS + 4.0)
