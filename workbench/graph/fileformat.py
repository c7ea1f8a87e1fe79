"""The graph file format: versioned, human-readable YAML that diffs cleanly in Git.

Rules:

* ``dumps`` writes one canonical form: top-level keys ``format``, ``version``, ``name``,
  ``description``, ``nodes``, ``edges``, ``annotations`` in that order; nodes sorted by id with
  keys ``id, kind, title, position, target`` (only when set) ``, params`` (keys sorted, also
  inside mappings); edges sorted, each ``{from: node.port, to: node.port}``; annotations
  sorted by id. ``dumps(loads(dumps(g))) == dumps(g)``, byte for byte.
* ``loads`` reads any supported version and upgrades it in memory (version 1: node ``pos`` and
  ``links: [[src, src_port, dst, dst_port], …]``); a file from a newer workbench is refused.
* Reading goes through ``yamlsafe`` (safe, hostile-input proof). A file that cannot be used
  raises ``GraphFileError`` (exit 2); a file that parses but is not a valid graph raises
  ``GraphFormatError`` (exit 1) whose ``where`` names the file, the line and the node id.
* ``strict`` loading (the default) accepts only what the editing API could have built;
  ``strict=False`` also accepts unknown kinds and bad parameter values (for the editor to
  show), which ``validate`` then reports. Cycles over non-signal edges are checked once, after
  all edges are in, so loading stays linear.
* ``save`` writes atomically: a temporary file beside the target, then ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from workbench.graph.catalog import Catalog, is_plain_data
from workbench.graph.entities import Annotation, Edge, Node
from workbench.graph.errors import (
    GraphError,
    GraphFileError,
    GraphFormatError,
    UnknownNodeKindError,
)
from workbench.graph.model import Graph
from workbench.graph.yamlsafe import (
    FlowList,
    FlowMap,
    ParsedYaml,
    dump_yaml,
    parse_yaml,
    read_limited,
)

__all__ = ["FORMAT", "VERSION", "dump_data", "dumps", "load", "loads", "save"]

FORMAT = "mlops-workbench/graph"
VERSION = 2

_TOP_KEYS = ("format", "version", "name", "description", "nodes", "edges", "annotations")
_NODE_KEYS = ("id", "kind", "title", "position", "target", "params")
_ANNOTATION_KEYS = ("id", "text", "position")
_V1_TOP_KEYS = ("format", "version", "name", "description", "nodes", "links")
_V1_NODE_KEYS = ("id", "kind", "title", "pos", "params")


# -- writing -----------------------------------------------------------------------------------


def _sorted_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_plain(value[k]) for k in sorted(value)}
    if isinstance(value, list | tuple):
        return [_sorted_plain(v) for v in value]
    return value


def _node_data(node: Node) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": node.id,
        "kind": node.kind,
        "title": node.title,
        "position": FlowList(float(v) for v in node.position),
    }
    if node.target is not None:
        data["target"] = node.target
    data["params"] = _sorted_plain(dict(node.params))
    return data


def dump_data(graph: Graph) -> dict[str, Any]:
    """The canonical plain data of ``graph`` (what ``dumps`` writes)."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "name": graph.name,
        "description": graph.description,
        "nodes": [_node_data(graph.nodes[k]) for k in sorted(graph.nodes)],
        "edges": [FlowMap({"from": e.source, "to": e.target}) for e in sorted(graph.edges)],
        "annotations": [
            {"id": a.id, "text": a.text, "position": FlowList(a.position)}
            for a in (graph.annotations[k] for k in sorted(graph.annotations))
        ],
    }


def dumps(graph: Graph) -> str:
    """``graph`` as canonical YAML text (see the module rules)."""
    return dump_yaml(dump_data(graph))


def save(graph: Graph, path: str | os.PathLike[str]) -> None:
    """Write ``graph`` to ``path`` atomically (``GraphFileError`` if it cannot be written)."""
    target = Path(path)
    payload = dumps(graph).encode("utf-8")
    try:
        mode = target.stat().st_mode & 0o777
    except (OSError, ValueError):
        mode = 0o644
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or "."
        )
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, mode)
        os.replace(tmp_name, target)
        tmp_name = None
    except (OSError, ValueError) as exc:
        raise GraphFileError(
            f"cannot write the graph: {getattr(exc, 'strerror', None) or exc}", where=str(path)
        ) from None
    finally:
        if tmp_name is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)


