"""Graph diff and three-way merge on real templates: what changed is named node by node, edits
that don't touch merge, edits that do are conflicts naming the nodes."""

from __future__ import annotations

from workbench.graph import load_template, loads
from workbench.graph.diff import diff, merge
from workbench.graph.fileformat import dump_data


def _data(graph):  # noqa: ANN001, ANN202
    return dump_data(graph)


def test_diff_names_added_removed_moved_changed_nodes_and_edges() -> None:
    old = load_template("approval")
    new = old.copy()
    first = sorted(new.nodes)[0]
    new.move_node(first, (999.0, 5.0))
    trainer = next(n for n in new.nodes.values() if n.kind == "train_sklearn")
    new.set_param(trainer.id, "model_name", "renamed")
    new.add_node("data_source", id="extra", params={"format": "builtin"})
    edge = sorted(new.edges)[0]
    new.disconnect(edge)
    found = diff(_data(old), _data(new))
    changes = {(n.node_id, n.change) for n in found.nodes}
    assert (first, "moved") in changes and ("extra", "added") in changes
    changed = next(n for n in found.nodes if n.node_id == trainer.id)
    assert changed.change == "changed" and changed.params["model_name"][1] == "renamed"
    assert found.edges_removed == (f"{edge.source} → {edge.target}",) and not found.edges_added
    assert any("renamed" in line for line in found.lines())
    assert diff(_data(old), _data(old)).empty


def test_edits_that_do_not_touch_merge_and_edits_that_do_are_named() -> None:
    base = load_template("approval")
    mine, theirs = base.copy(), base.copy()
    trainer = next(n for n in base.nodes.values() if n.kind == "train_sklearn")
    mine.set_param(trainer.id, "model_name", "mine")
    theirs.add_node("data_source", id="theirs", params={"format": "builtin"})
    merged = merge(_data(base), _data(mine), _data(theirs))
    assert not merged.conflicts and merged.data is not None
    graph = loads(dumps_data(merged.data))
    assert graph.nodes[trainer.id].params["model_name"] == "mine" and "theirs" in graph.nodes

    theirs.set_param(trainer.id, "model_name", "theirs")
    clash = merge(_data(base), _data(mine), _data(theirs))
    assert clash.data is None and clash.conflicting_nodes == (trainer.id,)
    assert trainer.id in clash.conflicts[0] and "changed it" in clash.conflicts[0]

    # both moved the same node: no conflict, mine wins
    a, b = base.copy(), base.copy()
    a.move_node(trainer.id, (1.0, 1.0))
    b.move_node(trainer.id, (2.0, 2.0))
    moved = merge(_data(base), _data(a), _data(b))
    assert moved.data is not None
    assert loads(dumps_data(moved.data)).nodes[trainer.id].position == (1.0, 1.0)


def dumps_data(data: dict) -> str:  # type: ignore[type-arg]
    from workbench.graph.yamlsafe import dump_yaml

    return dump_yaml(data)


def test_a_removed_node_with_a_new_edge_on_the_other_side_is_a_conflict() -> None:
    base = load_template("approval")
    mine, theirs = base.copy(), base.copy()
    source = next(n for n in base.nodes.values() if n.kind == "data_source")
    mine.remove_node(source.id)
    theirs.add_node("train_sklearn", id="second", params={"model_name": "second"})
    theirs.connect(source.id, "data", "second", "data")
    result = merge(_data(base), _data(mine), _data(theirs))
    assert result.data is None and source.id in result.conflicting_nodes
    assert any("second" in line and "removed" in line for line in result.conflicts)
