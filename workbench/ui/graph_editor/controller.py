"""The editing controller: the only way the editor's widgets change the graph.

Rules: every user edit becomes one ``workbench.graph`` command (a ``MacroCommand`` when it
touches several things), done through ``push`` and recorded on the ``QUndoStack`` as one
``ModelUndoCommand`` (see ``undo``). Widgets (canvas, properties panel, actions) call the
methods here and never a ``Graph`` mutator; the canvas then follows the graph's events. A
refused edit leaves the graph unchanged, records nothing, sets ``last_error`` and emits
``refused(message)`` with the model's reason (cycle, port types, port already connected, bad
value …). Replacing the document (new, open, template) clears the history.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack

from workbench.errors import WorkbenchError
from workbench.graph import (
    AddAnnotation,
    AddNode,
    Command,
    Connect,
    Disconnect,
    Edge,
    Graph,
    MacroCommand,
    MoveNode,
    PasteGroup,
    RemoveAnnotation,
    RemoveNode,
    SetParameter,
    SetTarget,
    SetTitle,
    UpdateAnnotation,
)
from workbench.ui.graph_editor.undo import ModelUndoCommand

__all__ = ["GraphController"]

Point = tuple[float, float]


class GraphController(QObject):
    """Holds the graph being edited and its undo history; turns edits into commands."""

    refused = Signal(str)
    graphReplaced = Signal(object)

    def __init__(self, graph: Graph | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.graph = graph if graph is not None else Graph()
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(0)
        self.last_error = ""

    # -- the document --------------------------------------------------------------------------

    def replace_graph(self, graph: Graph) -> None:
        """Edit ``graph`` from now on; the history is cleared and the state is clean."""
        self.graph = graph
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.last_error = ""
        self.graphReplaced.emit(graph)

    # -- the one path into the history ---------------------------------------------------------

    def push(self, command: Command) -> bool:
        """Do ``command`` and record it; on refusal report the reason and return False."""
        try:
            command.do()
        except WorkbenchError as exc:
            self._refuse(str(exc))
            return False
        self.last_error = ""
        self.undo_stack.push(ModelUndoCommand(command, on_error=self._refuse))
        return True

    def _refuse(self, message: str) -> None:
        self.last_error = message
        self.refused.emit(message)

    def _push_all(self, text: str, children: list[Command]) -> bool:
        if not children:
            return True
        if len(children) == 1:
            children[0].text = text or children[0].text
            return self.push(children[0])
        return self.push(MacroCommand(text, children))

    # -- nodes and edges -----------------------------------------------------------------------

    def add_node(self, kind: str, position: Point) -> str | None:
        """Add a node of ``kind`` at ``position``; its id, or None when refused."""
        try:
            command = AddNode(self.graph, kind, position=position)
        except WorkbenchError as exc:
            self._refuse(str(exc))
            return None
        return command.node.id if self.push(command) and command.node else None

    def connect_ports(self, src_node: str, src_port: str, dst_node: str, dst_port: str) -> bool:
        return self.push(Connect(self.graph, src_node, src_port, dst_node, dst_port))

    def reconnect(
        self, old: Edge, src_node: str, src_port: str, dst_node: str, dst_port: str
    ) -> bool:
        """Move the edge ``old`` to a new input, as one step (refused as a whole)."""
        new = Connect(self.graph, src_node, src_port, dst_node, dst_port)
        if new.edge == old:
            return True
        return self.push(
            MacroCommand(f"Reconnect {old.source}", [Disconnect(self.graph, old), new])
        )

    def disconnect_edges(self, edges: Iterable[Edge]) -> bool:
        return self._push_all("Disconnect", [Disconnect(self.graph, e) for e in edges])

    def remove(
        self,
        node_ids: Iterable[str] = (),
        edges: Iterable[Edge] = (),
        annotation_ids: Iterable[str] = (),
        text: str = "Delete",
    ) -> bool:
        """Remove nodes (with their edges), other edges and notes as one step."""
        nodes = [n for n in dict.fromkeys(node_ids) if n in self.graph.nodes]
        gone = set(nodes)
        children: list[Command] = [
            Disconnect(self.graph, e)
            for e in dict.fromkeys(edges)
            if e in self.graph.edges and e.src_node not in gone and e.dst_node not in gone
        ]
        children += [RemoveNode(self.graph, n) for n in nodes]
        children += [
            RemoveAnnotation(self.graph, a)
            for a in dict.fromkeys(annotation_ids)
            if a in self.graph.annotations
        ]
        return self._push_all(text if len(children) > 1 else "", children)

    def move(
        self,
        node_moves: Mapping[str, tuple[Point, Point]],
        note_moves: Mapping[str, tuple[Point, Point]] | None = None,
        text: str = "",
    ) -> bool:
        """Record moves the canvas already showed (``id -> (old, new)``) as one step."""
        children: list[Command] = [
            MoveNode(self.graph, node_id, new, old_position=old)
            for node_id, (old, new) in node_moves.items()
            if node_id in self.graph.nodes and old != new
        ]
        children += [
            UpdateAnnotation(self.graph, note_id, position=new)
            for note_id, (old, new) in (note_moves or {}).items()
            if note_id in self.graph.annotations and old != new
        ]
        if not text and len(children) > 1:
            text = f"Move {len(children)} items"
        return self._push_all(text, children)

    def set_positions(self, positions: Mapping[str, Point], text: str) -> bool:
        """Move nodes to ``positions`` (layout, align) as one step; unchanged ones are skipped."""
        moves = {
            node_id: (self.graph.nodes[node_id].position, (float(p[0]), float(p[1])))
            for node_id, p in positions.items()
            if node_id in self.graph.nodes
        }
        return self.move(moves, text=text)

    # -- values --------------------------------------------------------------------------------

    def set_param(self, node_id: str, name: str, value: Any) -> bool:
        node = self.graph.nodes.get(node_id)
        if node is not None and name in node.params and _same(node.params[name], value):
            return True
        return self.push(SetParameter(self.graph, node_id, name, value))

    def set_title(self, node_id: str, title: str) -> bool:
        node = self.graph.nodes.get(node_id)
        if node is not None and node.title == title:
            return True
        return self.push(SetTitle(self.graph, node_id, title))

    def set_target(self, node_id: str, target: str | None) -> bool:
        node = self.graph.nodes.get(node_id)
        if node is not None and node.target == (target or None):
            return True
        return self.push(SetTarget(self.graph, node_id, target or None))

    # -- notes ---------------------------------------------------------------------------------

    def add_annotation(self, text: str, position: Point) -> str | None:
        command = AddAnnotation(self.graph, text, position)
        return command.annotation.id if self.push(command) and command.annotation else None

    def set_annotation_text(self, annotation_id: str, text: str) -> bool:
        note = self.graph.annotations.get(annotation_id)
        if note is not None and note.text == text:
            return True
        return self.push(UpdateAnnotation(self.graph, annotation_id, text=text))

    # -- clipboard -----------------------------------------------------------------------------

    def paste(
        self, fragment: str | Graph, offset: Point | None = None, text: str = ""
    ) -> PasteGroup | None:
        """Paste YAML text from ``copy_fragment`` (or a parsed fragment); ``offset=None`` keeps
        the positions. Taken ids get new ones (``PasteGroup.id_map``)."""
        try:
            command = PasteGroup(self.graph, fragment, offset or (0.0, 0.0))
        except WorkbenchError as exc:
            self._refuse(f"cannot paste: {exc}")
            return None
        if text:
            command.text = text
        return command if self.push(command) else None


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b
