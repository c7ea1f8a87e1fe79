"""Planning a graph into steps: which nodes run, in which order, after which others.

Rules: dependencies follow non-signal edges only (signal edges are feedback: an alert that
starts a later run, never a dependency inside one); an inference node bound to a model's
alias also waits for the run's promotions of that model. ``trigger`` nodes are policies, not
steps. A run of part of a graph (what a trigger starts) takes the named nodes, everything
downstream of them, and everything upstream that those need.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.errors import InvalidInputError

CONTROL_KINDS = frozenset({"approval_gate", "promote"})
POLICY_KINDS = frozenset({"trigger"})


@dataclass(frozen=True)
class PlannedStep:
    node_id: str
    kind: str
    deps: tuple[str, ...]
    target: str

    @property
    def control(self) -> bool:
        """Run by the orchestrator itself (it needs the store), not by an engine."""
        return self.kind in CONTROL_KINDS


@dataclass(frozen=True)
class Plan:
    steps: tuple[PlannedStep, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {s.node_id: s for s in self.steps})

    def get(self, node_id: str) -> PlannedStep:
        return self._index[node_id]  # type: ignore[attr-defined]

    @property
    def node_ids(self) -> list[str]:
        return [s.node_id for s in self.steps]


def part_started_by(graph, trigger_id: str) -> set[str]:  # noqa: ANN001 - workbench.graph.Graph
    """The nodes a trigger starts: those its signal reaches, and everything downstream."""
    started = {e.dst_node for e in graph.edges_out_of(trigger_id)}
    part = set(started)
    for node_id in started:
        part |= graph.downstream(node_id)
    return {n for n in part if graph.nodes[n].kind not in POLICY_KINDS}


def plan(graph, nodes: Iterable[str] | None = None, default_target: str = "local") -> Plan:  # noqa: ANN001
    """Steps in dependency order for the whole graph, or for ``nodes`` and what they need."""
    runnable = {n for n, node in graph.nodes.items() if node.kind not in POLICY_KINDS}
    if nodes is None:
        chosen = set(runnable)
    else:
        wanted = list(nodes)
        unknown = [n for n in wanted if n not in graph.nodes]
        if unknown:
            raise InvalidInputError(f"node {unknown[0]!r} is not in the graph {graph.name!r}")
        chosen = set()
        for node_id in wanted:
            if node_id in runnable:
                chosen |= {node_id} | graph.downstream(node_id)
        for node_id in list(chosen):
            chosen |= graph.upstream(node_id)
        chosen &= runnable
    graph_order = [n for n in graph.topological_order() if n in chosen]
    promoters: dict[str, set[str]] = {}
    for node_id in graph_order:
        node = graph.nodes[node_id]
        if node.kind == "promote" and node.params.get("model_name"):
            promoters.setdefault(node.params["model_name"], set()).add(node_id)
    deps: dict[str, set[str]] = {}
    for node_id in graph_order:
        node = graph.nodes[node_id]
        deps[node_id] = {p for p in graph.predecessors(node_id, include_signals=False) if p in chosen}
        if node.kind == "inference" and node.params.get("alias") and not graph.edges_into(node_id, "model"):
            # Scoring through an alias waits for this run's promotions of that model, so it
            # serves what the run promotes rather than racing it.
            deps[node_id] |= {p for p in promoters.get(node.params.get("model_name") or "", set())
                              if node_id not in graph.upstream(p)}
    rank = {n: i for i, n in enumerate(graph_order)}
    waiting = {n: len(d) for n, d in deps.items()}
    dependants: dict[str, list[str]] = {n: [] for n in graph_order}
    for node_id, needs in deps.items():
        for need in needs:
            dependants[need].append(node_id)
    ready = [rank[n] for n in graph_order if waiting[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:  # a stable topological sort over data edges plus those implicit waits
        node_id = graph_order[heapq.heappop(ready)]
        order.append(node_id)
        for follower in dependants[node_id]:
            waiting[follower] -= 1
            if waiting[follower] == 0:
                heapq.heappush(ready, rank[follower])
    if len(order) < len(graph_order):
        stuck = [n for n in graph_order if waiting[n] > 0]
        raise InvalidInputError(f"the graph {graph.name!r} cannot be ordered: {', '.join(stuck)} "
                                "wait on each other through model aliases")
    steps = [PlannedStep(n, graph.nodes[n].kind, tuple(sorted(deps[n])), graph.nodes[n].target or default_target)
             for n in order]
    return Plan(tuple(steps))