# -- reading -----------------------------------------------------------------------------------


class _Reader:
    """Turns the plain data of one document into a ``Graph``, reporting file, line and node."""

    def __init__(self, source: str, parsed: ParsedYaml, strict: bool, catalog: Catalog | None):
        self.source = source
        self.parsed = parsed
        self.strict = strict
        self.catalog = catalog
        self.version = VERSION
        self.node_index: dict[str, int] = {}

    # errors

    def line(self, path: tuple[str | int, ...]) -> int:
        if self.version == 1:
            rename = {"edges": "links", "position": "pos"}
            path = tuple(rename.get(p, p) if isinstance(p, str) else p for p in path)
        return self.parsed.line(path)

    def fail(
        self,
        message: str,
        path: tuple[str | int, ...] = (),
        *,
        node_id: str | None = None,
        hint: str | None = None,
        cls: type[GraphFormatError] | Callable[..., Exception] = GraphFormatError,
    ) -> NoReturn:
        where = f"{self.source}, line {self.line(path)}"
        if node_id is not None:
            where += f", node '{node_id}'"
        raise cls(message, where=where, hint=hint)

    def fail_from(
        self, exc: GraphError, path: tuple[str | int, ...], node_id: str | None
    ) -> NoReturn:
        message = exc.message
        if node_id is not None:
            for prefix in (f"node '{node_id}': ", f"node '{node_id}', "):
                message = message.removeprefix(prefix)
        where = f"{self.source}, line {self.line(path)}"
        if node_id is not None:
            where += f", node '{node_id}'"
        raise GraphFormatError(
            message, where=where, hint=exc.hint, node_id=node_id, port=exc.port, param=exc.param
        ) from exc

    # checks of plain values

    def expect(
        self,
        value: Any,
        types: type | tuple[type, ...],
        what: str,
        path: tuple[str | int, ...],
        node_id: str | None = None,
    ) -> Any:
        if isinstance(value, bool) and bool not in (
            types if isinstance(types, tuple) else (types,)
        ):
            ok = False
        else:
            ok = isinstance(value, types)
        if not ok:
            self.fail(
                f"{what} must be {_describe(types)}, got {_show(value)}", path, node_id=node_id
            )
        return value

    def mapping_keys(
        self,
        data: dict[Any, Any],
        allowed: tuple[str, ...],
        what: str,
        path: tuple[str | int, ...],
        node_id: str | None = None,
    ) -> None:
        for key in data:
            if key not in allowed:
                self.fail(
                    f"unknown key {key!r} in {what}",
                    (*path, key) if isinstance(key, str) else path,
                    node_id=node_id,
                    hint="allowed: " + ", ".join(allowed),
                )

    def text(
        self, value: Any, what: str, path: tuple[str | int, ...], node_id: str | None = None
    ) -> str:
        self.expect(value, str, what, path, node_id)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            self.fail(f"{what} holds unpaired surrogate characters", path, node_id=node_id)
        if "\x00" in value:
            self.fail(f"{what} holds a NUL character", path, node_id=node_id)
        return value

    # the document

    def read(self, data: Any) -> Graph:
        self.expect(data, dict, "a graph file", (), None)
        fmt = data.get("format")
        if fmt != FORMAT:
            self.fail(
                f"not a workbench graph file (format is {_show(fmt)})"
                if "format" in data
                else "not a workbench graph file (no 'format' key)",
                ("format",),
                hint=f"the first line of a graph file is 'format: {FORMAT}'",
            )
        version = data.get("version")
        if "version" not in data:
            self.fail("the 'version' key is missing", (), hint=f"the current version is {VERSION}")
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            self.fail(
                f"version must be a whole number from 1 to {VERSION}, got {_show(version)}",
                ("version",),
            )
        if version > VERSION:
            self.fail(
                f"the file has format version {version}; this workbench reads versions 1 to {VERSION}",
                ("version",),
                cls=GraphFileError,
                hint="open it with a newer workbench",
            )
        self.version = version
        if version == 1:
            data = self.upgrade_v1(data)
        self.mapping_keys(data, _TOP_KEYS, "the graph file", ())
        graph = Graph(
            self.text(data.get("name", "untitled"), "name", ("name",)),
            self.text(data.get("description", ""), "description", ("description",)),
            catalog=self.catalog,
        )
        nodes = self.expect(data.get("nodes", []), list, "'nodes'", ("nodes",))
        for i, item in enumerate(nodes):
            self.read_node(graph, item, i)
        edges = self.expect(data.get("edges", []), list, "'edges'", ("edges",))
        edge_index: dict[Edge, int] = {}
        for j, item in enumerate(edges):
            edge_index[self.read_edge(graph, item, j)] = j
        if self.strict:
            self.check_cycles(graph, edge_index)
        notes = self.expect(data.get("annotations", []), list, "'annotations'", ("annotations",))
        for k, item in enumerate(notes):
            self.read_annotation(graph, item, k)
        return graph

    def read_node(self, graph: Graph, item: Any, i: int) -> None:
        path: tuple[str | int, ...] = ("nodes", i)
        self.expect(item, dict, f"node #{i + 1}", path)
        raw_id = item.get("id")
        node_id = raw_id if isinstance(raw_id, str) else None
        if "id" not in item:
            self.fail(f"node #{i + 1} has no 'id'", path)
        self.text(raw_id, "the node id", (*path, "id"))
        self.mapping_keys(item, _NODE_KEYS, f"node '{node_id}'", path, node_id)
        if "kind" not in item:
            self.fail("the node has no 'kind'", path, node_id=node_id)
        kind = self.text(item["kind"], "'kind'", (*path, "kind"), node_id)
        spec = graph.catalog.find(kind)
        title = item.get("title", spec.title if spec else kind)
        self.text(title, "'title'", (*path, "title"), node_id)
        position = item.get("position", [0.0, 0.0])
        ok = (
            isinstance(position, list)
            and len(position) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
        )
        if not ok:
            self.fail(
                f"'position' must be two numbers [x, y], got {_show(position)}",
                (*path, "position"),
                node_id=node_id,
            )
        target = item.get("target")
        if target is not None:
            self.text(target, "'target'", (*path, "target"), node_id)
        params = self.expect(item.get("params", {}), dict, "'params'", (*path, "params"), node_id)
        for name, value in params.items():
            if not isinstance(name, str):
                self.fail(
                    f"parameter names must be text, got {_show(name)}",
                    (*path, "params"),
                    node_id=node_id,
                )
            if not is_plain_data(value):
                self.fail(
                    f"parameter '{name}' must hold plain values, got {_show(value)}",
                    (*path, "params", name),
                    node_id=node_id,
                )
        node = Node(node_id, kind, title, tuple(position), params, target)  # type: ignore[arg-type]
        try:
            graph._load_node(node, strict=self.strict)
        except GraphError as exc:
            field: tuple[str, ...] = ()
            if isinstance(exc, UnknownNodeKindError):
                field = ("kind",)
            elif exc.param is not None:
                field = ("params", exc.param)
            self.fail_from(exc, (*path, *field), node_id)
        self.node_index[node.id] = i

    def read_edge(self, graph: Graph, item: Any, j: int) -> Edge:
        path: tuple[str | int, ...] = ("edges", j)
        self.expect(item, dict, f"edge #{j + 1}", path)
        self.mapping_keys(item, ("from", "to"), f"edge #{j + 1}", path)
        ends = []
        for key in ("from", "to"):
            if key not in item:
                self.fail(f"edge #{j + 1} has no '{key}'", path)
            end = self.text(item[key], f"'{key}' of edge #{j + 1}", (*path, key))
            node_id, dot, port = end.partition(".")
            if not dot or not node_id or not port:
                self.fail(f"'{key}' must be written node.port, got {_show(end)}", (*path, key))
            ends.append((node_id, port))
        edge = Edge(ends[0][0], ends[0][1], ends[1][0], ends[1][1])
        try:
            graph._load_edge(edge, strict=self.strict)
        except GraphError as exc:
            self.fail_from(exc, path, None)
        return edge

    def check_cycles(self, graph: Graph, edge_index: dict[Edge, int]) -> None:
        cycles = graph.cycles()
        if not cycles:
            return
        cycle = cycles[0]
        closing = next(
            (
                e
                for e in graph.edges_into(cycle[0])
                if e.src_node == cycle[-1] and not graph.is_signal_edge(e)
            ),
            None,
        )
        path: tuple[str | int, ...] = (
            ("edges", edge_index[closing]) if closing in edge_index else ()
        )
        self.fail(
            "the edges form a cycle " + " -> ".join([*cycle, cycle[0]]),
            path,
            node_id=cycle[0],
            hint="only 'signal' edges (alerts, triggers) may form feedback loops",
        )

    def read_annotation(self, graph: Graph, item: Any, k: int) -> None:
        path: tuple[str | int, ...] = ("annotations", k)
        self.expect(item, dict, f"annotation #{k + 1}", path)
        self.mapping_keys(item, _ANNOTATION_KEYS, f"annotation #{k + 1}", path)
        if "id" not in item:
            self.fail(f"annotation #{k + 1} has no 'id'", path)
        annotation_id = self.text(item["id"], "the annotation id", (*path, "id"))
        text = self.text(item.get("text", ""), "the annotation text", (*path, "text"))
        position = item.get("position", [0.0, 0.0])
        if not isinstance(position, list):
            self.fail(
                f"'position' must be two numbers [x, y], got {_show(position)}", (*path, "position")
            )
        try:
            graph.insert_annotation(Annotation(annotation_id, text, tuple(position)))  # type: ignore[arg-type]
        except GraphError as exc:
            self.fail_from(exc, path, None)

    def upgrade_v1(self, data: dict[Any, Any]) -> dict[str, Any]:
        """Version 1 → 2: node ``pos`` became ``position``; ``links`` lists became ``edges``."""
        for key in data:
            if key not in _V1_TOP_KEYS:
                self.fail(
                    f"unknown key {key!r} in a version 1 graph file",
                    (),
                    hint="allowed: " + ", ".join(_V1_TOP_KEYS),
                )
        nodes = self.expect(data.get("nodes", []), list, "'nodes'", ("nodes",))
        upgraded_nodes = []
        for i, item in enumerate(nodes):
            self.expect(item, dict, f"node #{i + 1}", ("nodes", i))
            node_id = item.get("id") if isinstance(item.get("id"), str) else None
            self.mapping_keys(
                item, _V1_NODE_KEYS, f"node '{node_id}' (version 1)", ("nodes", i), node_id
            )
            new = {("position" if k == "pos" else k): v for k, v in item.items()}
            upgraded_nodes.append(new)
        links = self.expect(data.get("links", []), list, "'links'", ("edges",))
        edges = []
        for j, link in enumerate(links):
            ok = isinstance(link, list) and len(link) == 4 and all(isinstance(p, str) for p in link)
            if not ok:
                self.fail(
                    f"link #{j + 1} must be [source, source_port, target, target_port], got {_show(link)}",
                    ("edges", j),
                )
            edges.append({"from": f"{link[0]}.{link[1]}", "to": f"{link[2]}.{link[3]}"})
        upgraded = {k: v for k, v in data.items() if k in ("name", "description")}
        upgraded.update(format=FORMAT, version=VERSION, nodes=upgraded_nodes, edges=edges)
        return upgraded


def _describe(types: type | tuple[type, ...]) -> str:
    names = {
        dict: "a mapping",
        list: "a list",
        str: "text",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
    }
    if isinstance(types, tuple):
        return " or ".join(names.get(t, t.__name__) for t in types)
    return names.get(types, types.__name__)


def _show(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    text = repr(value)
    if len(text) <= 60:
        return text
    if isinstance(value, dict | list):
        what = "a mapping" if isinstance(value, dict) else "a list"
        return f"{what} of {len(value)} items"
    return text[:57] + "..."


def loads(
    text: str | bytes,
    source: str = "<string>",
    *,
    strict: bool = True,
    catalog: Catalog | None = None,
) -> Graph:
    """Read a graph from YAML text (or UTF-8 bytes); ``source`` names it in messages."""
    parsed = parse_yaml(text, source)
    return _Reader(source, parsed, strict, catalog).read(parsed.data)


def load(
    path: str | os.PathLike[str], *, strict: bool = True, catalog: Catalog | None = None
) -> Graph:
    """Read a graph file (at most ``yamlsafe.MAX_BYTES``)."""
    return loads(read_limited(path), str(path), strict=strict, catalog=catalog)
