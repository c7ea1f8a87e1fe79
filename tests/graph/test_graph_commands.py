"""Undoable commands and the undo stack: undo/redo of every command, macros, merged moves,
failed commands, paste with id clashes, the clean mark, the limit and the events."""

from __future__ import annotations

import pytest

from workbench.graph import (
    AddAnnotation,
    AddNode,
    Command,
    Connect,
    Disconnect,
    DuplicateNodeIdError,
    Edge,
    Graph,
    GraphError,
    GraphFormatError,
    InvalidParameterError,
    MoveNode,
    PasteGroup,
    RemoveAnnotation,
    RemoveNode,
    SetParameter,
    SetTarget,
    SetTitle,
    UndoStack,
    UnknownNodeError,
    UnknownNodeKindError,
    UpdateAnnotation,
    copy_fragment,
    dumps,
    loads,
)


def _roundtrip(stack: UndoStack, graph: Graph, command: Command) -> tuple[str, str]:
    """Push, undo, redo; assert the states match; return (before, after)."""
    before = dumps(graph)
    stack.push(command)
    after = dumps(graph)
    assert after != before
    assert stack.undo() and dumps(graph) == before
    assert stack.redo() and dumps(graph) == after
    assert stack.undo() and stack.redo()
    return before, after


def test_every_command_undoes_and_redoes(pipeline: Graph) -> None:
    g, stack = pipeline, UndoStack()
    add = AddNode(g, "evaluate", position=(5, 5))
    _roundtrip(stack, g, add)
    assert add.node is not None and add.node.id == "evaluate" and add.text == "Add Evaluate"
    _roundtrip(stack, g, Connect(g, "train", "model", "evaluate", "model"))
    _roundtrip(stack, g, Disconnect(g, Edge("train", "model", "evaluate", "model")))
    _roundtrip(stack, g, MoveNode(g, "train", (50, 60)))
    _roundtrip(stack, g, SetParameter(g, "train", "estimator_params", {"C": 2.0}))
    _roundtrip(stack, g, SetParameter(g, "promote", "alias", "challenger"))
    _roundtrip(stack, g, SetTitle(g, "train", "Fit"))
    _roundtrip(stack, g, SetTarget(g, "train", "gpu-1"))
    note = AddAnnotation(g, "remember", (1, 1))
    _roundtrip(stack, g, note)
    _roundtrip(stack, g, UpdateAnnotation(g, "note", text="forget", position=(2, 2)))
    _roundtrip(stack, g, RemoveAnnotation(g, "note"))
    _roundtrip(stack, g, RemoveNode(g, "evaluate"))
    assert stack.count == stack.index == 12
    while stack.undo():
        pass
    assert "evaluate" not in g and g.node("train").position == (200.0, 0.0)
    while stack.redo():
        pass
    assert g.node("train").title == "Fit" and "evaluate" not in g


def test_remove_node_undo_restores_the_node_and_its_edges(pipeline: Graph) -> None:
    before = dumps(pipeline)
    edges_before = set(pipeline.edges)
    stack = UndoStack()
    stack.push(RemoveNode(pipeline, "data"))
    assert "data" not in pipeline and len(pipeline.edges) == 2
    stack.undo()
    assert dumps(pipeline) == before and set(pipeline.edges) == edges_before
    assert pipeline.node("data").id == "data"


def test_set_parameter_undo_of_a_parameter_that_had_no_value() -> None:
    g = Graph()
    g.add_node("promote", id="p")
    stack = UndoStack()
    stack.push(SetParameter(g, "p", "model_name", "m"))
    stack.undo()
    assert "model_name" not in g.node("p").params


def test_set_parameter_undo_restores_a_value_that_a_lenient_load_let_in() -> None:
    g = loads(
        "format: mlops-workbench/graph\nversion: 2\nnodes:\n- {id: m, kind: train_torch, params: {epochs: 0}}\n",
        strict=False,
    )
    stack = UndoStack()
    stack.push(SetParameter(g, "m", "epochs", 5))
    stack.undo()
    assert g.node("m").params["epochs"] == 0


def test_failed_commands_leave_graph_and_stack_unchanged(pipeline: Graph) -> None:
    stack = UndoStack()
    stack.push(MoveNode(pipeline, "train", (1, 1)))
    before, count, index = dumps(pipeline), stack.count, stack.index
    failing = [
        AddNode(pipeline, "nope"),
        AddNode(pipeline, "evaluate", id="train"),
        SetParameter(pipeline, "train", "estimator", 3),
        Connect(pipeline, "data", "data", "train", "data"),
        Connect(pipeline, "score", "predictions", "promote", "model"),
        Disconnect(pipeline, Edge("a", "b", "c", "d")),
        RemoveNode(pipeline, "ghost"),
        RemoveAnnotation(pipeline, "ghost"),
    ]
    for command in failing:
        with pytest.raises(GraphError):
            stack.push(command)
        assert (dumps(pipeline), stack.count, stack.index) == (before, count, index)
    assert stack.undo_text() == "Move 'Train (scikit-learn)'"


