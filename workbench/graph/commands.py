"""Undoable edits of a graph, independent of any user interface.

Rules: a command is a small object with ``do()``, ``undo()`` and ``text``; it changes the graph
only through the ``Graph`` API. ``do()`` either completes or raises with the graph unchanged
(multi-step commands roll back what they did); after ``undo()`` the graph is as before ``do()``,
with the same ids, so ``do()`` can run again (redo). ``merge_with(other)`` lets consecutive
edits fold into one step (a drag of a node); a merged command that changes nothing is
``obsolete``. The GUI wraps commands in ``QUndoCommand``s; nothing here knows about Qt.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workbench.graph.entities import Annotation, Edge, Node, Position, check_position
from workbench.graph.events import MISSING
from workbench.graph.model import Graph

__all__ = [
    "AddAnnotation",
    "AddNode",
    "Command",
    "Connect",
    "Disconnect",
    "MacroCommand",
    "MoveNode",
    "PasteGroup",
    "RemoveAnnotation",
    "RemoveNode",
    "SetParameter",
    "SetTarget",
    "SetTitle",
    "UpdateAnnotation",
    "copy_fragment",
]


class Command:
    """One undoable step. Subclasses implement ``do`` and ``undo``."""

    text: str = ""

    def do(self) -> None:
        raise NotImplementedError

    def undo(self) -> None:
        raise NotImplementedError

    def merge_with(self, other: Command) -> bool:
        """Fold ``other`` (already done) into this command; True if it did."""
        return False

    @property
    def obsolete(self) -> bool:
        """True when the command (after merging) changes nothing and may be dropped."""
        return False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.text!r}>"


def _title(graph: Graph, node_id: str) -> str:
    node = graph.nodes.get(node_id)
    return f"'{node.title}'" if node is not None else f"'{node_id}'"


class MacroCommand(Command):
    """Several commands as one step: done in order, undone in reverse."""

    def __init__(self, text: str, children: Iterable[Command] = ()):
        self.text = text
        self.children: list[Command] = list(children)

    def do(self) -> None:
        done: list[Command] = []
        try:
            for child in self.children:
                child.do()
                done.append(child)
        except BaseException:
            for child in reversed(done):
                child.undo()
            raise

    def undo(self) -> None:
        undone: list[Command] = []
        try:
            for child in reversed(self.children):
                child.undo()
                undone.append(child)
        except BaseException:
            for child in reversed(undone):
                child.do()
            raise


class AddNode(Command):
    def __init__(
        self,
        graph: Graph,
        kind: str,
        id: str | None = None,
        params: Mapping[str, Any] | None = None,
        position: Iterable[float] = (0.0, 0.0),
        title: str | None = None,
        target: str | None = None,
    ):
        self.graph = graph
        self._args = (kind, id, dict(params or {}), tuple(position), title, target)
        spec = graph.catalog.find(kind)
        self.text = f"Add {title or (spec.title if spec else kind)}"
        self.node: Node | None = None

    def do(self) -> None:
        if self.node is None:
            kind, node_id, params, position, title, target = self._args
            self.node = self.graph.add_node(kind, node_id, params, position, title, target)
        else:
            self.graph.insert_node(self.node)

    def undo(self) -> None:
        assert self.node is not None
        self.graph.remove_node(self.node.id)


class RemoveNode(Command):
    """Remove a node and its edges; undo restores both, with the same ids."""

    def __init__(self, graph: Graph, node_id: str):
        self.graph = graph
        self.node_id = node_id
        self.text = f"Remove {_title(graph, node_id)}"
        self.node: Node | None = None
        self.edges: list[Edge] = []

    def do(self) -> None:
        self.node, self.edges = self.graph.remove_node(self.node_id)

    def undo(self) -> None:
        assert self.node is not None
        self.graph.insert_node(self.node)
        try:
            for edge in self.edges:
                self.graph.insert_edge(edge)
        except BaseException:
            self.graph.remove_node(self.node_id)
            raise


class MoveNode(Command):
    """Move a node. Give ``old_position`` when the view already moved it (end of a drag);
    consecutive moves of the same node merge into one step."""

    def __init__(
        self,
        graph: Graph,
        node_id: str,
        position: Iterable[float],
        old_position: Iterable[float] | None = None,
    ):
        self.graph = graph
        self.node_id = node_id
        owner = f"node '{node_id}'"
        self.new: Position = check_position(tuple(position), owner)
        current = graph.node(node_id).position
        self.old: Position = (
            current if old_position is None else check_position(tuple(old_position), owner)
        )
        self.text = f"Move {_title(graph, node_id)}"

    def do(self) -> None:
        self.graph.move_node(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.move_node(self.node_id, self.old)

    def merge_with(self, other: Command) -> bool:
        if (
            isinstance(other, MoveNode)
            and other.graph is self.graph
            and other.node_id == self.node_id
        ):
            self.new = other.new
            return True
        return False

    @property
    def obsolete(self) -> bool:
        return self.new == self.old


class Connect(Command):
    def __init__(self, graph: Graph, src_node: str, src_port: str, dst_node: str, dst_port: str):
        self.graph = graph
        self.edge = Edge(src_node, src_port, dst_node, dst_port)
        self.text = f"Connect {self.edge.source} to {self.edge.target}"

    def do(self) -> None:
        self.graph.insert_edge(self.edge)

    def undo(self) -> None:
        self.graph.disconnect(self.edge)


class Disconnect(Command):
    def __init__(self, graph: Graph, edge: Edge):
        self.graph = graph
        self.edge = edge
        self.text = f"Disconnect {edge.source} from {edge.target}"

    def do(self) -> None:
        self.graph.disconnect(self.edge)

    def undo(self) -> None:
        self.graph.insert_edge(self.edge)


class SetParameter(Command):
    def __init__(self, graph: Graph, node_id: str, name: str, value: Any):
        self.graph = graph
        self.node_id = node_id
        self.name = name
        self.value = value
        self.old: Any = MISSING
        self.text = f"Set {name} of {_title(graph, node_id)}"

    def do(self) -> None:
        old = self.graph.node(self.node_id).params.get(self.name, MISSING)
        self.graph.set_param(self.node_id, self.name, self.value)
        self.old = old

    def undo(self) -> None:
        if self.old is MISSING:
            self.graph.unset_param(self.node_id, self.name)
        else:
            self.graph._put_param(self.node_id, self.name, self.old)


class SetTitle(Command):
    def __init__(self, graph: Graph, node_id: str, title: str):
        self.graph = graph
        self.node_id = node_id
        self.title = title
        self.old = graph.node(node_id).title
        self.text = f"Rename {_title(graph, node_id)}"

    def do(self) -> None:
        old = self.graph.node(self.node_id).title
        self.graph.set_title(self.node_id, self.title)
        self.old = old

    def undo(self) -> None:
        self.graph.set_title(self.node_id, self.old)


class SetTarget(Command):
    def __init__(self, graph: Graph, node_id: str, target: str | None):
        self.graph = graph
        self.node_id = node_id
        self.target = target
        self.old: str | None = graph.node(node_id).target
        self.text = f"Run {_title(graph, node_id)} on {target or 'the default target'}"

    def do(self) -> None:
        old = self.graph.node(self.node_id).target
        self.graph.set_target(self.node_id, self.target)
        self.old = old

    def undo(self) -> None:
        self.graph.set_target(self.node_id, self.old)


class AddAnnotation(Command):
    def __init__(
        self, graph: Graph, text: str, position: Iterable[float] = (0.0, 0.0), id: str | None = None
    ):
        self.graph = graph
        self._args = (text, tuple(position), id)
        self.annotation: Annotation | None = None
        self.text = "Add note"

    def do(self) -> None:
        if self.annotation is None:
            text, position, annotation_id = self._args
            self.annotation = self.graph.add_annotation(text, position, annotation_id)
        else:
            self.graph.insert_annotation(self.annotation)

    def undo(self) -> None:
        assert self.annotation is not None
        self.graph.remove_annotation(self.annotation.id)


class RemoveAnnotation(Command):
    def __init__(self, graph: Graph, annotation_id: str):
        self.graph = graph
        self.annotation_id = annotation_id
        self.annotation: Annotation | None = None
        self.text = "Remove note"

    def do(self) -> None:
        self.annotation = self.graph.remove_annotation(self.annotation_id)

    def undo(self) -> None:
        assert self.annotation is not None
        self.graph.insert_annotation(self.annotation)


class UpdateAnnotation(Command):
    """Change a note's text and/or position."""

    def __init__(
        self,
        graph: Graph,
        annotation_id: str,
        text: str | None = None,
        position: Iterable[float] | None = None,
    ):
        self.graph = graph
        self.annotation_id = annotation_id
        self._text = text
        self._position = None if position is None else tuple(position)
        self.old: Annotation | None = None
        self.text = "Edit note" if text is not None else "Move note"

    def do(self) -> None:
        old = self.graph.annotation(self.annotation_id)
        self.graph.update_annotation(self.annotation_id, self._text, self._position)
        self.old = old

    def undo(self) -> None:
        assert self.old is not None
        self.graph.update_annotation(self.annotation_id, self.old.text, self.old.position)


