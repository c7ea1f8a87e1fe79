"""The graph model: the narrow editing API, its specific errors, lookups and events."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidInputError
from workbench.graph import (
    CycleError,
    DuplicateEdgeError,
    DuplicateNodeIdError,
    Edge,
    Graph,
    GraphError,
    IncompatiblePortTypesError,
    InvalidNodeIdError,
    InvalidParameterError,
    Node,
    NodeChange,
    PortAlreadyConnectedError,
    UnknownAnnotationError,
    UnknownEdgeError,
    UnknownNodeError,
    UnknownNodeKindError,
    UnknownPortError,
)
from workbench.graph.fileformat import dumps

# -- nodes -------------------------------------------------------------------------------------


def test_add_node_fills_defaults_title_and_generates_unique_ids() -> None:
    g = Graph()
    first = g.add_node("train_sklearn")
    second = g.add_node("train_sklearn")
    third = g.add_node("train_sklearn")
    assert (first.id, second.id, third.id) == (
        "train_sklearn",
        "train_sklearn_2",
        "train_sklearn_3",
    )
    assert first.title == "Train (scikit-learn)"
    assert first.params["estimator"] == "sklearn.linear_model.LogisticRegression"
    assert first.params["estimator_params"] == {}
    torch = g.add_node(
        "train_torch", params={"epochs": 5}, position=(1, 2.5), title="MLP", target="gpu"
    )
    assert torch.params == {
        "script": "",
        "hidden_sizes": [32, 16],
        "epochs": 5,
        "learning_rate": 0.01,
        "device": "auto",
        "batch_size": 0,
        "precision": "auto",
        "model_name": "",
    }
    assert torch.position == (1.0, 2.5) and torch.title == "MLP" and torch.target == "gpu"
    assert g.node("train_torch") is torch and "train_torch" in g and len(g.nodes) == 4


def test_generated_ids_skip_taken_ones_and_strip_numeric_suffixes() -> None:
    g = Graph()
    g.add_node("evaluate", id="evaluate_2")
    assert g.add_node("evaluate").id == "evaluate"
    assert g.add_node("evaluate").id == "evaluate_3"
    assert g.unique_id("evaluate_3") == "evaluate_4"
    assert g.unique_id("my model!") == "my_model_"
    assert g.unique_id("9lives") == "n_9lives"
    assert g.unique_id("x", reserved={"x"}) == "x_2"


def test_default_params_are_fresh_copies() -> None:
    g = Graph()
    a = g.add_node("train_torch")
    a.params["hidden_sizes"].append(99)  # each node got its own copy of the catalog default
    assert g.add_node("train_torch").params["hidden_sizes"] == [32, 16]
    with pytest.raises(TypeError):
        a.params["epochs"] = 3  # type: ignore[index]


def test_node_errors_name_the_node() -> None:
    g = Graph()
    g.add_node("evaluate", id="ev")
    with pytest.raises(UnknownNodeKindError) as info:
        g.add_node("trian", id="t")
    assert (
        "trian" in str(info.value)
        and "train_sklearn" in str(info.value)
        and info.value.node_id == "t"
    )
    with pytest.raises(DuplicateNodeIdError, match="'ev'"):
        g.add_node("evaluate", id="ev")
    for bad in ("", "a.b", "1x", "x y", "a" * 101):
        with pytest.raises(InvalidNodeIdError):
            g.add_node("evaluate", id=bad)
    with pytest.raises(InvalidParameterError, match="node 'p'.*'bogus'"):
        g.add_node("promote", id="p", params={"bogus": 1})
    with pytest.raises(GraphError, match="position"):
        g.add_node("evaluate", id="e2", position=(float("nan"), 0))
    with pytest.raises(GraphError, match="target"):
        g.add_node("evaluate", id="e3", target=" gpu ")
    with pytest.raises(UnknownNodeError, match="'nope'"):
        g.node("nope")
    assert list(g.nodes) == ["ev"]
    assert isinstance(info.value, InvalidInputError) and info.value.exit_code == 1


def test_remove_node_removes_its_edges(pipeline: Graph) -> None:
    node, edges = pipeline.remove_node("score")
    assert node.id == "score"
    assert sorted(e.id for e in edges) == ["data.data->score.data", "promote.model->score.model"]
    assert "score" not in pipeline
    assert len(pipeline.edges) == 2
    assert pipeline.edges_out_of("promote") == []
    with pytest.raises(UnknownNodeError):
        pipeline.remove_node("score")


def test_move_set_title_set_target(pipeline: Graph) -> None:
    moved = pipeline.move_node("train", [10, 20])
    assert moved.position == (10.0, 20.0) and pipeline.node("train") is moved
    assert pipeline.set_title("train", "Fit").title == "Fit"
    assert pipeline.set_target("train", "spark-cluster").target == "spark-cluster"
    assert pipeline.set_target("train", "").target is None
    with pytest.raises(GraphError):
        pipeline.move_node("train", (1, 2, 3))
    with pytest.raises(GraphError):
        pipeline.set_title("train", 5)  # type: ignore[arg-type]


def test_set_param_validates_and_coerces(pipeline: Graph) -> None:
    g = pipeline
    g.add_node("train_torch", id="mlp")
    assert g.set_param("mlp", "learning_rate", 1).params["learning_rate"] == 1.0
    assert isinstance(g.node("mlp").params["learning_rate"], float)
    assert g.set_param("mlp", "epochs", 3.0).params["epochs"] == 3
    assert g.set_param("mlp", "hidden_sizes", (64, 8)).params["hidden_sizes"] == [64, 8]
    bad = [
        ("epochs", 0, "at least 1"),
        ("epochs", 2.5, "whole number"),
        ("epochs", True, "number"),
        ("epochs", "3", "number"),
        ("learning_rate", 0, "greater than 0"),
        ("learning_rate", float("inf"), "finite"),
        ("device", "tpu", "not one of"),
        ("hidden_sizes", [32, "x"], "number"),
        ("hidden_sizes", [0], "at least 1"),
        ("hidden_sizes", "32", "list"),
        ("script", 3, "text"),
        ("nope", 1, "no such parameter"),
    ]
    for name, value, text in bad:
        with pytest.raises(InvalidParameterError) as info:
            g.set_param("mlp", name, value)
        assert (
            "node 'mlp'" in str(info.value)
            and f"'{name}'" in str(info.value)
            and text in str(info.value)
        )
        assert info.value.node_id == "mlp" and info.value.param == name
    with pytest.raises(InvalidParameterError, match="traffic_split.*at most 1"):
        g.add_node("comparator", id="cmp", params={"traffic_split": 1.5})
    with pytest.raises(InvalidParameterError, match="import path"):
        g.set_param("train", "estimator", "not a path")
    with pytest.raises(InvalidParameterError, match="mapping"):
        g.set_param("train", "estimator_params", {1: 2})
    with pytest.raises(InvalidParameterError, match="must not be empty"):
        g.set_param("promote", "model_name", "  ")
    with pytest.raises(InvalidParameterError, match="true or false"):
        g.add_node("comparator", params={"shadow": "yes"})
    with pytest.raises(InvalidParameterError, match="not one of"):
        g.add_node("drift_monitor", params={"methods": ["psi", "magic"]})
    assert g.set_param("train", "estimator_params", {"C": 0.5, "nested": {"a": [1]}}).params[
        "estimator_params"
    ] == {"C": 0.5, "nested": {"a": [1]}}
    assert g.node("mlp").params["epochs"] == 3  # failed sets changed nothing


def test_unset_param_removes_the_value(pipeline: Graph) -> None:
    assert "model_name" not in pipeline.unset_param("promote", "model_name").params
    assert pipeline.unset_param("promote", "model_name").params == {"alias": "champion"}


# -- edges -------------------------------------------------------------------------------------


def test_connect_and_edge_ids(pipeline: Graph) -> None:
    edge = pipeline.edges_into("train")[0]
    assert edge == Edge("data", "data", "train", "data")
    assert edge.id == "data.data->train.data" and str(edge) == edge.id
    assert (edge.source, edge.target) == ("data.data", "train.data")
    assert pipeline.edges_into("score", "model") == [Edge("promote", "model", "score", "model")]
    assert pipeline.edges_out_of("data", "data") == [
        Edge("data", "data", "train", "data"),
        Edge("data", "data", "score", "data"),
    ]
    assert pipeline.predecessors("score") == ["promote", "data"]
    assert pipeline.successors("data") == ["train", "score"]


def test_connect_errors_name_node_and_port(pipeline: Graph) -> None:
    g = pipeline
    g.add_node("evaluate", id="ev")
    before = dumps(g)
    cases = [
        (("data", "nope", "ev", "data"), UnknownPortError, "'data'.*output port 'nope'"),
        (("data", "data", "ev", "nope"), UnknownPortError, "'ev'.*input port 'nope'"),
        (("train", "data", "ev", "data"), UnknownPortError, "no output port 'data'"),
        (("ghost", "data", "ev", "data"), UnknownNodeError, "'ghost'"),
        (
            ("data", "data", "ev", "model"),
            IncompatiblePortTypesError,
            "'data.data' \\(dataset\\) to 'ev.model' \\(model\\)",
        ),
        (("data", "data", "train", "data"), DuplicateEdgeError, "already connected"),
        (("train", "metrics", "ev", "model"), IncompatiblePortTypesError, "metrics"),
    ]
    for args, error, pattern in cases:
        with pytest.raises(error, match=pattern) as info:
            g.connect(*args)
        assert info.value.node_id is not None
    g.add_node("data_source", id="other")
    with pytest.raises(PortAlreadyConnectedError, match="'train.data'.*'data.data'") as info:
        g.connect("other", "data", "train", "data")
    assert (info.value.node_id, info.value.port) == ("train", "data")
    g.remove_node("other")
    assert dumps(g) == before


def test_multi_input_port_accepts_many_edges() -> None:
    g = Graph()
    g.add_node("ensemble", id="vote")
    for i in range(3):
        g.add_node("train_sklearn", id=f"t{i}")
        g.connect(f"t{i}", "model", "vote", "models")
    assert len(g.edges_into("vote", "models")) == 3


def test_cycles_are_refused_except_over_signal_edges() -> None:
    g = Graph()
    g.add_node("data_source", id="data")
    g.add_node("train_sklearn", id="train")
    g.add_node("inference", id="score")
    g.add_node("drift_monitor", id="drift")
    g.add_node("trigger", id="retrain")
    g.add_node("ensemble", id="p1")
    g.add_node("promote", id="p2", params={"model_name": "m"})
    g.connect("data", "data", "train", "data")
    g.connect("train", "model", "p1", "models")
    g.connect("p1", "model", "p2", "model")
    with pytest.raises(CycleError, match="p2 -> p1 -> p2") as info:
        g.connect("p2", "model", "p1", "models")  # a multi-input port: only the cycle is wrong
    assert info.value.cycle == ("p2", "p1", "p2")
    assert info.value.node_id == "p1" and info.value.port == "models"
    g.connect("p2", "model", "score", "model")
    g.connect("data", "data", "score", "data")
    g.connect("data", "data", "drift", "reference")
    g.connect("data", "data", "drift", "current")
    g.connect("score", "predictions", "drift", "predictions")
    g.connect("drift", "alert", "retrain", "alert")
    feedback = g.connect("retrain", "start", "train", "trigger")  # closes a signal loop
    assert g.is_signal_edge(feedback) and not g.is_signal_edge(
        Edge("data", "data", "train", "data")
    )
    order = g.topological_order()
    assert order.index("data") < order.index("train") < order.index("p1") < order.index("score")
    assert order.index("score") < order.index("drift")  # signal edges do not order steps
    assert g.cycles() == []
    assert g.upstream("score") == {"data", "train", "p1", "p2"}
    assert g.upstream("train", include_signals=True) >= {"retrain", "drift", "score"}
    assert g.downstream("train") == {"p1", "p2", "score", "drift"}
    assert "train" in g.downstream("retrain", include_signals=True)
    assert g.downstream("retrain") == set()


def test_self_loop_is_a_cycle() -> None:
    g = Graph()
    g.add_node("promote", id="p", params={"model_name": "m"})
    with pytest.raises(CycleError):
        g.connect("p", "model", "p", "model")


def test_disconnect(pipeline: Graph) -> None:
    edge = Edge("data", "data", "train", "data")
    assert pipeline.disconnect(edge) == edge
    with pytest.raises(UnknownEdgeError, match="data.data->train.data"):
        pipeline.disconnect(edge)
    assert pipeline.edges_into("train") == []


# -- annotations and copies --------------------------------------------------------------------


def test_annotations() -> None:
    g = Graph()
    note = g.add_annotation("hello", (1, 2))
    assert note.id == "note" and note.position == (1.0, 2.0)
    assert g.add_annotation("again").id == "note_2"
    with pytest.raises(DuplicateNodeIdError):
        g.add_annotation("x", id="note")
    changed = g.update_annotation("note", text="bye", position=(3, 4))
    assert (changed.text, changed.position) == ("bye", (3.0, 4.0))
    assert g.remove_annotation("note") == changed
    with pytest.raises(UnknownAnnotationError):
        g.remove_annotation("note")
    assert list(g.annotations) == ["note_2"]


def test_subgraph_and_copy_are_independent(pipeline: Graph) -> None:
    sub = pipeline.subgraph(["train", "promote"])
    assert sorted(sub.nodes) == ["promote", "train"]
    assert [e.id for e in sub.edges] == ["train.model->promote.model"]
    copy = pipeline.copy()
    copy.remove_node("train")
    assert "train" in pipeline and dumps(copy) != dumps(pipeline)
    assert dumps(pipeline.copy()) == dumps(pipeline)


def test_graph_info_and_frozen_entities(pipeline: Graph) -> None:
    pipeline.name = "renamed"
    assert pipeline.name == "renamed" and "renamed" in repr(pipeline)
    with pytest.raises(GraphError):
        pipeline.description = None  # type: ignore[assignment]
    node = pipeline.node("train")
    with pytest.raises(AttributeError):
        node.title = "x"  # type: ignore[misc]
    assert hash(node) == hash(Node(node.id, node.kind, node.title, node.position, {}, node.target))


# -- events ------------------------------------------------------------------------------------


def test_every_change_emits_exactly_one_event(pipeline: Graph, recorder) -> None:
    rec = recorder(pipeline.events)
    g = pipeline
    node = g.add_node("evaluate", id="ev")
    assert rec.calls == [("node_added", (node,))]
    rec.clear()
    moved = g.move_node("ev", (5, 5))
    assert rec.calls == [("node_moved", (moved, (0.0, 0.0)))]
    rec.clear()
    changed = g.set_param("promote", "alias", "challenger")
    assert rec.calls == [
        ("node_changed", (changed, NodeChange("params", "alias", "champion", "challenger")))
    ]
    rec.clear()
    g.set_title("ev", "Score it")
    g.set_target("ev", "gpu")
    assert [c[1][1].field for c in rec.calls] == ["title", "target"]
    rec.clear()
    edge = g.connect("train", "model", "ev", "model")
    assert rec.calls == [("edge_added", (edge,))]
    rec.clear()
    g.disconnect(edge)
    assert rec.calls == [("edge_removed", (edge,))]
    rec.clear()
    removed, edges = g.remove_node("train")
    assert rec.names() == ["edge_removed"] * len(edges) + ["node_removed"]
    assert rec.calls[-1] == ("node_removed", (removed,))
    rec.clear()
    note = g.add_annotation("hi")
    g.update_annotation(note.id, text="ho")
    g.remove_annotation(note.id)
    assert rec.names() == ["annotation_added", "annotation_changed", "annotation_removed"]
    rec.clear()
    g.name = "other"
    assert rec.calls == [("info_changed", ("name", "pipeline", "other"))]


def test_no_op_changes_emit_nothing(pipeline: Graph, recorder) -> None:
    rec = recorder(pipeline.events)
    g = pipeline
    g.move_node("train", g.node("train").position)
    g.set_param("promote", "alias", "champion")
    g.set_param("promote", "model_name", "m")
    g.set_title("train", g.node("train").title)
    g.set_target("train", None)
    g.unset_param("score", "not_there")
    note = g.add_annotation("x")
    rec.clear()
    g.update_annotation(note.id, text="x", position=(0, 0))
    g.name = g.name
    g.description = g.description
    assert rec.calls == []


def test_failed_edits_emit_nothing_and_change_nothing(pipeline: Graph, recorder) -> None:
    before = dumps(pipeline)
    rec = recorder(pipeline.events)
    for action in (
        lambda: pipeline.add_node("nope"),
        lambda: pipeline.add_node("evaluate", id="train"),
        lambda: pipeline.set_param("train", "estimator", 42),
        lambda: pipeline.connect("score", "predictions", "train", "data"),
        lambda: pipeline.connect("train", "model", "promote", "model"),
        lambda: pipeline.move_node("train", ("a", "b")),
    ):
        with pytest.raises(GraphError):
            action()
    assert rec.calls == [] and dumps(pipeline) == before