def test_consecutive_moves_of_one_node_merge() -> None:
    g = Graph()
    g.add_node("evaluate", id="a")
    g.add_node("evaluate", id="b")
    stack = UndoStack()
    for x in range(1, 6):
        stack.push(MoveNode(g, "a", (x, 0)))
    assert stack.count == 1 and g.node("a").position == (5.0, 0.0)
    stack.push(MoveNode(g, "b", (9, 9)))  # another node: a new step
    assert stack.count == 2
    stack.undo()
    stack.undo()
    assert g.node("a").position == (0.0, 0.0)
    stack.redo()
    assert g.node("a").position == (5.0, 0.0)


def test_a_drag_that_ends_where_it_started_leaves_no_step() -> None:
    g = Graph()
    g.add_node("evaluate", id="a")
    stack = UndoStack()
    stack.push(MoveNode(g, "a", (10, 0)))
    stack.push(MoveNode(g, "a", (0, 0)))
    assert stack.count == 0 and not stack.can_undo()


def test_move_with_old_position_from_a_live_drag() -> None:
    g = Graph()
    g.add_node("evaluate", id="a")
    g.move_node("a", (40, 40))  # the view moved it while dragging
    stack = UndoStack()
    stack.push(MoveNode(g, "a", (40, 40), old_position=(0, 0)))
    stack.undo()
    assert g.node("a").position == (0.0, 0.0)


def test_moves_do_not_merge_across_the_clean_mark() -> None:
    g = Graph()
    g.add_node("evaluate", id="a")
    stack = UndoStack()
    stack.push(MoveNode(g, "a", (1, 0)))
    stack.set_clean()
    stack.push(MoveNode(g, "a", (2, 0)))
    assert stack.count == 2 and not stack.is_clean
    stack.undo()
    assert stack.is_clean and g.node("a").position == (1.0, 0.0)


def test_macro_groups_pushes_into_one_step_and_nests(pipeline: Graph) -> None:
    stack = UndoStack()
    before = dumps(pipeline)
    with stack.macro("Delete two") as macro:
        stack.push(RemoveNode(pipeline, "score"))
        with stack.macro("inner"):
            stack.push(RemoveNode(pipeline, "promote"))
            stack.push(SetTitle(pipeline, "train", "x"))
        assert stack.in_macro and not stack.can_undo()
        with pytest.raises(RuntimeError):
            stack.undo()
    assert stack.count == 1 and stack.undo_text() == "Delete two" and len(macro.children) == 2
    stack.undo()
    assert dumps(pipeline) == before and stack.redo_text() == "Delete two"
    stack.redo()
    assert "score" not in pipeline and pipeline.node("train").title == "x"
    with stack.macro("nothing"):
        pass
    assert stack.count == 1


def test_a_failing_macro_is_rolled_back_and_not_recorded(pipeline: Graph) -> None:
    stack = UndoStack()
    stack.push(SetTitle(pipeline, "train", "first"))
    before = dumps(pipeline)
    with pytest.raises(InvalidParameterError), stack.macro("Bad batch"):
        stack.push(RemoveNode(pipeline, "score"))
        stack.push(MoveNode(pipeline, "data", (3, 3)))
        stack.push(SetParameter(pipeline, "promote", "alias", "king"))
    assert dumps(pipeline) == before and stack.count == 1 and not stack.in_macro
    assert stack.undo_text() == "Rename 'Train (scikit-learn)'"


def test_paste_remaps_clashing_ids_and_offsets_positions(pipeline: Graph) -> None:
    fragment = copy_fragment(pipeline, ["train", "promote"])
    stack = UndoStack()
    before = dumps(pipeline)
    paste = PasteGroup(pipeline, fragment, offset=(10, 20))
    stack.push(paste)
    assert paste.id_map == {"promote": "promote_2", "train": "train_2"}
    assert pipeline.node("train_2").position == (210.0, 20.0)
    assert pipeline.node("promote_2").params == pipeline.node("promote").params
    assert pipeline.edges_into("promote_2") == [Edge("train_2", "model", "promote_2", "model")]
    assert paste.text == "Paste 2 nodes"
    second = PasteGroup(pipeline, fragment)
    stack.push(second)
    assert second.id_map == {"promote": "promote_3", "train": "train_3"}
    stack.undo()
    stack.undo()
    assert dumps(pipeline) == before
    stack.redo()
    assert sorted(pipeline.nodes) == ["data", "promote", "promote_2", "score", "train", "train_2"]