def copy_fragment(graph: Graph, node_ids: Iterable[str], annotation_ids: Iterable[str] = ()) -> str:
    """YAML text of the given nodes, the edges among them and the given notes (the clipboard)."""
    from workbench.graph.fileformat import dumps

    return dumps(graph.subgraph(node_ids, annotation_ids=annotation_ids))


class PasteGroup(Command):
    """Paste nodes, their edges and notes from YAML text (as ``copy_fragment`` writes) or a
    graph. Ids already taken get a new one (``train`` -> ``train_2``), edges follow; positions
    are shifted by ``offset``. ``id_map`` tells old ids -> pasted ids; undo removes them all."""

    def __init__(
        self,
        graph: Graph,
        fragment: str | bytes | Graph,
        offset: Iterable[float] = (30.0, 30.0),
        source: str = "<clipboard>",
    ):
        from workbench.graph.fileformat import loads

        self.graph = graph
        self.fragment = (
            fragment
            if isinstance(fragment, Graph)
            else loads(fragment, source, catalog=graph.catalog)
        )
        self.offset = check_position(tuple(offset), "paste offset")
        self.id_map: dict[str, str] = {}
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.annotations: list[Annotation] = []
        count = len(self.fragment.nodes)
        self.text = f"Paste {count} node" + ("" if count == 1 else "s")

    def _plan(self) -> None:
        dx, dy = self.offset
        reserved: set[str] = set()
        for old_id in sorted(self.fragment.nodes):
            new_id = self.graph.unique_id(old_id, reserved)
            reserved.add(new_id)
            self.id_map[old_id] = new_id
        for old_id in sorted(self.fragment.annotations):
            new_id = self.graph.unique_id(old_id, reserved)
            reserved.add(new_id)
            self.id_map[old_id] = new_id
        for old_id in sorted(self.fragment.nodes):
            n = self.fragment.nodes[old_id]
            position = (n.position[0] + dx, n.position[1] + dy)
            self.nodes.append(
                Node(self.id_map[old_id], n.kind, n.title, position, n.params, n.target)
            )
        for e in sorted(self.fragment.edges):
            m = self.id_map
            self.edges.append(Edge(m[e.src_node], e.src_port, m[e.dst_node], e.dst_port))
        for old_id in sorted(self.fragment.annotations):
            a = self.fragment.annotations[old_id]
            self.annotations.append(
                Annotation(self.id_map[old_id], a.text, (a.position[0] + dx, a.position[1] + dy))
            )

    def do(self) -> None:
        if not self.id_map and (self.fragment.nodes or self.fragment.annotations):
            self._plan()
        added_nodes: list[str] = []
        added_notes: list[str] = []
        try:
            for node in self.nodes:
                self.graph.insert_node(node)
                added_nodes.append(node.id)
            for edge in self.edges:
                self.graph.insert_edge(edge)
            for annotation in self.annotations:
                self.graph.insert_annotation(annotation)
                added_notes.append(annotation.id)
        except BaseException:
            for annotation_id in reversed(added_notes):
                self.graph.remove_annotation(annotation_id)
            for node_id in reversed(added_nodes):
                self.graph.remove_node(node_id)
            raise

    def undo(self) -> None:
        for annotation in reversed(self.annotations):
            self.graph.remove_annotation(annotation.id)
        for node in reversed(self.nodes):
            self.graph.remove_node(node.id)
