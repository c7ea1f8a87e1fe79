"""Copy, cut, paste and duplicate through the system clipboard (YAML text), also between two
editor windows."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.graph_editor.conftest import make_editor
from workbench.graph import FORMAT, Edge, dumps, loads


def test_copy_and_paste_between_two_editors(editor, qtbot) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    editor.scene.select(["reference", "train", "promote"], ["note_feedback"])
    editor.actions()["copy"].trigger()
    text = QApplication.clipboard().text()
    assert text.startswith(f"format: {FORMAT}")
    fragment = loads(text)
    assert set(fragment.nodes) == {"reference", "train", "promote"}
    assert set(fragment.edges) == {
        Edge("reference", "data", "train", "data"),
        Edge("train", "model", "promote", "model"),
    }
    other = make_editor(qtbot)
    qtbot.waitUntil(lambda: other.actions()["paste"].isEnabled(), timeout=1000)
    other.actions()["paste"].trigger()
    graph = other.graph
    assert set(graph.nodes) == {"reference", "train", "promote"}
    assert set(graph.edges) == set(fragment.edges) and set(graph.annotations) == {"note_feedback"}
    for node_id, node in graph.nodes.items():
        original = editor.graph.nodes[node_id]
        assert (node.kind, node.title, dict(node.params)) == (
            original.kind,
            original.title,
            dict(original.params),
        )
    assert other.scene.selected_node_ids() == ["promote", "reference", "train"]
    assert other.undo_stack.count() == 1 and other.undo_stack.undoText() == "Paste 3 nodes"
    pasted_box = other.scene.content_rect()
    assert other.view.visible_scene_rect().intersects(pasted_box)
    other.actions()["undo"].trigger()
    assert not graph.nodes and not graph.annotations
    # the second paste in the same editor gets fresh ids and keeps its edges
    other.actions()["paste"].trigger()
    other.actions()["paste"].trigger()
    assert {"train", "train_2", "reference_2", "promote_2"} <= set(graph.nodes)
    assert Edge("train_2", "model", "promote_2", "model") in graph.edges
    a, b = graph.nodes["train"].position, graph.nodes["train_2"].position
    assert (b[0] - a[0], b[1] - a[1]) == (30.0, 30.0)


def test_cut_removes_and_paste_brings_back(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    before = dumps(editor.graph)
    editor.select_all()
    editor.actions()["cut"].trigger()
    assert not editor.graph.nodes and FORMAT in QApplication.clipboard().text()
    assert editor.undo_stack.undoText().startswith("Cut")
    editor.actions()["paste"].trigger()
    after = loads(dumps(editor.graph))
    assert set(after.nodes) == set(loads(before).nodes) and set(after.edges) == set(
        loads(before).edges
    )


def test_duplicate_with_ctrl_d_is_one_step(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    QApplication.clipboard().setText("unrelated text")
    editor.scene.select(sorted(editor.graph.nodes))
    editor.activateWindow()
    editor.view.setFocus()
    QTest.keyClick(editor.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(editor.graph.nodes) == 4 and len(editor.graph.edges) == 2
    assert editor.undo_stack.count() == 1 and editor.undo_stack.undoText() == "Duplicate 2 nodes"
    assert QApplication.clipboard().text() == "unrelated text"  # duplicate leaves it alone
    assert sorted(editor.scene.selected_node_ids()) == sorted(
        n for n in editor.graph.nodes if n.endswith("_2")
    )


def test_pasting_something_else_is_refused_with_a_reason(editor) -> None:  # noqa: ANN001
    QApplication.clipboard().setText("just some words")
    assert not editor.actions()["paste"].isEnabled()
    assert editor.paste() == []
    assert "no graph" in editor.last_message
    QApplication.clipboard().setText(
        f"format: {FORMAT}\nversion: 2\nnodes: [{{id: x, kind: nope}}]\n"
    )
    assert editor.paste() == []
    assert editor.last_message.startswith("Refused: cannot paste") and "nope" in editor.last_message
    assert not editor.graph.nodes and editor.undo_stack.count() == 0
