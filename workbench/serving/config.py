"""From a graph file and a node id to what the REST service serves.

Owns :class:`ServeConfig` (what is served, how traffic is split, where things are logged) and
:class:`Binding` (one registered model alias the service follows).

Rules:

* An ``inference`` node serves one model: the alias its ``model_name``/``alias`` parameters
  name. When its ``model`` port is fed by a ``promote`` node, that node's ``model_name`` and
  ``alias`` (default ``champion``) win, as in a run, where the inference step scores exactly
  the model the promote node moved the alias to. A node fed by anything else (a trainer, an
  approval gate) falls back to its own alias parameters; without an alias it cannot be served,
  because the REST service only follows registered aliases.
* A ``comparator`` node serves two models: the bindings of the inference nodes feeding its
  ``champion`` and ``challenger`` ports, with ``traffic_split`` (share of requests the
  challenger answers) and ``shadow`` (the challenger scores every request but never answers)
  from the comparator's parameters. In both modes both models score every row.
* Names follow the orchestrator (``<graph name>/<node id>``): deployment events name the
  inference node that holds the binding. Logged predictions go to the inference node's own
  source when one inference node is served, and to ``<graph name>/<comparator id>/champion``
  and ``…/challenger`` when a comparator is served, so the comparator finds both sides of
  the same requests under its own name.
* Expectations (``monitoring.expectations``) come from the ``expectations`` parameter of the
  served inference node, or under a comparator from the inference nodes of both sides (one
  spec: the champion's rules win for a column both declare). A spec that cannot be used stops
  the service before it starts, naming the node.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import InvalidInputError

__all__ = ["Binding", "ServeConfig", "resolve_config", "resolve_graph"]

MODES = ("single", "canary", "shadow")


@dataclass(frozen=True)
class Binding:
    """One model alias the service follows, and where its outputs go."""

    variant: str  # "champion" / "challenger" under a comparator; the alias for one node
    node_id: str  # the inference node that holds the binding
    model_name: str
    alias: str
    deployment_source: str  # "<graph>/<inference node>": deployment events
    log_source: str  # where this variant's predictions and windows are logged


@dataclass(frozen=True)
class ServeConfig:
    graph_name: str
    graph_path: str
    node_id: str
    node_kind: str  # "inference" | "comparator"
    bindings: tuple[Binding, ...]
    traffic_split: float = 0.0
    shadow: bool = False
    comparator_mode: str = ""
    expectations: dict[str, Any] | None = None  # the served rows' expectations (module rules)

    @property
    def mode(self) -> str:
        """``single`` (one inference node), ``canary`` or ``shadow`` (a comparator)."""
        if self.node_kind != "comparator":
            return "single"
        return "shadow" if self.shadow else "canary"

    @property
    def source(self) -> str:
        return f"{self.graph_name}/{self.node_id}"

    def binding(self, variant: str) -> Binding:
        for binding in self.bindings:
            if binding.variant == variant:
                return binding
        raise KeyError(variant)


def resolve_graph(graph_path: str | Path) -> Any:
    """The graph (``workbench.graph.Graph``) in ``graph_path``; clear errors if unusable."""
    from workbench.graph import load

    return load(Path(graph_path))


def _where(graph_path: str, node_id: str) -> str:
    return f"{graph_path}: node {node_id!r}"


def _binding_of(graph: Any, graph_path: str, node_id: str, variant: str | None,
                log_source: str | None) -> Binding:
    node = graph.nodes[node_id]
    where = _where(graph_path, node_id)
    params = dict(node.params)
    name = str(params.get("model_name") or "").strip()
    alias = str(params.get("alias") or "").strip()
    feeders = [e.src_node for e in graph.edges_into(node_id, "model")]
    promoters = [n for n in feeders if graph.nodes[n].kind == "promote"]
    if promoters:
        promote = dict(graph.nodes[promoters[0]].params)
        name = str(promote.get("model_name") or name).strip()
        alias = str(promote.get("alias") or "champion").strip()
    if not name or not alias:
        fed_by = f" (its model comes from {feeders[0]!r}, which moves no alias)" if feeders else ""
        raise InvalidInputError(
            f"the inference node is not bound to a registered model alias{fed_by}", where=where,
            hint="set its model_name and alias parameters, or feed its model port from a "
                 "promote node")
    source = f"{graph.name}/{node_id}"
    return Binding(variant=variant or alias, node_id=node_id, model_name=name, alias=alias,
                   deployment_source=source, log_source=log_source or source)


def _comparator_side(graph: Any, graph_path: str, node_id: str, port: str) -> str:
    edges = graph.edges_into(node_id, port)
    where = _where(graph_path, node_id)
    if not edges:
        raise InvalidInputError(f"nothing is connected to the comparator's {port!r} port",
                                where=where, hint=f"connect an inference node to {node_id}.{port}")
    src = edges[0].src_node
    if graph.nodes[src].kind != "inference":
        raise InvalidInputError(
            f"the comparator's {port!r} port is fed by {src!r}, a {graph.nodes[src].kind} "
            "node; serving needs an inference node there", where=where)
    return src


def _expectations(graph: Any, graph_path: str, node_ids: list[str]) -> dict[str, Any] | None:
    """One spec from the ``expectations`` of ``node_ids`` (the first node's rules win)."""
    from workbench.monitoring.expectations import check_spec

    merged: dict[str, Any] = {}
    for node_id in reversed(node_ids):
        spec = dict(graph.nodes[node_id].params).get("expectations")
        if not spec:
            continue
        problems = check_spec(spec)
        if problems:
            raise InvalidInputError("parameter 'expectations': " + "; ".join(problems),
                                    where=_where(graph_path, node_id),
                                    hint="use rows {min, max} and columns {name: {type, min, max, "
                                         "allowed, max_null_rate, unique}}")
        if spec.get("rows"):
            merged["rows"] = dict(spec["rows"])
        merged.setdefault("columns", {}).update({k: dict(v) for k, v in (spec.get("columns") or {}).items()})
    return merged or None


def resolve_config(graph_path: str | Path, node_id: str, graph: Any | None = None) -> ServeConfig:
    """What serving ``node_id`` of the graph in ``graph_path`` means (see the module rules)."""
    path = str(graph_path)
    graph = graph if graph is not None else resolve_graph(graph_path)
    if node_id not in graph.nodes:
        known = [n for n, node in graph.nodes.items() if node.kind in ("inference", "comparator")]
        raise InvalidInputError(
            f"no node {node_id!r} in the graph {graph.name!r}", where=path,
            hint=f"nodes that can be served: {', '.join(sorted(known)) or 'none'}")
    node = graph.nodes[node_id]
    if node.kind == "inference":
        binding = _binding_of(graph, path, node_id, None, None)
        return ServeConfig(graph_name=graph.name, graph_path=path, node_id=node_id,
                           node_kind="inference", bindings=(binding,),
                           expectations=_expectations(graph, path, [node_id]))
    if node.kind == "comparator":
        params = dict(node.params)
        sides = []
        for variant in ("champion", "challenger"):
            src = _comparator_side(graph, path, node_id, variant)
            sides.append(_binding_of(graph, path, src, variant,
                                     f"{graph.name}/{node_id}/{variant}"))
        split = float(params.get("traffic_split", 0.1))
        if not 0.0 <= split <= 1.0:
            raise InvalidInputError(f"traffic_split must lie in [0, 1], got {split}",
                                    where=_where(path, node_id))
        return ServeConfig(graph_name=graph.name, graph_path=path, node_id=node_id,
                           node_kind="comparator", bindings=tuple(sides), traffic_split=split,
                           shadow=bool(params.get("shadow", False)),
                           comparator_mode=str(params.get("mode") or "canary"),
                           expectations=_expectations(graph, path, [b.node_id for b in sides]))
    raise InvalidInputError(
        f"a {node.kind} node cannot be served", where=_where(path, node_id),
        hint="serve an inference node (one model) or a comparator node (champion and challenger)")
