"""The shipped templates: one per pattern, valid, canonical on disk, built on the sample data."""

from __future__ import annotations

import pytest

from workbench.graph import (
    UnknownTemplateError,
    describe_templates,
    dumps,
    list_templates,
    load_template,
    loads,
    validate,
)
from workbench.graph.templates import template_path

NAMES = ["approval", "canary", "ensemble", "inference", "retrain"]


def test_the_five_patterns_are_shipped() -> None:
    assert list_templates() == NAMES
    infos = describe_templates()
    assert [i.name for i in infos] == NAMES
    assert all(i.title and len(i.description) > 40 for i in infos)


@pytest.mark.parametrize("name", NAMES)
def test_template_is_valid_canonical_and_laid_out(name: str) -> None:
    graph = load_template(name)
    assert [p for p in validate(graph) if p.severity == "error"] == []
    assert [p.code for p in validate(graph)] == []  # no warnings either
    on_disk = template_path(name).read_text(encoding="utf-8")
    text = dumps(graph)
    assert on_disk == text  # stored in canonical form
    assert dumps(loads(text)) == text
    titles = [node.title for node in graph.nodes.values()]
    assert all(titles) and len(set(titles)) == len(titles)
    for edge in graph.edges:
        if not graph.is_signal_edge(edge):  # data flows left to right
            assert graph.node(edge.src_node).position[0] < graph.node(edge.dst_node).position[0]
    sources = [n for n in graph.nodes.values() if n.kind == "data_source"]
    assert sources and all(
        (n.params["format"], n.params["builtin"], n.params["target"])
        == ("builtin", "breast_cancer", "target")
        for n in sources
    )


def _kinds(name: str) -> list[str]:
    return sorted(n.kind for n in load_template(name).nodes.values())


def test_inference_pattern() -> None:
    g = load_template("inference")
    assert _kinds("inference") == ["data_source", "inference"]
    score = next(n for n in g.nodes.values() if n.kind == "inference")
    assert score.params["alias"] == "champion" and score.params["model_name"] == "breast_cancer"


def test_retrain_pattern_has_a_drift_feedback_loop() -> None:
    g = load_template("retrain")
    assert {"train_sklearn", "promote", "inference", "drift_monitor", "trigger"} <= set(
        _kinds("retrain")
    )
    feedback = [e for e in g.edges if g.is_signal_edge(e)]
    assert {(g.node(e.src_node).kind, g.node(e.dst_node).kind) for e in feedback} == {
        ("drift_monitor", "trigger"),
        ("trigger", "train_sklearn"),
    }
    drift = next(n.id for n in g.nodes.values() if n.kind == "drift_monitor")
    assert {e.dst_port for e in g.edges_into(drift)} == {"reference", "current", "predictions"}
    assert g.topological_order()  # no cycle over data edges


def test_approval_pattern_gates_the_promotion() -> None:
    g = load_template("approval")
    gate = next(n.id for n in g.nodes.values() if n.kind == "approval_gate")
    promote = next(n for n in g.nodes.values() if n.kind == "promote")
    assert promote.params["alias"] == "champion"
    assert g.predecessors(promote.id) == [gate]
    assert "evaluate" in {g.node(p).kind for p in g.predecessors(gate)}


def test_ensemble_pattern_combines_three_learners() -> None:
    g = load_template("ensemble")
    vote = next(n.id for n in g.nodes.values() if n.kind == "ensemble")
    members = [g.node(e.src_node) for e in g.edges_into(vote, "models")]
    assert sorted(m.kind for m in members) == ["train_sklearn", "train_sklearn", "train_torch"]
    estimators = {m.params.get("estimator") for m in members}
    assert {
        "sklearn.linear_model.LogisticRegression",
        "sklearn.ensemble.RandomForestClassifier",
    } <= estimators


def test_canary_pattern_runs_champion_and_challenger_in_parallel() -> None:
    g = load_template("canary")
    comparator = next(n for n in g.nodes.values() if n.kind == "comparator")
    assert comparator.params["mode"] == "canary" and comparator.params["traffic_split"] == 0.1
    feeds = {e.dst_port: g.node(e.src_node) for e in g.edges_into(comparator.id)}
    assert feeds["champion"].params["alias"] == "champion"
    assert feeds["challenger"].params["alias"] == "challenger"
    promote = next(n for n in g.nodes.values() if n.kind == "promote")
    assert promote.params["alias"] == "challenger"
    alert_to = [g.node(e.dst_node).kind for e in g.edges_out_of(comparator.id, "alert")]
    assert alert_to == ["trigger"]


def test_unknown_template_names_are_refused() -> None:
    for name in ("nope", "../pyproject", "", "inference.yaml"):
        with pytest.raises(UnknownTemplateError, match="known: approval"):
            load_template(name)
