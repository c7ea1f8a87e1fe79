"""Read-only questions about a graph's shape: fan-in/fan-out, reachability, order and cycles.

Rules: a mixin of ``Graph`` that only reads the adjacency dicts (``_in``, ``_out``) and the edge
table (``_edges``: edge -> is a signal edge). Signal edges are feedback edges: reachability and
ordering skip them unless asked, so a drift alert -> trigger -> retrain loop is not a cycle.
Every query is linear in the part of the graph it visits.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from workbench.graph.entities import Edge, Node
from workbench.graph.errors import CycleError, UnknownNodeError

__all__ = ["GraphQueries"]


class GraphQueries:
    """Queries over ``Graph``'s adjacency; see the module docstring."""

    _nodes: dict[str, Node]
    _edges: dict[Edge, bool]
    _in: dict[str, dict[Edge, None]]
    _out: dict[str, dict[Edge, None]]

    def node(self, node_id: str) -> Node:
        try:
            return self._nodes[node_id]
        except (KeyError, TypeError):
            raise UnknownNodeError(
                f"no node '{node_id}' in the graph", node_id=str(node_id)
            ) from None

    def edges_into(self, node_id: str, port: str | None = None) -> list[Edge]:
        self.node(node_id)
        return [e for e in self._in[node_id] if port is None or e.dst_port == port]

    def edges_out_of(self, node_id: str, port: str | None = None) -> list[Edge]:
        self.node(node_id)
        return [e for e in self._out[node_id] if port is None or e.src_port == port]

    def predecessors(self, node_id: str, *, include_signals: bool = True) -> list[str]:
        edges = self.edges_into(node_id)
        return list(
            dict.fromkeys(e.src_node for e in edges if include_signals or not self._edges[e])
        )

    def successors(self, node_id: str, *, include_signals: bool = True) -> list[str]:
        edges = self.edges_out_of(node_id)
        return list(
            dict.fromkeys(e.dst_node for e in edges if include_signals or not self._edges[e])
        )

    def upstream(self, node_id: str, *, include_signals: bool = False) -> set[str]:
        """Every node that (transitively) feeds ``node_id``; signal edges only if asked."""
        return self._reach(node_id, self._in, lambda e: e.src_node, include_signals)

    def downstream(self, node_id: str, *, include_signals: bool = False) -> set[str]:
        """Every node that ``node_id`` (transitively) feeds; signal edges only if asked."""
        return self._reach(node_id, self._out, lambda e: e.dst_node, include_signals)

    def _reach(
        self, start: str, adjacency: dict[str, dict[Edge, None]], step: Any, signals: bool
    ) -> set[str]:
        self.node(start)
        seen: set[str] = set()
        todo = [start]
        while todo:
            for edge in adjacency[todo.pop()]:
                nxt = step(edge)
                if nxt not in seen and (signals or not self._edges[edge]):
                    seen.add(nxt)
                    todo.append(nxt)
        seen.discard(start)
        return seen

    def _path(self, start: str, goal: str) -> list[str] | None:
        """A path ``start`` … ``goal`` over non-signal edges, or None."""
        parent: dict[str, str | None] = {start: None}
        todo = [start]
        while todo:
            current = todo.pop()
            if current == goal:
                path = [current]
                while (back := parent[path[-1]]) is not None:
                    path.append(back)
                return path[::-1]
            for edge in self._out[current]:
                if not self._edges[edge] and edge.dst_node not in parent:
                    parent[edge.dst_node] = current
                    todo.append(edge.dst_node)
        return None

    def _kahn(self) -> tuple[list[str], set[str]]:
        indegree = {n: 0 for n in self._nodes}
        for edge, is_signal in self._edges.items():
            if not is_signal:
                indegree[edge.dst_node] += 1
        ready = deque(n for n, d in indegree.items() if d == 0)
        order: list[str] = []
        while ready:
            current = ready.popleft()
            order.append(current)
            for edge in self._out[current]:
                if not self._edges[edge]:
                    indegree[edge.dst_node] -= 1
                    if indegree[edge.dst_node] == 0:
                        ready.append(edge.dst_node)
        return order, {n for n, d in indegree.items() if d > 0}

    def topological_order(self) -> list[str]:
        """Node ids so every non-signal edge points forward; ``CycleError`` if impossible."""
        order, rest = self._kahn()
        if rest:
            cycle = self.cycles()[0]
            raise CycleError(
                "the graph has a cycle " + " -> ".join([*cycle, cycle[0]]),
                cycle=cycle,
                node_id=cycle[0],
                hint="only 'signal' edges (alerts, triggers) may form feedback loops",
            )
        return order

    def cycles(self) -> list[list[str]]:
        """Cycles over non-signal edges (at least one per tangle), each as node ids in order."""
        _, rest = self._kahn()
        found: list[list[str]] = []
        done: set[str] = set()
        for start in (n for n in self._nodes if n in rest):
            walk: list[str] = []
            index: dict[str, int] = {}
            current = start
            while current not in index and current not in done:
                index[current] = len(walk)
                walk.append(current)
                current = next(
                    e.src_node
                    for e in self._in[current]
                    if not self._edges[e] and e.src_node in rest
                )
            if current in index:
                loop = walk[index[current] :]
                found.append([loop[0], *loop[:0:-1]])
            done.update(walk)
        return found
