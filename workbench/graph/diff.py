"""What changed between two versions of a graph, and the three-way merge of two people's edits.

Both work on the canonical plain data of a graph (``fileformat.dump_data``), so any two
versions compare alike whatever catalog they were read with.

* :func:`diff` lists nodes added, removed, moved (position only) and changed (kind, title,
  target or parameters, each parameter with its old and new value), edges added and removed,
  annotations added, removed and changed, and a changed name or description.
* :func:`merge` takes the version both people started from (``base``), ``mine`` and
  ``theirs``. A node (or annotation, or the name/description) that only one side changed takes
  that side's version; one both changed alike is kept; one both changed differently is a
  conflict, unless the only difference is where it sits (then ``mine`` wins). An edge stays
  when neither side removed it, and comes in when either side added it; an edge to a node the
  other side removed is a conflict. Without conflicts the merged data is returned; the caller
  reads it back with ``fileformat.loads``, which checks the result still holds (no cycle, ports
  that exist).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["GraphDiff", "MergeResult", "NodeChange", "diff", "merge"]

Data = dict[str, Any]
_NODE_FIELDS = ("kind", "title", "target")


@dataclass(frozen=True)
class NodeChange:
    """One node's change: ``added``, ``removed``, ``moved`` or ``changed``."""

    node_id: str
    change: str
    kind: str = ""
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # kind/title/target/position
    params: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name → (old, new); None: unset

    def as_dict(self) -> dict[str, Any]:
        return {"node": self.node_id, "change": self.change, "kind": self.kind,
                "fields": {k: list(v) for k, v in self.fields.items()},
                "params": {k: list(v) for k, v in self.params.items()}}

    def text(self) -> str:
        if self.change in ("added", "removed"):
            return f"{self.change} node {self.node_id!r} ({self.kind})"
        if self.change == "moved":
            return f"moved node {self.node_id!r}"
        parts = [f"{name} {old!r} → {new!r}" for name, (old, new) in self.fields.items()
                 if name != "position"]
        parts += [f"{name}: {_shown(old)} → {_shown(new)}" for name, (old, new) in self.params.items()]
        return f"changed node {self.node_id!r}: " + "; ".join(parts)


def _shown(value: Any) -> str:
    return "(unset)" if value is None else repr(value)