def test_paste_into_an_empty_graph_keeps_ids_and_takes_a_graph_or_notes() -> None:
    source = Graph()
    source.add_node("data_source", id="d")
    source.add_annotation("note here", id="n1")
    target = Graph()
    target.add_annotation("taken", id="n1")
    stack = UndoStack()
    paste = PasteGroup(target, source.subgraph(["d"], annotation_ids=["n1"]), offset=(0, 0))
    stack.push(paste)
    assert (
        paste.id_map == {"d": "d", "n1": "n1_2"} and target.annotation("n1_2").text == "note here"
    )
    stack.undo()
    assert list(target.annotations) == ["n1"] and "d" not in target


def test_paste_of_bad_clipboard_text_raises_file_errors() -> None:
    g = Graph()
    with pytest.raises(GraphFormatError, match="clipboard"):
        PasteGroup(g, "format: mlops-workbench/graph\nversion: 2\nnodes:\n- {id: x, kind: nope}\n")


def test_a_paste_that_fails_half_way_is_rolled_back(pipeline: Graph) -> None:
    fragment = pipeline.subgraph(["train"])
    paste = PasteGroup(pipeline, fragment)
    paste.id_map = {"train": "fresh"}
    paste.nodes = [
        fragment.nodes["train"].__class__("fresh", "train_sklearn", "t", (0, 0), {}, None)
    ]
    paste.edges = [Edge("fresh", "model", "promote", "model")]  # promote.model is already fed
    before = dumps(pipeline)
    with pytest.raises(GraphError):
        UndoStack().push(paste)
    assert dumps(pipeline) == before


def test_clean_tracking_and_events(pipeline: Graph, recorder) -> None:
    stack = UndoStack()
    rec = recorder(stack.events)
    assert stack.is_clean and not stack.can_undo() and not stack.can_redo()
    assert stack.undo_text() == stack.redo_text() == ""
    stack.push(SetTitle(pipeline, "train", "a"))
    assert not stack.is_clean
    assert rec.calls == [("index_changed", (1,)), ("clean_changed", (False,)), ("changed", ())]
    rec.clear()
    stack.set_clean()
    assert stack.is_clean and rec.calls == [("clean_changed", (True,)), ("changed", ())]
    rec.clear()
    stack.set_clean()
    assert rec.calls == []
    stack.undo()
    assert not stack.is_clean and stack.can_redo()
    stack.redo()
    assert stack.is_clean
    stack.undo()
    stack.push(SetTitle(pipeline, "train", "b"))  # the clean state is gone for good
    assert stack.clean_index is None and not stack.is_clean
    stack.undo()
    assert not stack.is_clean
    assert stack.undo() is False and stack.index == 0
    rec.clear()
    stack.clear()
    assert stack.is_clean and stack.count == 0 and rec.names()[-1] == "changed"


def test_limit_drops_the_oldest_steps(pipeline: Graph) -> None:
    stack = UndoStack(limit=3)
    stack.set_clean()
    for i in range(5):
        stack.push(SetTitle(pipeline, "train", f"t{i}"))
    assert (stack.count, stack.index, stack.limit) == (3, 3, 3)
    assert stack.clean_index is None
    while stack.undo():
        pass
    assert pipeline.node("train").title == "t1"
    with pytest.raises(ValueError):
        UndoStack(limit=-1)


def test_set_index_walks_the_history(pipeline: Graph) -> None:
    stack = UndoStack()
    for i in range(3):
        stack.push(SetTitle(pipeline, "train", f"t{i}"))
    stack.set_index(1)
    assert pipeline.node("train").title == "t0"
    stack.set_index(3)
    assert pipeline.node("train").title == "t2"
    with pytest.raises(IndexError):
        stack.set_index(4)


def test_redo_of_add_node_reuses_the_same_id() -> None:
    g = Graph()
    stack = UndoStack()
    stack.push(AddNode(g, "evaluate"))
    stack.undo()
    g.add_node("evaluate", id="other")
    stack.redo()
    assert sorted(g.nodes) == ["evaluate", "other"]


def test_a_command_failing_on_undo_or_redo_moves_nothing() -> None:
    g = Graph()
    stack = UndoStack()
    stack.push(AddNode(g, "evaluate", id="e"))
    g.remove_node("e")  # changed behind the stack's back
    with pytest.raises(UnknownNodeError):
        stack.undo()
    assert stack.index == 1
    g.add_node("evaluate", id="e")
    assert stack.undo() and stack.index == 0
    g.add_node("evaluate", id="e")
    with pytest.raises(DuplicateNodeIdError):
        stack.redo()
    assert stack.index == 0 and stack.can_redo()


def test_commands_carry_readable_texts(pipeline: Graph) -> None:
    assert Connect(pipeline, "a", "b", "c", "d").text == "Connect a.b to c.d"
    assert RemoveNode(pipeline, "train").text == "Remove 'Train (scikit-learn)'"
    assert SetTarget(pipeline, "train", None).text.endswith("the default target")
    assert "UnknownNodeKindError" not in repr(AddNode(pipeline, "x"))
    with pytest.raises(UnknownNodeKindError):
        AddNode(pipeline, "x").do()
