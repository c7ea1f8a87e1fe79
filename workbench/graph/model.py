"""The ML application graph: nodes, edges and annotations, and the narrow API that edits them.

Rules:

* Entities (``Node``, ``Edge``, ``Annotation``) are frozen; an edit replaces the entity, so a
  reference that a command or a view holds never changes underneath it.
* Every change goes through a ``Graph`` method; each method checks everything first and then
  changes the graph, so a refused edit (a specific ``GraphError`` naming the node and port)
  leaves the graph exactly as it was. Events (``graph.events``) fire after the change, once,
  and only when something really changed.
* Edges whose source port has type ``signal`` are feedback edges: they may close cycles. Every
  other edge may not; ``connect`` searches from the new edge's destination to its source over
  non-signal edges (O(reachable part)), everything else is O(1) or O(degree) thanks to the
  adjacency dicts.
* Node ids (and annotation ids) are identifiers that may also hold ``-``; they never hold
  ``.`` because files write ports as ``node.port``.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable, KeysView, Mapping
from dataclasses import replace
from types import MappingProxyType
from typing import Any

from workbench.graph.catalog import Catalog, default_catalog
from workbench.graph.entities import (
    ID_RE,
    Annotation,
    Edge,
    Node,
    Position,
    check_id,
    check_position,
    check_text,
)
from workbench.graph.errors import (
    CycleError,
    DuplicateEdgeError,
    DuplicateNodeIdError,
    GraphError,
    IncompatiblePortTypesError,
    PortAlreadyConnectedError,
    UnknownAnnotationError,
    UnknownEdgeError,
    UnknownPortError,
)
from workbench.graph.events import MISSING, GraphEvents, NodeChange
from workbench.graph.kinds import SIGNAL, NodeKind, ports_compatible, validate_param
from workbench.graph.queries import GraphQueries

__all__ = ["Annotation", "Edge", "Graph", "Node", "Position", "check_id", "check_position"]

_SUFFIX_RE = re.compile(r"^(.*?)_(\d+)\Z")


class Graph(GraphQueries):
    """An ML application graph. ``nodes``/``annotations`` are live read-only mappings by id and
    ``edges`` a live read-only set view; change them only through the methods."""

    def __init__(
        self, name: str = "untitled", description: str = "", *, catalog: Catalog | None = None
    ):
        self._name = check_text(name, "graph name")
        self._description = check_text(description, "graph description")
        self._catalog = catalog
        self._nodes: dict[str, Node] = {}
        self._edges: dict[Edge, bool] = {}  # edge -> is a signal (feedback) edge
        self._in: dict[str, dict[Edge, None]] = {}
        self._out: dict[str, dict[Edge, None]] = {}
        self._annotations: dict[str, Annotation] = {}
        self._id_hints: dict[str, int] = {}
        self.events = GraphEvents()

    def __repr__(self) -> str:
        return f"<Graph {self._name!r}: {len(self._nodes)} nodes, {len(self._edges)} edges>"

    # -- information ---------------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = default_catalog()
        return self._catalog

    @property
    def name(self) -> str:
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        self._set_info("name", check_text(value, "graph name"))

    @property
    def description(self) -> str:
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._set_info("description", check_text(value, "graph description"))

    def _set_info(self, attr: str, value: str) -> None:
        old = getattr(self, "_" + attr)
        if old != value:
            setattr(self, "_" + attr, value)
            self.events.info_changed.emit(attr, old, value)

    @property
    def nodes(self) -> Mapping[str, Node]:
        return MappingProxyType(self._nodes)

    @property
    def edges(self) -> KeysView[Edge]:
        return self._edges.keys()

    @property
    def annotations(self) -> Mapping[str, Annotation]:
        return MappingProxyType(self._annotations)

    def __contains__(self, node_id: object) -> bool:
        return node_id in self._nodes

    def kind_of(self, node_id: str) -> NodeKind:
        """The catalog entry of a node's kind (``UnknownNodeKindError`` if not registered)."""
        node = self.node(node_id)
        return self.catalog.get(node.kind, node_id=node.id)

    def annotation(self, annotation_id: str) -> Annotation:
        try:
            return self._annotations[annotation_id]
        except (KeyError, TypeError):
            raise UnknownAnnotationError(f"no annotation '{annotation_id}' in the graph") from None

    def is_signal_edge(self, edge: Edge) -> bool:
        return self._edges.get(edge, False)

    def unique_id(self, base: str, reserved: Container[str] = ()) -> str:
        """A free id derived from ``base``: ``base`` itself, else ``base_2``, ``base_3`` …

        Ids in ``reserved`` count as taken too (ids about to be pasted)."""

        def taken(candidate: str) -> bool:
            return (
                candidate in self._nodes or candidate in self._annotations or candidate in reserved
            )

        stem = re.sub(r"[^A-Za-z0-9_\-]", "_", base)[:90] or "node"
        if not ID_RE.match(stem):
            stem = "n_" + stem
        if not taken(stem):
            return stem
        match = _SUFFIX_RE.match(stem)
        if match and match.group(1) and ID_RE.match(match.group(1)):
            stem = match.group(1)
        n = self._id_hints.get(stem, 2)
        while taken(f"{stem}_{n}"):
            n += 1
        self._id_hints[stem] = n + 1
        return f"{stem}_{n}"

    # -- nodes ---------------------------------------------------------------------------------

    def add_node(
        self,
        kind: str,
        id: str | None = None,
        params: Mapping[str, Any] | None = None,
        position: Iterable[float] = (0.0, 0.0),
        title: str | None = None,
        target: str | None = None,
    ) -> Node:
        """Add a node of ``kind``; parameters not given take the catalog defaults."""
        spec = self.catalog.get(kind, node_id=id)
        node_id = self.unique_id(kind) if id is None else id
        values = spec.default_params()
        values.update(params or {})
        title = spec.title if title is None else title
        node = Node(node_id, kind, title, tuple(position), values, target)  # type: ignore[arg-type]
        return self.insert_node(node)

    def insert_node(self, node: Node) -> Node:
        """Add ``node`` exactly as given (after checking it): redo, paste and loading use this."""
        node = self._checked_node(node)
        self._store_node(node)
        self.events.node_added.emit(node)
        return node

    def _checked_node(self, node: Node, *, strict: bool = True) -> Node:
        """``node`` with checked id, title, position and target, and coerced parameters.

        Not ``strict`` (lenient file loading), an unknown kind or a bad parameter value is
        kept as it is, for ``validate`` to report."""
        check_id(node.id)
        if node.id in self._nodes:
            raise DuplicateNodeIdError(f"the graph already has a node '{node.id}'", node_id=node.id)
        owner = f"node '{node.id}'"
        spec = (
            self.catalog.get(node.kind, node_id=node.id) if strict else self.catalog.find(node.kind)
        )
        params = dict(node.params)
        if spec is not None:
            for name, value in node.params.items():
                try:
                    params[name] = validate_param(spec, name, value, node_id=node.id)
                except GraphError:
                    if strict:
                        raise
        return Node(
            node.id,
            node.kind,
            check_text(node.title, f"{owner}: title"),
            check_position(node.position, owner),
            params,
            self._checked_target(node.id, node.target),
        )

    @staticmethod
    def _checked_target(node_id: str, target: Any) -> str | None:
        if target is None or target == "":
            return None
        if not isinstance(target, str) or target != target.strip() or not target.isprintable():
            raise GraphError(
                f"node '{node_id}': target must be a target name, got {target!r}", node_id=node_id
            )
        return target

    def _store_node(self, node: Node) -> None:
        self._nodes[node.id] = node
        self._in[node.id] = {}
        self._out[node.id] = {}

    def remove_node(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and every edge touching it; returns both (edges in insertion order)."""
        node = self.node(node_id)
        edges = list(dict.fromkeys([*self._in[node_id], *self._out[node_id]]))
        for edge in edges:
            self._drop_edge(edge)
            self.events.edge_removed.emit(edge)
        del self._nodes[node_id], self._in[node_id], self._out[node_id]
        self.events.node_removed.emit(node)
        return node, edges

    def move_node(self, node_id: str, position: Iterable[float]) -> Node:
        old = self.node(node_id)
        pos = check_position(tuple(position), f"node '{node_id}'")
        if pos == old.position:
            return old
        node = replace(old, position=pos)
        self._nodes[node_id] = node
        self.events.node_moved.emit(node, old.position)
        return node

    def set_param(self, node_id: str, name: str, value: Any) -> Node:
        """Set one parameter, checked and coerced against the catalog."""
        old = self.node(node_id)
        spec = self.catalog.get(old.kind, node_id=node_id)
        value = validate_param(spec, name, value, node_id=node_id)
        previous = old.params.get(name, MISSING)
        if previous is not MISSING and type(previous) is type(value) and previous == value:
            return old
        return self._replace_node(
            old,
            replace(old, params={**old.params, name: value}),
            NodeChange("params", name, previous, value),
        )

    def unset_param(self, node_id: str, name: str) -> Node:
        """Remove a parameter's value (undo of setting a parameter that had none)."""
        old = self.node(node_id)
        if name not in old.params:
            return old
        params = dict(old.params)
        previous = params.pop(name)
        return self._replace_node(
            old, replace(old, params=params), NodeChange("params", name, previous, MISSING)
        )

    def _put_param(self, node_id: str, name: str, value: Any) -> Node:
        """Restore a parameter value without checking it (undo of an edit to a value that a
        lenient load let in); package-internal."""
        old = self.node(node_id)
        previous = old.params.get(name, MISSING)
        if previous is not MISSING and type(previous) is type(value) and previous == value:
            return old
        new = replace(old, params={**old.params, name: value})
        return self._replace_node(old, new, NodeChange("params", name, previous, value))

    def set_title(self, node_id: str, title: str) -> Node:
        old = self.node(node_id)
        title = check_text(title, f"node '{node_id}': title")
        if title == old.title:
            return old
        return self._replace_node(
            old, replace(old, title=title), NodeChange("title", None, old.title, title)
        )

    def set_target(self, node_id: str, target: str | None) -> Node:
        old = self.node(node_id)
        target = self._checked_target(node_id, target)
        if target == old.target:
            return old
        return self._replace_node(
            old, replace(old, target=target), NodeChange("target", None, old.target, target)
        )

    def _replace_node(self, old: Node, new: Node, change: NodeChange) -> Node:
        self._nodes[old.id] = new
        self.events.node_changed.emit(new, change)
        return new

    # -- edges ---------------------------------------------------------------------------------

    def connect(self, src_node: str, src_port: str, dst_node: str, dst_port: str) -> Edge:
        """Connect an output port to an input port (checked: ports, types, fan-in, cycles)."""
        return self.insert_edge(Edge(src_node, src_port, dst_node, dst_port))

    def insert_edge(self, edge: Edge) -> Edge:
        """Add ``edge`` (after the same checks as ``connect``): redo and paste use this."""
        is_signal = self._check_edge(edge, check_cycle=True)
        self._store_edge(edge, is_signal)
        self.events.edge_added.emit(edge)
        return edge

    def _check_edge(self, edge: Edge, *, check_cycle: bool) -> bool:
        src, dst = self.node(edge.src_node), self.node(edge.dst_node)
        src_kind = self.catalog.get(src.kind, node_id=src.id)
        dst_kind = self.catalog.get(dst.kind, node_id=dst.id)
        out = src_kind.output(edge.src_port)
        if out is None:
            raise self._unknown_port(src.id, src_kind, edge.src_port, "output")
        inp = dst_kind.input(edge.dst_port)
        if inp is None:
            raise self._unknown_port(dst.id, dst_kind, edge.dst_port, "input")
        if edge in self._edges:
            raise DuplicateEdgeError(
                f"'{edge.source}' is already connected to '{edge.target}'",
                node_id=dst.id,
                port=edge.dst_port,
            )
        if not ports_compatible(out.type, inp.type):
            raise IncompatiblePortTypesError(
                f"cannot connect '{edge.source}' ({out.type}) to '{edge.target}' ({inp.type}): port types differ",
                node_id=dst.id,
                port=edge.dst_port,
            )
        if not inp.multiple:
            for other in self._in[dst.id]:
                if other.dst_port == edge.dst_port:
                    raise PortAlreadyConnectedError(
                        f"input '{edge.target}' takes one edge and is already fed by '{other.source}'",
                        node_id=dst.id,
                        port=edge.dst_port,
                        hint="disconnect that edge first",
                    )
        is_signal = out.type == SIGNAL
        if check_cycle and not is_signal:
            path = self._path(edge.dst_node, edge.src_node)
            if path is not None:
                cycle = [edge.src_node, *path]
                raise CycleError(
                    f"connecting '{edge.source}' to '{edge.target}' would close the cycle "
                    + " -> ".join(cycle),
                    cycle=cycle,
                    node_id=dst.id,
                    port=edge.dst_port,
                    hint="only 'signal' edges (alerts, triggers) may form feedback loops",
                )
        return is_signal

    @staticmethod
    def _unknown_port(node_id: str, kind: NodeKind, port: str, direction: str) -> UnknownPortError:
        ports = kind.outputs if direction == "output" else kind.inputs
        names = ", ".join(p.name for p in ports) or "none"
        return UnknownPortError(
            f"node '{node_id}' ({kind.kind}) has no {direction} port '{port}' ({direction}s: {names})",
            node_id=node_id,
            port=port,
        )

    def _store_edge(self, edge: Edge, is_signal: bool) -> None:
        self._edges[edge] = is_signal
        self._out[edge.src_node][edge] = None
        self._in[edge.dst_node][edge] = None

    def _drop_edge(self, edge: Edge) -> None:
        del self._edges[edge]
        del self._out[edge.src_node][edge]
        del self._in[edge.dst_node][edge]

    def disconnect(self, edge: Edge) -> Edge:
        if edge not in self._edges:
            raise UnknownEdgeError(
                f"no edge '{edge}' in the graph", node_id=edge.dst_node, port=edge.dst_port
            )
        self._drop_edge(edge)
        self.events.edge_removed.emit(edge)
        return edge

    # -- annotations ---------------------------------------------------------------------------

    def add_annotation(
        self, text: str, position: Iterable[float] = (0.0, 0.0), id: str | None = None
    ) -> Annotation:
        annotation_id = self.unique_id("note") if id is None else id
        return self.insert_annotation(Annotation(annotation_id, text, tuple(position)))  # type: ignore[arg-type]

    def insert_annotation(self, annotation: Annotation) -> Annotation:
        check_id(annotation.id, "annotation")
        if annotation.id in self._annotations or annotation.id in self._nodes:
            raise DuplicateNodeIdError(
                f"the graph already has an item '{annotation.id}'", node_id=annotation.id
            )
        owner = f"annotation '{annotation.id}'"
        annotation = Annotation(
            annotation.id,
            check_text(annotation.text, f"{owner}: text"),
            check_position(annotation.position, owner),
        )
        self._annotations[annotation.id] = annotation
        self.events.annotation_added.emit(annotation)
        return annotation

    def remove_annotation(self, annotation_id: str) -> Annotation:
        annotation = self.annotation(annotation_id)
        del self._annotations[annotation_id]
        self.events.annotation_removed.emit(annotation)
        return annotation

    def update_annotation(
        self, annotation_id: str, text: str | None = None, position: Iterable[float] | None = None
    ) -> Annotation:
        old = self.annotation(annotation_id)
        owner = f"annotation '{annotation_id}'"
        new = Annotation(
            old.id,
            old.text if text is None else check_text(text, f"{owner}: text"),
            old.position if position is None else check_position(tuple(position), owner),
        )
        if new != old:
            self._annotations[annotation_id] = new
            self.events.annotation_changed.emit(new, old)
        return new

    # -- copies --------------------------------------------------------------------------------

    def subgraph(self, node_ids: Iterable[str], *, annotation_ids: Iterable[str] = ()) -> Graph:
        """A new graph holding the given nodes, the edges among them and the given annotations."""
        keep = {self.node(n).id for n in node_ids}
        sub = Graph(self._name, self._description, catalog=self._catalog)
        for node_id in self._nodes:
            if node_id in keep:
                sub._store_node(self._nodes[node_id])
        for edge, is_signal in self._edges.items():
            if edge.src_node in keep and edge.dst_node in keep:
                sub._store_edge(edge, is_signal)
        for annotation_id in annotation_ids:
            sub._annotations[annotation_id] = self.annotation(annotation_id)
        return sub

    def copy(self) -> Graph:
        """An independent copy (same entities, no listeners)."""
        return self.subgraph(self._nodes, annotation_ids=self._annotations)

    # -- bulk loading (package-internal: the file format) --------------------------------------

    def _load_node(self, node: Node, *, strict: bool) -> None:
        self._store_node(self._checked_node(node, strict=strict))

    def _load_edge(self, edge: Edge, *, strict: bool) -> None:
        if strict:
            self._store_edge(edge, self._check_edge(edge, check_cycle=False))
            return
        self.node(edge.src_node)
        self.node(edge.dst_node)
        if edge in self._edges:
            raise DuplicateEdgeError(
                f"'{edge.source}' is connected to '{edge.target}' twice",
                node_id=edge.dst_node,
                port=edge.dst_port,
            )
        kind = self.catalog.find(self._nodes[edge.src_node].kind)
        port = kind.output(edge.src_port) if kind else None
        self._store_edge(edge, port is not None and port.type == SIGNAL)
