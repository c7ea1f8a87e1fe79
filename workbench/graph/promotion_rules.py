"""The rule that production's model is approved: a ``promote`` node that makes a champion
must get its model through an ``approval_gate``. The orchestrator and, on PostgreSQL, the
database refuse an unapproved champion anyway; validation says so before anything runs."""

from __future__ import annotations

from typing import Any


def champion_problems(graph: Any, problem: Any) -> list[Any]:
    """Problems (made with ``problem(code, message, node_id, param=…)``) of promote nodes
    that make a champion with no approval gate upstream of their model. One walk downstream
    from every gate (over data edges) marks what a gate precedes: linear in the graph's size."""
    gates = [n.id for n in graph.nodes.values() if n.kind == "approval_gate"]
    after_gate, todo = set(gates), list(gates)
    while todo:
        for nxt in graph.successors(todo.pop(), include_signals=False):
            if nxt not in after_gate:
                after_gate.add(nxt)
                todo.append(nxt)
    found = []
    for node in graph.nodes.values():
        if node.kind != "promote" or (node.params.get("alias") or "champion") != "champion":
            continue
        feeding = [e.src_node for e in graph.edges_into(node.id, "model")]
        if feeding and not any(src in after_gate for src in feeding):
            found.append(problem(
                "champion_without_approval",
                f"node '{node.id}': promotes to champion with no approval gate before it; a version becomes "
                "champion only once a risk officer approves it: put an approval_gate between the model and "
                "this node, or promote to challenger",
                node.id, param="alias"))
    return found
