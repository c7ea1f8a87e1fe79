"""Whole-graph validation: every problem code, ensure_valid, and linear cost on big graphs."""

from __future__ import annotations

import pytest

from workbench.graph import (
    DanglingInputError,
    Graph,
    GraphValidationError,
    Problem,
    ensure_valid,
    loads,
    validate,
)

HEADER = "format: mlops-workbench/graph\nversion: 2\nname: t\n"


def _codes(problems: list[Problem]) -> list[tuple[str, str | None, str | None, str | None]]:
    return [(p.code, p.node_id, p.port or p.param, p.severity) for p in problems]


def test_a_valid_graph_has_no_problems(pipeline: Graph) -> None:
    pipeline.set_param("promote", "alias", "challenger")  # a champion needs an approval gate (finding 1)
    assert validate(pipeline) == []
    assert ensure_valid(pipeline) == []


def test_dangling_inputs_missing_params_and_orphans() -> None:
    g = Graph("g")
    g.add_node("promote", id="p")  # model_name required, no default; input model unfed
    g.add_node("kpi_source", id="kpi")  # standalone: no orphan warning
    g.add_node("data_source", id="lonely")
    problems = validate(g)
    assert _codes(problems) == [
        ("missing_param", "p", "model_name", "error"),
        ("dangling_input", "p", "model", "error"),
        ("orphan_node", "p", None, "warning"),
        ("orphan_node", "lonely", None, "warning"),
    ]
    dangling = problems[1]
    assert "node 'p'" in dangling.message and "'model'" in dangling.message
    with pytest.raises(GraphValidationError) as info:
        ensure_valid(g)
    assert not isinstance(info.value, DanglingInputError)
    assert info.value.problems == problems and info.value.exit_code == 1
    assert "graph 'g' is not valid (2 errors)" in str(info.value)


def test_dangling_input_error_when_those_are_the_only_errors() -> None:
    g = Graph()
    g.add_node("evaluate", id="ev")
    with pytest.raises(DanglingInputError) as info:
        ensure_valid(g)
    assert isinstance(info.value, GraphValidationError)
    assert [p.port for p in info.value.problems if p.severity == "error"] == ["model", "data"]
    assert (info.value.node_id, info.value.port) == ("ev", "model")


def test_warnings_alone_do_not_raise() -> None:
    g = Graph()
    g.add_node("data_source")
    assert [p.code for p in ensure_valid(g)] == ["orphan_node"]


def test_problems_of_a_leniently_loaded_file() -> None:
    text = HEADER + (
        "nodes:\n"
        "- {id: d, kind: data_source, params: {format: excel, colour: red}}\n"
        "- {id: e, kind: evaluate}\n"
        "- {id: t, kind: trian}\n"
        "- {id: m, kind: train_torch, params: {epochs: 0}}\n"
        "- {id: d2, kind: data_source}\n"
        "- {id: p1, kind: promote, params: {model_name: x}}\n"
        "- {id: p2, kind: promote, params: {model_name: x}}\n"
        "edges:\n"
        "- {from: d.data, to: e.model}\n"
        "- {from: d.data, to: m.data}\n"
        "- {from: d2.data, to: m.data}\n"
        "- {from: d.data, to: e.nope}\n"
        "- {from: m.model, to: p1.model}\n"
        "- {from: p1.model, to: p2.model}\n"
        "- {from: p2.model, to: p1.model}\n"
        "- {from: d.data, to: t.data}\n"
    )
    g = loads(text, "lenient.yaml", strict=False)
    got = _codes(validate(g))
    expected = [
        ("unknown_param", "d", "colour", "error"),
        ("invalid_param", "d", "format", "error"),
        ("dangling_input", "e", "data", "error"),
        ("unknown_kind", "t", None, "error"),
        ("invalid_param", "m", "epochs", "error"),
        ("port_overconnected", "m", "data", "error"),
        ("port_overconnected", "p1", "model", "error"),
        ("incompatible_ports", "e", "model", "error"),
        ("unknown_port", "e", "nope", "error"),
        ("cycle", "p1", None, "error"),
        ("champion_without_approval", "p1", "alias", "error"),  # no approval gate before either
        ("champion_without_approval", "p2", "alias", "error"),
    ]
    assert sorted(got) == sorted(expected)
    cycle = next(p for p in validate(g) if p.code == "cycle")
    assert "p1 -> p2 -> p1" in cycle.message or "p2 -> p1 -> p2" in cycle.message
    edge_problem = next(p for p in validate(g) if p.code == "incompatible_ports")
    assert edge_problem.edge_id == "d.data->e.model" and "dataset" in edge_problem.message


