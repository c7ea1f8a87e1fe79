"""A connection being dragged out of a port: where it snaps, and what it asks for on release.

Rules: the drag only draws a rubber line (``DragEdgeItem``) and, on release, asks the
``GraphController`` for one edit: connect, reconnect (an edge lifted off an input and dropped
on another port, as one step) or disconnect (a lifted edge dropped on empty canvas). It
snaps to the nearest compatible port within ``SNAP_RADIUS``; right over a port (within the hit
radius) that port wins even if its type does not fit, so the model decides and its reason
(types, cycle, port taken) is shown in a bubble where the mouse was released.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QGraphicsItem

from workbench.graph import Edge
from workbench.graph.catalog import ports_compatible
from workbench.ui.graph_editor.controller import GraphController
from workbench.ui.graph_editor.edge_item import DragEdgeItem, EdgeItem
from workbench.ui.graph_editor.node_item import NodeItem, PortSlot
from workbench.ui.graph_editor.style import PORT_HIT_RADIUS, SNAP_RADIUS

__all__ = ["ConnectionDrag", "DragScene"]

_Candidate = tuple[float, NodeItem, PortSlot]


class DragScene(Protocol):
    """What a connection drag needs of the canvas it runs on (``scene.GraphScene``)."""

    controller: GraphController
    edge_items: dict[Edge, EdgeItem]

    def items(self, rect: QRectF) -> list[QGraphicsItem]: ...

    def addItem(self, item: QGraphicsItem) -> None: ...

    def removeItem(self, item: QGraphicsItem) -> None: ...

    def show_message(self, text: str, at: QPointF) -> None:
        """Say why the model refused the edit, in a bubble at ``at``."""


class ConnectionDrag:
    """Dragging from ``slot`` of ``node`` (an output, or an input: backwards). Pressing on a
    connected input lifts its edge (``picked``) and drags from that edge's source."""

    def __init__(self, scene: DragScene, node: NodeItem, slot: PortSlot):
        self.scene = scene
        self.picked: EdgeItem | None = None
        if not slot.output:
            for edge in node.edges:
                if edge.dst_item is node and edge.edge.dst_port == slot.name:
                    self.picked = scene.edge_items.get(edge.edge)
                    break
        if self.picked is not None:
            node = self.picked.src_item
            slot = node.ensure_port(self.picked.edge.src_port, True)
            self.picked.setVisible(False)
        self.node = node
        self.slot = slot
        self.target: tuple[NodeItem, PortSlot] | None = None
        self.line = DragEdgeItem(self._origin(), slot.type)
        scene.addItem(self.line)

    def _origin(self) -> QPointF:
        return self.node.mapToScene(self.node.port_pos(self.slot))

    def _candidates(self, pos: QPointF) -> tuple[_Candidate | None, _Candidate | None]:
        """The nearest compatible port within ``SNAP_RADIUS`` and the port right under ``pos``."""
        want_output = not self.slot.output
        best: _Candidate | None = None
        hovered: _Candidate | None = None
        area = QRectF(pos.x() - 260.0, pos.y() - 200.0, 520.0, 400.0)
        for item in self.scene.items(area):
            if not isinstance(item, NodeItem) or item is self.node:
                continue
            for slot in item.outputs if want_output else item.inputs:
                distance = (item.mapToScene(item.port_pos(slot)) - pos).manhattanLength()
                if distance <= PORT_HIT_RADIUS * 1.5 and (hovered is None or distance < hovered[0]):
                    hovered = (distance, item, slot)
                types = (slot.type, self.slot.type) if want_output else (self.slot.type, slot.type)
                near = distance <= SNAP_RADIUS and (best is None or distance < best[0])
                if near and ports_compatible(*types):
                    best = (distance, item, slot)
        return best, hovered

    def update(self, pos: QPointF) -> None:
        """Follow the mouse at ``pos`` (scene coordinates), snapping to a port."""
        best, hovered = self._candidates(pos)
        choice = hovered or best
        self.target = (choice[1], choice[2]) if choice is not None else None
        end = choice[1].mapToScene(choice[1].port_pos(choice[2])) if choice is not None else None
        if self.slot.output:
            self.line.set_end(pos, end)
        else:  # backwards: draw from the output under the mouse to this input
            self.line.start = end or pos
            self.line.set_end(self._origin())

    def finish(self, pos: QPointF) -> None:
        """Ask for the edit the drop means; say why when the model refuses."""
        self.cancel()
        controller = self.scene.controller
        if self.target is None:
            if self.picked is not None:
                controller.disconnect_edges([self.picked.edge])
            return
        item, slot = self.target
        if self.slot.output:
            src, dst = (self.node.node_id, self.slot.name), (item.node_id, slot.name)
        else:
            src, dst = (item.node_id, slot.name), (self.node.node_id, self.slot.name)
        if self.picked is not None:
            ok = controller.reconnect(self.picked.edge, *src, *dst)
        else:
            ok = controller.connect_ports(*src, *dst)
        if not ok:
            self.scene.show_message(controller.last_error, pos)

    def cancel(self) -> None:
        """Remove the rubber line; a lifted edge shows again if it is still in the graph."""
        if self.line.scene() is not None:
            self.scene.removeItem(self.line)
        if self.picked is not None and self.picked.edge in self.scene.edge_items:
            self.picked.setVisible(True)
