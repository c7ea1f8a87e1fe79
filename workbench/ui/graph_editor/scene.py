"""The canvas scene: items that mirror the graph, and the mouse gestures that edit it.

Rules:

* The scene only *listens* to the model: node, edge and note items are created, changed,
  moved and removed in the handlers of ``graph.events`` and nowhere else. It never calls a
  ``Graph`` mutator; gestures call the ``GraphController``, which pushes undo commands.
* A drag of one or many items is shown live by Qt and recorded on release as one command
  (``GraphController.move``); if that is refused the items go back to the model's positions.
* A press on a port starts a ``ConnectionDrag`` (see ``connection_drag``): it snaps to
  compatible ports and, on release, asks the controller to connect, reconnect or disconnect;
  a refusal is shown in a bubble at the drop point with the model's reason.
* The scene rect follows the items (plus a margin) and is recomputed after changes, not per
  frame; items are indexed in a BSP tree. Far out, the ``OverviewItem`` draws the graph in a
  few batches while the items stop painting (``set_overview``, driven by the view's zoom);
  during a zoom gesture nodes are cached in item coordinates (``set_zooming``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

import shiboken6
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
)

from workbench.graph import Annotation, Edge, Graph, Node, NodeChange
from workbench.ui.graph_editor.annotation_item import AnnotationItem, MessageBubble
from workbench.ui.graph_editor.connection_drag import ConnectionDrag
from workbench.ui.graph_editor.controller import GraphController
from workbench.ui.graph_editor.edge_item import EdgeItem
from workbench.ui.graph_editor.node_item import NodeItem, PortSlot
from workbench.ui.graph_editor.overview import OverviewItem
from workbench.ui.graph_editor.style import Colors

__all__ = ["GraphScene"]


class GraphScene(QGraphicsScene):
    """Mirrors ``controller.graph``; see the module rules."""

    nodeActivated = Signal(str)
    annotationActivated = Signal(str)
    itemsMoved = Signal()

    def __init__(self, controller: GraphController, parent: Any = None):
        super().__init__(parent)
        self.controller = controller
        self.colors = Colors.from_palette(QApplication.palette())
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.note_items: dict[str, AnnotationItem] = {}
        self.bubble = MessageBubble()
        self.addItem(self.bubble)
        self.overview = OverviewItem(self)
        self.addItem(self.overview)
        self.overview_active = False
        self.zooming = False
        self.selectionChanged.connect(self._on_selection_changed)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        self._graph: Graph | None = None
        self._listeners: list[tuple[Any, Any]] = []
        self._drag: ConnectionDrag | None = None
        self._press: dict[QGraphicsItem, QPointF] = {}
        self._rect_timer = QTimer(self)
        self._rect_timer.setSingleShot(True)
        self._rect_timer.setInterval(0)
        self._rect_timer.timeout.connect(self.update_scene_rect)
        self.setBackgroundBrush(self.colors.background)
        controller.graphReplaced.connect(self.set_graph)
        self.destroyed.connect(partial(_disconnect_all, self._listeners))
        self.set_graph(controller.graph)

    # -- the graph -----------------------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        assert self._graph is not None
        return self._graph

    def set_graph(self, graph: Graph) -> None:
        """Show ``graph``: drop every item, build new ones, listen to the new graph."""
        _disconnect_all(self._listeners)
        self._cancel_drag()
        self._press.clear()
        for item in [
            *self.edge_items.values(),
            *self.node_items.values(),
            *self.note_items.values(),
        ]:
            self.removeItem(item)
        self.node_items.clear()
        self.edge_items.clear()
        self.note_items.clear()
        self._graph = graph
        for node in graph.nodes.values():
            self._on_node_added(node)
        for edge in graph.edges:
            self._on_edge_added(edge)
        for note in graph.annotations.values():
            self._on_annotation_added(note)
        events = graph.events
        for signal, slot in (
            (events.node_added, self._on_node_added),
            (events.node_removed, self._on_node_removed),
            (events.node_moved, self._on_node_moved),
            (events.node_changed, self._on_node_changed),
            (events.edge_added, self._on_edge_added),
            (events.edge_removed, self._on_edge_removed),
            (events.annotation_added, self._on_annotation_added),
            (events.annotation_removed, self._on_annotation_removed),
            (events.annotation_changed, self._on_annotation_changed),
        ):
            signal.connect(slot)
            self._listeners.append((signal, slot))
        self.update_scene_rect()

    def _on_node_added(self, node: Node) -> None:
        item = NodeItem(node, self.graph.catalog.find(node.kind))
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, self.overview_active)
        self.node_items[node.id] = item
        self.addItem(item)
        self._changed()

    def _on_node_removed(self, node: Node) -> None:
        item = self.node_items.pop(node.id, None)
        if item is not None:
            for edge in list(item.edges):  # the model removed them first; be safe anyway
                self._on_edge_removed(edge.edge)
            self._press.pop(item, None)
            self.removeItem(item)
            self._changed()

    def _on_node_moved(self, node: Node, old_position: Any) -> None:
        item = self.node_items.get(node.id)
        if item is not None:
            item.node = node
            if (item.pos().x(), item.pos().y()) != node.position:
                item.setPos(*node.position)
            self._changed()

    def _on_node_changed(self, node: Node, change: NodeChange) -> None:
        item = self.node_items.get(node.id)
        if item is not None:
            item.set_node(node)

    def _on_edge_added(self, edge: Edge) -> None:
        src, dst = self.node_items.get(edge.src_node), self.node_items.get(edge.dst_node)
        if src is None or dst is None:
            return
        slot = src.ensure_port(edge.src_port, True)
        dst.ensure_port(edge.dst_port, False)
        item = EdgeItem(edge, src, dst, slot.type, self.graph.is_signal_edge(edge))
        item.setFlag(QGraphicsItem.GraphicsItemFlag.ItemHasNoContents, self.overview_active)
        self.edge_items[edge] = item
        self.addItem(item)
        src.update()
        dst.update()
        self.overview.invalidate()

    def _on_edge_removed(self, edge: Edge) -> None:
        item = self.edge_items.pop(edge, None)
        if item is not None:
            item.detach()
            self.removeItem(item)
            self.overview.invalidate()

    def _on_annotation_added(self, annotation: Annotation) -> None:
        item = AnnotationItem(annotation)
        self.note_items[annotation.id] = item
        self.addItem(item)
        self._changed()

    def _on_annotation_removed(self, annotation: Annotation) -> None:
        item = self.note_items.pop(annotation.id, None)
        if item is not None:
            self._press.pop(item, None)
            self.removeItem(item)

    def _on_annotation_changed(self, annotation: Annotation, old: Annotation) -> None:
        item = self.note_items.get(annotation.id)
        if item is not None:
            item.set_annotation(annotation)
            self._changed()

    def _on_selection_changed(self) -> None:
        if shiboken6.isValid(self.overview):  # not while the scene is being destroyed
            self.overview.invalidate()

    def _changed(self) -> None:
        """Nodes or notes came, went or moved: the scene rect and the overview follow."""
        self._rect_timer.start()
        self.overview.invalidate()

    def node_item_moved(self, item: NodeItem) -> None:
        """A node item moved (a drag in progress, or the model's move)."""
        if self.overview_active:
            self.overview.invalidate()

    def set_overview(self, active: bool) -> None:
        """Draw the graph with the batched overview (far out) or item by item."""
        if active == self.overview_active:
            return
        self.overview_active = active
        flag = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents
        for item in (*self.node_items.values(), *self.edge_items.values()):
            item.setFlag(flag, active)
        self.overview.invalidate()
        self.overview.setVisible(active)

    def set_zooming(self, active: bool, device_pixel_ratio: float = 1.0) -> None:
        """While a zoom gesture runs, nodes are cached in item coordinates (a zoom step scales
        their pixmaps instead of re-drawing every visible node); when it settles they go back
        to device-coordinate caching, so text is drawn crisply at the final scale."""
        if active == self.zooming:
            return
        self.zooming = active
        modes = QGraphicsItem.CacheMode
        for item in self.node_items.values():
            if active:
                rect = item.boundingRect()
                size = QSize(
                    math.ceil(rect.width() * device_pixel_ratio),
                    math.ceil(rect.height() * device_pixel_ratio),
                )
                item.setCacheMode(modes.ItemCoordinateCache, size)
            else:
                item.setCacheMode(modes.DeviceCoordinateCache)

    # -- geometry, palette, selection ----------------------------------------------------------

    def content_rect(self) -> QRectF:
        """The bounding rect of nodes and notes (not of transient items)."""
        rect = QRectF()
        for item in (*self.node_items.values(), *self.note_items.values()):
            rect = rect.united(item.sceneBoundingRect())
        return rect

    def graph_rect(self) -> QRectF:
        """What Fit to View shows: nodes, notes and the curves of edges between them."""
        rect = self.content_rect()
        for edge in self.edge_items.values():
            rect = rect.united(edge.path().boundingRect())
        return rect

    def flush_scene_rect(self) -> None:
        """Apply a pending scene-rect update now (before the view scrolls or fits)."""
        if self._rect_timer.isActive():
            self._rect_timer.stop()
            self.update_scene_rect()

    def update_scene_rect(self) -> None:
        content = self.content_rect()
        base = QRectF(-600.0, -400.0, 1200.0, 800.0)
        rect = base if content.isNull() else content.adjusted(-800.0, -600.0, 800.0, 600.0)
        if rect != self.sceneRect():
            self.setSceneRect(rect)

    def refresh_palette(self, palette: QPalette) -> None:
        """Re-read colours after a theme change and repaint every cached item."""
        self.colors = Colors.from_palette(palette)
        self.setBackgroundBrush(self.colors.background)
        self.overview.invalidate()
        for item in self.items():
            item.update()
        self.invalidate(self.sceneRect(), QGraphicsScene.SceneLayer.BackgroundLayer)

    def selected_node_ids(self) -> list[str]:
        return sorted(i.node_id for i in self.selectedItems() if isinstance(i, NodeItem))

    def selected_edges(self) -> list[Edge]:
        return sorted(i.edge for i in self.selectedItems() if isinstance(i, EdgeItem))

    def selected_annotation_ids(self) -> list[str]:
        return sorted(
            i.annotation_id for i in self.selectedItems() if isinstance(i, AnnotationItem)
        )

    def select(
        self,
        node_ids: Iterable[str] = (),
        annotation_ids: Iterable[str] = (),
        edges: Iterable[Edge] = (),
    ) -> None:
        """Select exactly the given items (one ``selectionChanged``)."""
        wanted: list[QGraphicsItem] = [self.node_items[n] for n in node_ids if n in self.node_items]
        wanted += [self.note_items[a] for a in annotation_ids if a in self.note_items]
        wanted += [self.edge_items[e] for e in edges if e in self.edge_items]
        self.blockSignals(True)
        try:
            self.clearSelection()
            for item in wanted:
                item.setSelected(True)
        finally:
            self.blockSignals(False)
        self.selectionChanged.emit()

    def set_node_states(self, states: Mapping[str, Mapping[str, Any] | None]) -> None:
        for node_id, state in states.items():
            item = self.node_items.get(node_id)
            if item is None:
                continue
            state = state or {}
            item.set_run_state(state.get("status") or None, state.get("progress"))
        self.overview.invalidate()

    def show_message(self, text: str, at: QPointF) -> None:
        self.bubble.show_message(text, at)

    # -- gestures ------------------------------------------------------------------------------

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None

    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            node = self._node_at(event.scenePos())
            slot = node.port_at(event.scenePos()) if node is not None else None
            if node is not None and slot is not None:
                self._start_drag(node, slot)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = {
                item: item.pos()
                for item in self.selectedItems()
                if isinstance(item, NodeItem | AnnotationItem)
            }

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None:
            self._update_drag(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._drag is not None and event.button() == Qt.MouseButton.LeftButton:
            self._update_drag(event.scenePos())
            self._finish_drag(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if event.button() == Qt.MouseButton.LeftButton and self._press:
            pressed, self._press = self._press, {}
            self._record_moves(pressed)

    def mouseDoubleClickEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        for item in self.items(event.scenePos()):
            if isinstance(item, NodeItem):
                self.nodeActivated.emit(item.node_id)
                event.accept()
                return
            if isinstance(item, AnnotationItem):
                self.annotationActivated.emit(item.annotation_id)
                event.accept()
                return
        super().mouseDoubleClickEvent(event)

    def _record_moves(self, pressed: Mapping[QGraphicsItem, QPointF]) -> None:
        nodes: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        notes: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        for item, start in pressed.items():
            now = item.pos()
            if now == start:
                continue
            new = (round(now.x(), 2), round(now.y(), 2))
            if isinstance(item, NodeItem) and item.node_id in self.graph.nodes:
                nodes[item.node_id] = (self.graph.nodes[item.node_id].position, new)
            elif isinstance(item, AnnotationItem) and item.annotation_id in self.graph.annotations:
                notes[item.annotation_id] = (
                    self.graph.annotations[item.annotation_id].position,
                    new,
                )
        if not nodes and not notes:
            return
        if not self.controller.move(nodes, notes):
            for node_id in nodes:  # refused: show the model's positions again
                self.node_items[node_id].setPos(*self.graph.nodes[node_id].position)
            for note_id in notes:
                self.note_items[note_id].setPos(*self.graph.annotations[note_id].position)
        self.itemsMoved.emit()

    # -- connection drag -----------------------------------------------------------------------

    def _start_drag(self, node: NodeItem, slot: PortSlot) -> None:
        self._drag = ConnectionDrag(self, node, slot)

    def _update_drag(self, pos: QPointF) -> None:
        assert self._drag is not None
        self._drag.update(pos)

    def _finish_drag(self, pos: QPointF) -> None:
        drag, self._drag = self._drag, None
        assert drag is not None
        drag.finish(pos)

    def _cancel_drag(self) -> None:
        drag, self._drag = self._drag, None
        if drag is not None:
            drag.cancel()

    def cancel_connection(self) -> None:
        """Drop the connection being dragged without changing anything (Escape)."""
        self._cancel_drag()

    @property
    def dragging_connection(self) -> bool:
        return self._drag is not None


def _disconnect_all(listeners: list[tuple[Any, Any]]) -> None:
    """Stop listening to a graph (a new one is shown, or the scene is gone)."""
    for signal, slot in listeners:
        signal.disconnect(slot)
    listeners.clear()