def _big_graph_text(chain: int = 5000, leaves: int = 4998) -> str:
    """A valid graph of chain + leaves + 2 nodes and about as many edges, written by hand
    (fast) in the canonical layout: data -> train -> promote chain; data -> many scorers."""
    out = [HEADER.rstrip("\n"), "description: ''", "nodes:"]

    def node(node_id: str, kind: str, params: dict[str, str], x: int, y: int) -> None:
        out.append(
            f"- id: {node_id}\n  kind: {kind}\n  title: {node_id}\n  position: [{x}.0, {y}.0]\n  params:"
        )
        out.extend(f"    {k}: {v}" for k, v in params.items())

    node(
        "d",
        "data_source",
        {"builtin": "breast_cancer", "format": "builtin", "target": "target"},
        0,
        0,
    )
    node(
        "t",
        "train_sklearn",
        {"estimator": "sklearn.linear_model.LogisticRegression", "model_name": "m"},
        1,
        0,
    )
    for i in range(chain):
        node(f"p{i}", "promote", {"alias": "challenger", "model_name": "m"}, i + 2, 0)
    for i in range(leaves):
        node(f"s{i}", "inference", {"alias": "champion", "mode": "batch", "model_name": "m"}, i, 1)
    out.append("edges:")
    out.append("- {from: d.data, to: t.data}")
    out.append("- {from: t.model, to: p0.model}")
    out.extend(f"- {{from: p{i - 1}.model, to: p{i}.model}}" for i in range(1, chain))
    out.extend(f"- {{from: d.data, to: s{i}.data}}" for i in range(leaves))
    out.append("annotations: []")
    return "\n".join(out) + "\n"


def test_ten_thousand_nodes_load_and_validate() -> None:
    # the time this takes is measured by benchmarks/graph_validate.py (target: under 2 s)
    text = _big_graph_text()
    g = loads(text, "big.yaml")
    problems = validate(g)
    assert len(g.nodes) == 10_000 and len(g.edges) == 9_999
    assert [p for p in problems if p.severity == "error"] == []
    order = g.topological_order()
    assert order.index("p0") < order.index("p4999")


def test_a_cycle_in_a_big_file_is_found_without_quadratic_cost() -> None:
    text = _big_graph_text(chain=3000, leaves=10).replace("- {from: t.model, to: p0.model}\n", "")
    text = text.replace("annotations: []", "- {from: p2999.model, to: p0.model}\nannotations: []")
    g = loads(text, strict=False)
    cycles = [p for p in validate(g) if p.code == "cycle"]
    assert len(cycles) == 1


def test_finding_1_a_champion_without_an_approval_gate_fails_validation(pipeline: Graph) -> None:
    """Issue 13, finding 1: train → promote (to champion) with no approval gate ran and made
    a champion. Such a graph does not validate; with a gate between, it does."""
    pipeline.set_param("promote", "alias", "champion")
    (problem,) = validate(pipeline)
    assert (problem.code, problem.node_id, problem.param) == ("champion_without_approval", "promote", "alias")
    assert "approval gate" in problem.message and "promote to challenger" in problem.message
    pipeline.disconnect(next(iter(pipeline.edges_into("promote", "model"))))
    pipeline.add_node("approval_gate", id="gate")
    pipeline.connect("train", "model", "gate", "model")
    pipeline.connect("gate", "model", "promote", "model")
    assert validate(pipeline) == []
