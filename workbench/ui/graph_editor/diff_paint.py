"""The difference between two versions of a graph, painted on the canvas.

Rules: painting never touches the graph or its undo stack; it only adds marks to the scene
(and a note to a node's tooltip), and ``clear`` takes every one of them away again.

* added nodes: outlined green; changed nodes (kind, title, target or parameters): outlined
  amber, the changed parameters (old → new) in the node's tooltip;
* removed nodes: a ghost (red, dashed, half transparent) at the old position;
* moved nodes: a dashed grey outline where the node was, with a line to where it is;
* edges: added ones drawn over in green, removed ones as red dashed curves.

A mark stands on the node item of the same id when the canvas has one, else at the position
the compared version gives. Each mark is a ``DiffMark`` with its ``change`` and ``node_id``,
so what is painted can be read back without looking at pixels.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QGraphicsScene, QWidget

from workbench.graph.diff import GraphDiff, NodeChange
from workbench.ui.graph_editor.edge_item import edge_path
from workbench.ui.graph_editor.style import (
    BODY_PADDING,
    CORNER,
    HEADER_HEIGHT,
    NODE_WIDTH,
    ROW_HEIGHT,
)

__all__ = ["CHANGE_COLORS", "DiffMark", "DiffPainter", "EdgeMark"]

CHANGE_COLORS = {
    "added": QColor("#2e9d4a"),
    "removed": QColor("#d32f2f"),
    "changed": QColor("#f0a000"),
    "moved": QColor("#7a7a7a"),
}
_Z = 3.0  # above nodes (1) and edges (0)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _shown(value: Any) -> str:
    return "(unset)" if value is None else repr(value)


def change_note(change: NodeChange) -> str:
    """What changed on a node, as tooltip lines (rich text)."""
    if change.change in ("added", "removed"):
        return f"<b>{change.change}</b> in the newer version"
    lines = ["<b>changed</b> in the newer version:"]
    for name, (old, new) in change.fields.items():
        if name == "position":
            lines.append("moved")
        else:
            lines.append(f"{_esc(name)}: {_esc(_shown(old))} → {_esc(_shown(new))}")
    for name, (old, new) in change.params.items():
        lines.append(f"{_esc(name)}: {_esc(_shown(old))} → {_esc(_shown(new))}")
    return "<br>".join(lines)


class DiffMark(QGraphicsItem):
    """An outline around a node's body (``added``, ``changed``, ``moved`` old place) or a ghost
    of a removed node. It takes no mouse buttons, so the node under it is still edited."""

    def __init__(self, node_id: str, change: str, rect: QRectF, label: str = "", tip: str = ""):
        super().__init__()
        self.node_id, self.change, self.label = node_id, change, label
        self._rect = rect
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(_Z if change != "removed" else 0.5)
        if tip:
            self.setToolTip(tip)

    @property
    def color(self) -> QColor:
        return CHANGE_COLORS["removed" if self.change == "removed" else self.change]

    @property
    def dashed(self) -> bool:
        return self.change in ("removed", "moved")

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return self._rect.adjusted(-4, -4, 4, 4)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        if self.change == "removed":  # a ghost shows its tooltip anywhere on it
            path.addRect(self._rect)
        return path

    def paint(self, painter: QPainter, option: Any, widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        pen = QPen(self.color, 4.0 if not self.dashed else 2.5)
        if self.dashed:
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        if self.change == "removed":
            fill = QColor(self.color)
            fill.setAlpha(55)
            painter.setBrush(QBrush(fill))
        else:
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(self._rect, CORNER + 2, CORNER + 2)
        if self.label:
            font = QFont()
            font.setPixelSize(22 if self.change == "removed" else 20)
            font.setBold(self.change == "removed")
            painter.setFont(font)
            painter.setPen(self.color.darker(130) if self.change != "moved" else self.color)
            painter.drawText(self._rect.adjusted(10, 6, -10, -6),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                                 | Qt.TextFlag.TextWordWrap), self.label)


class EdgeMark(QGraphicsPathItem):
    """An added edge drawn over in green, or a removed one as a red dashed curve."""

    def __init__(self, edge: str, change: str, path: QPainterPath):
        super().__init__(path)
        self.edge, self.change = edge, change
        pen = QPen(CHANGE_COLORS[change], 4.0 if change == "added" else 2.5)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        if change == "removed":
            pen.setStyle(Qt.PenStyle.DashLine)
        self.setPen(pen)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setZValue(0.4)
        self.setToolTip(f"{change} edge {edge}")


def _nodes(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {str(n["id"]): n for n in data.get("nodes") or ()}


class DiffPainter:
    """Paints one ``GraphDiff`` on a ``GraphScene``; see the module rules."""

    def __init__(self, scene: QGraphicsScene):
        self.scene = scene
        self.marks: dict[str, DiffMark] = {}  # node id → its mark (moved: the old place)
        self.edge_marks: dict[str, EdgeMark] = {}  # "a.out → b.in" → its mark
        self._extra: list[QGraphicsItem] = []
        self._noted: list[Any] = []
        self.diff: GraphDiff | None = None

    @property
    def active(self) -> bool:
        return self.diff is not None

    def clear(self) -> None:
        for item in [*self.marks.values(), *self.edge_marks.values(), *self._extra]:
            if item.scene() is self.scene:
                self.scene.removeItem(item)
        for node_item in self._noted:
            set_note = getattr(node_item, "set_diff_note", None)
            if set_note is not None:
                set_note("")
        self.marks, self.edge_marks, self._extra, self._noted = {}, {}, [], []
        self.diff = None

    def paint(self, change_set: GraphDiff, old: dict[str, Any], new: dict[str, Any]) -> None:
        """Paint what changed from ``old`` to ``new`` (plain data of the two versions)."""
        self.clear()
        self.diff = change_set
        before, after = _nodes(old), _nodes(new)
        items = getattr(self.scene, "node_items", {})
        for change in change_set.nodes:
            data = after.get(change.node_id) or before.get(change.node_id) or {}
            item = items.get(change.node_id)
            if change.change == "removed":
                rect = self._rect_at(before.get(change.node_id, {}))
                title = str(data.get("title") or change.node_id)
                self._add(change.node_id, DiffMark(change.node_id, "removed", rect,
                                                   f"removed:\n{title}",
                                                   change_note(change)))
                continue
            rect = item.mapRectToScene(item.body_rect()) if item is not None else self._rect_at(data)
            rect = rect.adjusted(-5, -5, 5, 5)
            if "position" in change.fields:
                old_rect = self._rect_at(before.get(change.node_id, {})).adjusted(-2, -2, 2, 2)
                ghost = DiffMark(change.node_id, "moved", old_rect, "was here", f"{change.node_id} was here")
                self.scene.addItem(ghost)
                self._extra.append(ghost)
                line = QGraphicsPathItem()
                path = QPainterPath(old_rect.center())
                path.lineTo(rect.center())
                line.setPath(path)
                pen = QPen(CHANGE_COLORS["moved"], 1.5, Qt.PenStyle.DotLine)
                line.setPen(pen)
                line.setZValue(0.3)
                self.scene.addItem(line)
                self._extra.append(line)
                if change.change == "moved":
                    self.marks[change.node_id] = ghost
                    continue
            self._add(change.node_id, DiffMark(change.node_id, change.change, rect, "",
                                               change_note(change)))
            if item is not None and hasattr(item, "set_diff_note"):
                item.set_diff_note(change_note(change))
                self._noted.append(item)
        for edge in change_set.edges_added:
            curve = self._edge_path(edge, new, items)
            if curve is not None:
                self._add_edge(edge, EdgeMark(edge, "added", curve))
        for edge in change_set.edges_removed:
            curve = self._edge_path(edge, old, items, prefer_data=True)
            if curve is not None:
                self._add_edge(edge, EdgeMark(edge, "removed", curve))

    def painted_rect(self) -> QRectF:
        """The scene rectangle around every mark (empty when nothing is painted)."""
        box = QRectF()
        for item in [*self.marks.values(), *self._extra]:
            box = box.united(item.sceneBoundingRect())
        return box

    def _add(self, node_id: str, mark: DiffMark) -> None:
        self.scene.addItem(mark)
        self.marks[node_id] = mark

    def _add_edge(self, edge: str, mark: EdgeMark) -> None:
        self.scene.addItem(mark)
        self.edge_marks[edge] = mark

    def _rect_at(self, data: dict[str, Any]) -> QRectF:
        x, y = (list(data.get("position") or (0.0, 0.0)) + [0.0, 0.0])[:2]
        return QRectF(float(x), float(y), NODE_WIDTH, self._height(data))

    def _height(self, data: dict[str, Any]) -> float:
        catalog = getattr(getattr(self.scene, "graph", None), "catalog", None)
        kind = catalog.find(str(data.get("kind", ""))) if catalog is not None else None
        rows = max(len(kind.inputs), len(kind.outputs), 1) if kind is not None else 1
        return HEADER_HEIGHT + 2 * BODY_PADDING + rows * ROW_HEIGHT + 4.0

    def _edge_path(self, edge: str, data: dict[str, Any], items: dict[str, Any],
                   prefer_data: bool = False) -> QPainterPath | None:
        try:
            source, target = edge.split(" → ")
            src_node, src_port = source.split(".", 1)
            dst_node, dst_port = target.split(".", 1)
        except ValueError:
            return None
        nodes = _nodes(data)

        def end(node_id: str, port: str, output: bool) -> QPointF | None:
            item = items.get(node_id)
            if item is not None and (not prefer_data or node_id not in self.marks
                                     or self.marks[node_id].change != "removed"):
                if item.port(port, output) is not None:
                    return item.port_scene_pos(port, output)
                return item.mapToScene(QPointF(NODE_WIDTH if output else 0.0, HEADER_HEIGHT / 2))
            if node_id not in nodes:
                return None
            rect = self._rect_at(nodes[node_id])
            return QPointF(rect.right() if output else rect.left(), rect.top() + HEADER_HEIGHT + 14)

        start, stop = end(src_node, src_port, True), end(dst_node, dst_port, False)
        if start is None or stop is None:
            return None
        return edge_path(start, stop)