@dataclass(frozen=True)
class GraphDiff:
    nodes: tuple[NodeChange, ...] = ()
    edges_added: tuple[str, ...] = ()
    edges_removed: tuple[str, ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()  # (annotation id, added/removed/changed)
    info: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # name / description

    @property
    def empty(self) -> bool:
        return not (self.nodes or self.edges_added or self.edges_removed or self.annotations
                    or self.info)

    def as_dict(self) -> dict[str, Any]:
        return {"nodes": [n.as_dict() for n in self.nodes], "edges_added": list(self.edges_added),
                "edges_removed": list(self.edges_removed),
                "annotations": [{"id": a, "change": c} for a, c in self.annotations],
                "info": {k: list(v) for k, v in self.info.items()}}

    def lines(self) -> list[str]:
        out = [f"{name} {old!r} → {new!r}" for name, (old, new) in self.info.items()]
        out += [n.text() for n in self.nodes]
        out += [f"added edge {e}" for e in self.edges_added]
        out += [f"removed edge {e}" for e in self.edges_removed]
        out += [f"{c} note {a!r}" for a, c in self.annotations]
        return out


def _by_id(items: list[Data] | None) -> dict[str, Data]:
    return {str(item["id"]): item for item in items or ()}


def _edges(data: Data) -> set[str]:
    return {f"{e['from']} → {e['to']}" for e in data.get("edges") or ()}


def _node_change(node_id: str, old: Data, new: Data) -> NodeChange | None:
    fields = {name: (old.get(name), new.get(name)) for name in _NODE_FIELDS
              if old.get(name) != new.get(name)}
    old_params, new_params = dict(old.get("params") or {}), dict(new.get("params") or {})
    params = {name: (old_params.get(name), new_params.get(name))
              for name in sorted(set(old_params) | set(new_params))
              if old_params.get(name) != new_params.get(name)}
    moved = list(old.get("position") or ()) != list(new.get("position") or ())
    if moved:
        fields["position"] = (list(old.get("position") or ()), list(new.get("position") or ()))
    if not fields and not params:
        return None
    change = "moved" if moved and len(fields) == 1 and not params else "changed"
    return NodeChange(node_id, change, str(new.get("kind", "")), fields, params)


def diff(old: Data, new: Data) -> GraphDiff:
    """What changed from ``old`` to ``new`` (plain data of two graphs)."""
    before, after = _by_id(old.get("nodes")), _by_id(new.get("nodes"))
    nodes: list[NodeChange] = []
    for node_id in sorted(set(before) | set(after)):
        if node_id not in before:
            nodes.append(NodeChange(node_id, "added", str(after[node_id].get("kind", ""))))
        elif node_id not in after:
            nodes.append(NodeChange(node_id, "removed", str(before[node_id].get("kind", ""))))
        else:
            change = _node_change(node_id, before[node_id], after[node_id])
            if change is not None:
                nodes.append(change)
    edges_old, edges_new = _edges(old), _edges(new)
    notes_old, notes_new = _by_id(old.get("annotations")), _by_id(new.get("annotations"))
    notes = [(a, "added" if a not in notes_old else "removed" if a not in notes_new else "changed")
             for a in sorted(set(notes_old) | set(notes_new)) if notes_old.get(a) != notes_new.get(a)]
    info = {name: (old.get(name), new.get(name)) for name in ("name", "description")
            if old.get(name) != new.get(name)}
    return GraphDiff(tuple(nodes), tuple(sorted(edges_new - edges_old)),
                     tuple(sorted(edges_old - edges_new)), tuple(notes), info)


@dataclass(frozen=True)
class MergeResult:
    data: Data | None  # the merged plain data; None when there are conflicts
    conflicts: tuple[str, ...] = ()  # one line per conflicting node, edge, note or field
    conflicting_nodes: tuple[str, ...] = ()


def _without_position(item: Data | None) -> Data | None:
    return None if item is None else {k: v for k, v in item.items() if k != "position"}


def _pick(key: str, base: Data | None, mine: Data | None, theirs: Data | None,
          what: str, conflicts: list[str], positional: bool) -> Data | None:
    if mine == base:
        return theirs
    if theirs == base or mine == theirs:
        return mine
    if positional and _without_position(mine) == _without_position(theirs):
        return mine  # both moved it: where I put it
    side = ("removed it" if mine is None else "changed it"), ("removed it" if theirs is None else "changed it")
    conflicts.append(f"{what} {key!r}: you {side[0]}, and the saved version {side[1]}")
    return mine


def merge(base: Data | None, mine: Data, theirs: Data) -> MergeResult:
    """Three-way merge of plain graph data (see the module rules)."""
    base = base or {"nodes": [], "edges": [], "annotations": []}
    conflicts: list[str] = []
    b, m, t = _by_id(base.get("nodes")), _by_id(mine.get("nodes")), _by_id(theirs.get("nodes"))
    nodes: dict[str, Data] = {}
    conflicting: list[str] = []
    for node_id in sorted(set(b) | set(m) | set(t)):
        before = len(conflicts)
        chosen = _pick(node_id, b.get(node_id), m.get(node_id), t.get(node_id), "node", conflicts, True)
        if len(conflicts) > before:
            conflicting.append(node_id)
        if chosen is not None:
            nodes[node_id] = chosen
    eb, em, et = _edges(base), _edges(mine), _edges(theirs)
    kept = (eb & em & et) | (em - eb) | (et - eb)
    edges = []
    for edge in sorted(kept):
        source, target = (end.split(".", 1)[0] for end in edge.split(" → "))
        if source in nodes and target in nodes:
            frm, to = edge.split(" → ")
            edges.append({"from": frm, "to": to})
        else:
            gone = source if source not in nodes else target
            conflicts.append(f"edge {edge}: it was added on one side, and node {gone!r} was removed "
                             "on the other")
            conflicting.append(gone)
    nb, nm, nt = _by_id(base.get("annotations")), _by_id(mine.get("annotations")), _by_id(theirs.get("annotations"))
    notes = []
    for note in sorted(set(nb) | set(nm) | set(nt)):
        chosen = _pick(note, nb.get(note), nm.get(note), nt.get(note), "note", conflicts, True)
        if chosen is not None:
            notes.append(chosen)
    merged: Data = {key: mine[key] for key in mine if key not in ("nodes", "edges", "annotations")}
    for name in ("name", "description"):
        values = {"value": base.get(name)}, {"value": mine.get(name)}, {"value": theirs.get(name)}
        chosen = _pick(name, *values, "the graph's", conflicts, False)
        merged[name] = (chosen or {}).get("value")
    if conflicts:
        return MergeResult(None, tuple(conflicts), tuple(dict.fromkeys(conflicting)))
    merged.update(nodes=[nodes[k] for k in sorted(nodes)], edges=edges, annotations=notes)
    return MergeResult(merged)
