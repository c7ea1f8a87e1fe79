"""The problems list: re-validated after changes (debounced), a click selects and centres."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt
from PySide6.QtTest import QTest


def test_problems_follow_the_graph_and_a_click_focuses_the_node(editor, qtbot) -> None:  # noqa: ANN001
    problems = editor.problems
    assert problems.list.count() == 0 and problems.summary.text() == "No problems."
    editor.controller.add_node("data_source", (0.0, 0.0))
    editor.controller.add_node("train_sklearn", (2400.0, 1600.0))
    qtbot.waitUntil(lambda: problems.list.count() == 3, timeout=2000)
    texts = [problems.list.item(i).text() for i in range(problems.list.count())]
    assert "required input 'data' (dataset) is not connected" in texts[0]  # errors first
    assert all("not connected to anything" in t for t in texts[1:])
    assert problems.summary.text() == "1 error, 2 warnings"
    editor.view.centre_on(QPointF(0.0, 0.0))
    rect = problems.list.visualItemRect(problems.list.item(0))
    QTest.mouseClick(
        problems.list.viewport(),
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        rect.center(),
    )
    assert editor.scene.selected_node_ids() == ["train_sklearn"]
    centre = editor.view.visible_scene_rect().center()
    target = editor.scene.node_items["train_sklearn"].sceneBoundingRect().center()
    assert (centre - target).manhattanLength() < 40
    editor.controller.connect_ports("data_source", "data", "train_sklearn", "data")
    qtbot.waitUntil(lambda: problems.list.count() == 0, timeout=2000)
    assert editor.validate() == [] and editor.last_message == "The graph is valid."
