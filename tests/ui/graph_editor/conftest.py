"""Fixtures of the graph editor tests: a shown editor, a clean clipboard, and helpers that drive
the canvas with real mouse events (``QTest`` on the view's viewport)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from workbench.ui.graph_editor import GraphEditor
from workbench.ui.graph_editor.view import GraphView


@pytest.fixture(autouse=True)
def _clean_clipboard(qapp: QApplication) -> Iterator[None]:
    QApplication.clipboard().clear()
    yield
    QApplication.clipboard().clear()


def make_editor(qtbot) -> GraphEditor:  # noqa: ANN001 - pytest-qt's QtBot
    editor = GraphEditor()
    qtbot.addWidget(editor)
    editor.resize(1280, 800)
    editor.show()
    qtbot.waitExposed(editor)
    return editor


@pytest.fixture
def editor(qtbot) -> GraphEditor:  # noqa: ANN001
    return make_editor(qtbot)


def to_view(view: GraphView, scene_point: QPointF) -> QPoint:
    return view.mapFromScene(scene_point)


def drag(
    view: GraphView,
    start: QPointF,
    end: QPointF,
    steps: int = 6,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """Press at ``start``, move in steps, release at ``end`` (scene coordinates)."""
    viewport = view.viewport()
    a, b = to_view(view, start), to_view(view, end)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, modifier, a)
    for i in range(1, steps + 1):
        point = a + (b - a) * (i / steps)
        QTest.mouseMove(viewport, QPoint(round(point.x()), round(point.y())))
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, modifier, b)


def click(
    view: GraphView, at: QPointF, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
) -> None:
    QTest.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, to_view(view, at))


def port_pos(editor: GraphEditor, node_id: str, port: str, output: bool) -> QPointF:
    return editor.scene.node_items[node_id].port_scene_pos(port, output)


def node_centre(editor: GraphEditor, node_id: str) -> QPointF:
    item = editor.scene.node_items[node_id]
    return item.mapToScene(item.body_rect().center())


def double_click(widget, point: QPoint) -> None:  # noqa: ANN001 - any QWidget
    """A real double-click: Qt's QTest.mouseDClick sends only the double-click event, which
    item views ignore unless the same place was pressed first."""
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
    QTest.mouseDClick(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, point)
