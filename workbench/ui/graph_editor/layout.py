"""Automatic layout and alignment of nodes: pure geometry, no Qt and no model edits.

Rules: functions take the graph (read only) and node sizes and return new top-left positions
by node id; the editor turns the changed ones into one undo command. ``layered_layout``
places the graph left to right: longest-path layering over the ordinary edges (plus every
signal edge that does not close a loop, so a feedback trigger sits after the monitor that
fires it), then barycentre ordering sweeps inside the layers, then coordinates: each layer a
column; inside it, in that order and without overlap, each node as close as possible to the
mean height of its neighbours (a few down and up sweeps), so edges run mostly straight.
It is deterministic and O(sweeps * (V + E)) plus one reachability search per signal edge.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping

from workbench.graph import Edge, Graph

__all__ = ["ALIGN_MODES", "aligned_positions", "layered_layout"]

Size = tuple[float, float]
Point = tuple[float, float]
Rect = tuple[float, float, float, float]  # x, y, width, height

ALIGN_MODES = ("left", "right", "top", "bottom", "hcenter", "vcenter")


def _constraint_edges(graph: Graph) -> dict[str, list[str]]:
    """Successors used for layering: ordinary edges, then signal edges that keep it acyclic."""
    succ: dict[str, list[str]] = {n: [] for n in graph.nodes}
    signals: list[Edge] = []
    for edge in sorted(graph.edges):
        if graph.is_signal_edge(edge):
            signals.append(edge)
        elif edge.dst_node not in succ[edge.src_node]:
            succ[edge.src_node].append(edge.dst_node)
    for edge in signals:
        if edge.src_node != edge.dst_node and not _reaches(succ, edge.dst_node, edge.src_node):
            succ[edge.src_node].append(edge.dst_node)
    return succ


def _reaches(succ: Mapping[str, list[str]], start: str, goal: str) -> bool:
    seen = {start}
    todo = [start]
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        for nxt in succ[current]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def _layers(graph: Graph, succ: Mapping[str, list[str]]) -> dict[str, int]:
    """Longest-path layer of every node (nodes left in a cycle of a lenient file come last)."""
    indegree = dict.fromkeys(graph.nodes, 0)
    for targets in succ.values():
        for target in targets:
            indegree[target] += 1
    ready = deque(n for n in graph.nodes if indegree[n] == 0)
    layer = dict.fromkeys(graph.nodes, 0)
    done: set[str] = set()
    while ready:
        current = ready.popleft()
        done.add(current)
        for nxt in succ[current]:
            layer[nxt] = max(layer[nxt], layer[current] + 1)
            indegree[nxt] -= 1
            if indegree[nxt] == 0:
                ready.append(nxt)
    top = max(layer.values(), default=0)
    for node_id in graph.nodes:
        if node_id not in done:
            layer[node_id] = top + 1
    return layer


def _order(
    graph: Graph, layer: Mapping[str, int], succ: Mapping[str, list[str]], sweeps: int
) -> list[list[str]]:
    count = max(layer.values(), default=-1) + 1
    columns: list[list[str]] = [[] for _ in range(count)]
    # start from the user's vertical order so a re-layout keeps what they arranged
    for node_id in sorted(graph.nodes, key=lambda n: (graph.nodes[n].position[1], n)):
        columns[layer[node_id]].append(node_id)
    pred: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for src, targets in succ.items():
        for dst in targets:
            pred[dst].append(src)

    position: dict[str, float] = {}

    def rank(column: list[str]) -> None:
        for i, node_id in enumerate(column):
            position[node_id] = (i + 0.5) / len(column)

    for column in columns:
        rank(column)
    for sweep in range(sweeps):
        downward = sweep % 2 == 0
        neighbours = pred if downward else succ
        indices = range(1, count) if downward else range(count - 2, -1, -1)
        for index in indices:
            keys = {n: (_barycentre(n, neighbours, position), position[n]) for n in columns[index]}
            columns[index] = sorted(columns[index], key=keys.__getitem__)
            rank(columns[index])
    return columns


def _barycentre(
    node_id: str, neighbours: Mapping[str, list[str]], position: Mapping[str, float]
) -> float:
    near = [position[n] for n in neighbours[node_id]]
    return sum(near) / len(near) if near else position[node_id]


def _place_column(
    column: list[str], wanted: Mapping[str, float], height: Mapping[str, float], gap: float
) -> dict[str, float]:
    """Centres as close to ``wanted`` as the column's order and no overlap allow: the mean of
    a push-down pass and a push-up pass (both keep order and spacing, so their mean does)."""
    down: list[float] = []
    for i, node_id in enumerate(column):
        top = wanted[node_id] - height[node_id] / 2.0
        if i:
            previous = column[i - 1]
            top = max(top, down[-1] + height[previous] + gap)
        down.append(top)
    up: list[float] = [0.0] * len(column)
    for i in range(len(column) - 1, -1, -1):
        node_id = column[i]
        top = wanted[node_id] - height[node_id] / 2.0
        if i < len(column) - 1:
            top = min(top, up[i + 1] - height[node_id] - gap)
        up[i] = top
    return {n: (down[i] + up[i]) / 2.0 + height[n] / 2.0 for i, n in enumerate(column)}


def _vertical_positions(
    columns: list[list[str]],
    height: Mapping[str, float],
    succ: Mapping[str, list[str]],
    gap: float,
    rounds: int = 3,
) -> dict[str, float]:
    """Centre y of every node: columns start stacked, then sweeps pull each node towards the
    mean centre of its neighbours in the previous (down) or next (up) columns."""
    pred: dict[str, list[str]] = {n: [] for n in height}
    for src, targets in succ.items():
        for dst in targets:
            pred[dst].append(src)
    middle: dict[str, float] = {}
    for column in columns:
        y = 0.0
        for node_id in column:
            middle[node_id] = y + height[node_id] / 2.0
            y += height[node_id] + gap
    for _ in range(rounds):
        for neighbours, order in ((pred, columns[1:]), (succ, columns[-2::-1])):
            for column in order:
                wanted = {
                    n: sum(middle[m] for m in neighbours[n]) / len(neighbours[n])
                    if neighbours[n]
                    else middle[n]
                    for n in column
                }
                middle.update(_place_column(column, wanted, height, gap))
    return middle


def layered_layout(
    graph: Graph,
    sizes: Mapping[str, Size],
    *,
    h_gap: float = 90.0,
    v_gap: float = 36.0,
    sweeps: int = 8,
    origin: Point | None = None,
) -> dict[str, Point]:
    """Top-left positions of every node, left to right by layer.

    ``sizes`` gives each node's (width, height); ``origin`` is where the layout's top-left
    corner goes (default: the current top-left corner of the graph)."""
    if not graph.nodes:
        return {}
    succ = _constraint_edges(graph)
    layer = _layers(graph, succ)
    columns = _order(graph, layer, succ, sweeps)
    default: Size = (184.0, 80.0)
    height = {n: sizes.get(n, default)[1] for n in graph.nodes}
    middle = _vertical_positions(columns, height, succ, v_gap)
    positions: dict[str, Point] = {}
    x = 0.0
    for column in columns:
        for node_id in column:
            positions[node_id] = (x, middle[node_id] - height[node_id] / 2.0)
        x += max((sizes.get(n, default)[0] for n in column), default=0.0) + h_gap
    top = min(p[1] for p in positions.values())
    positions = {n: (px, py - top) for n, (px, py) in positions.items()}
    if origin is None:
        origin = (
            min(n.position[0] for n in graph.nodes.values()),
            min(n.position[1] for n in graph.nodes.values()),
        )
    ox, oy = origin
    return {n: (round(px + ox, 1), round(py + oy, 1)) for n, (px, py) in positions.items()}


def aligned_positions(rects: Mapping[str, Rect], mode: str) -> dict[str, Point]:
    """New top-left positions aligning ``rects`` (by id) on their ``mode`` edge or centre."""
    if mode not in ALIGN_MODES:
        raise ValueError(f"unknown alignment {mode!r} (known: {', '.join(ALIGN_MODES)})")
    if not rects:
        return {}
    items: Iterable[tuple[str, Rect]] = rects.items()
    left = min(r[0] for r in rects.values())
    right = max(r[0] + r[2] for r in rects.values())
    top = min(r[1] for r in rects.values())
    bottom = max(r[1] + r[3] for r in rects.values())
    out: dict[str, Point] = {}
    for key, (x, y, w, h) in items:
        if mode == "left":
            out[key] = (left, y)
        elif mode == "right":
            out[key] = (right - w, y)
        elif mode == "top":
            out[key] = (x, top)
        elif mode == "bottom":
            out[key] = (x, bottom - h)
        elif mode == "hcenter":
            out[key] = ((left + right) / 2.0 - w / 2.0, y)
        else:
            out[key] = (x, (top + bottom) / 2.0 - h / 2.0)
    return out
