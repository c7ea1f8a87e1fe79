"""The canvas as a user drives it: palette, port drags, refusals, moves, delete, layout, align,
zoom, pan, minimap, notes, run states and double-click."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.graph_editor.conftest import (
    click,
    double_click,
    drag,
    node_centre,
    port_pos,
    to_view,
)
from workbench.graph import Edge, dumps
from workbench.ui.graph_editor import editing
from workbench.ui.graph_editor.palette import kind_mime_data


def _drop_kind(editor, kind: str, scene_point: QPointF) -> None:  # noqa: ANN001
    viewport = editor.view.viewport()
    point = to_view(editor.view, scene_point)
    data = kind_mime_data(kind)
    enter = QDragEnterEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        data,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, drop)


def _two_nodes(editor):  # noqa: ANN001, ANN202
    """data_source at the left, train_sklearn at the right, both from the palette."""
    palette = editor.palette_panel
    item = palette.item_for("data_source")
    palette.tree.scrollToItem(item)
    rect = palette.tree.visualItemRect(item)
    double_click(palette.tree.viewport(), rect.center())
    assert list(editor.graph.nodes) == ["data_source"]
    data = editor.graph.nodes["data_source"]
    target = QPointF(data.position[0] + 420, data.position[1] + 60)
    _drop_kind(editor, "train_sklearn", target)
    assert list(editor.graph.nodes) == ["data_source", "train_sklearn"]
    train = editor.graph.nodes["train_sklearn"]
    assert (
        abs(train.position[0] + 92 - target.x()) < 1
        and abs(train.position[1] + 19 - target.y()) < 1
    )
    return data, train


def test_build_from_the_palette_and_connect_by_dragging_a_port(editor) -> None:  # noqa: ANN001
    _two_nodes(editor)
    assert editor.undo_stack.count() == 2
    assert editor.scene.selected_node_ids() == ["train_sklearn"]
    start = port_pos(editor, "data_source", "data", True)
    near = port_pos(editor, "train_sklearn", "data", False) + QPointF(18, 10)  # snaps
    drag(editor.view, start, near)
    assert set(editor.graph.edges) == {Edge("data_source", "data", "train_sklearn", "data")}
    assert Edge("data_source", "data", "train_sklearn", "data") in editor.scene.edge_items
    assert editor.undo_stack.count() == 3
    assert editor.undo_stack.undoText() == "Connect data_source.data to train_sklearn.data"
    assert (
        editor.scene.items().count(editor.scene.bubble) == 1 and not editor.scene.bubble.isVisible()
    )


def test_an_invalid_connection_is_refused_and_the_reason_shown(editor) -> None:  # noqa: ANN001
    _two_nodes(editor)
    drag(
        editor.view,
        port_pos(editor, "data_source", "data", True),
        port_pos(editor, "train_sklearn", "data", False),
    )
    editor.add_node_at_centre("data_source")
    before, count = dumps(editor.graph), editor.undo_stack.count()
    # a second feed into an input that takes one edge: the model says why
    drag(
        editor.view,
        port_pos(editor, "data_source_2", "data", True),
        port_pos(editor, "train_sklearn", "data", False),
    )
    assert dumps(editor.graph) == before and editor.undo_stack.count() == count
    assert "already fed by 'data_source.data'" in editor.last_message
    assert editor.last_message.startswith("Refused:")
    assert editor.scene.bubble.isVisible() and "already fed" in editor.scene.bubble.text
    assert "already fed" in editor.status_label.text()
    # dropped right on a port of another type: refused with the type mismatch
    drag(
        editor.view,
        port_pos(editor, "data_source_2", "data", True),
        port_pos(editor, "train_sklearn", "trigger", False),
    )
    assert dumps(editor.graph) == before
    assert "(dataset)" in editor.last_message and "(signal)" in editor.last_message
    assert "port types differ" in editor.scene.bubble.text


def test_a_connection_that_closes_a_cycle_is_refused(editor) -> None:  # noqa: ANN001
    editor.controller.add_node("promote", (0.0, 0.0))
    editor.controller.add_node("approval_gate", (400.0, 0.0))
    editor.fit_view()
    drag(
        editor.view,
        port_pos(editor, "promote", "model", True),
        port_pos(editor, "approval_gate", "model", False),
    )
    assert Edge("promote", "model", "approval_gate", "model") in editor.graph.edges
    before, count = dumps(editor.graph), editor.undo_stack.count()
    drag(
        editor.view,
        port_pos(editor, "approval_gate", "model", True),
        port_pos(editor, "promote", "model", False),
    )
    assert dumps(editor.graph) == before and editor.undo_stack.count() == count
    assert "would close the cycle approval_gate -> promote -> approval_gate" in editor.last_message
    assert "signal" in editor.scene.bubble.text  # the model's hint says what may loop


def test_dragging_several_nodes_is_one_undo_step(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    ids = sorted(editor.graph.nodes)[:2]
    before = dumps(editor.graph)
    old = {n: editor.graph.nodes[n].position for n in ids}
    editor.scene.select(ids)
    grab = node_centre(editor, ids[0]) - QPointF(0, 10)
    drag(editor.view, grab, grab + QPointF(80, 40))
    for n in ids:
        x, y = editor.graph.nodes[n].position
        assert abs(x - old[n][0] - 80) < 2 and abs(y - old[n][1] - 40) < 2
    assert editor.undo_stack.count() == 1 and editor.undo_stack.undoText() == "Move 2 items"
    editor.actions()["undo"].trigger()
    assert dumps(editor.graph) == before
    assert {
        n: (editor.scene.node_items[n].pos().x(), editor.scene.node_items[n].pos().y()) for n in ids
    } == old


def test_rubber_band_selects_and_delete_key_removes_with_undo(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    before = dumps(editor.graph)
    content = editor.scene.content_rect()
    drag(editor.view, content.topLeft() - QPointF(30, 30), content.bottomRight() + QPointF(30, 30))
    assert editor.scene.selected_node_ids() == sorted(editor.graph.nodes)
    editor.activateWindow()
    editor.view.setFocus()
    QTest.keyClick(editor.view, Qt.Key.Key_Delete)
    assert not editor.graph.nodes and not editor.graph.edges
    assert editor.undo_stack.count() == 1
    QTest.keyClick(editor.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert dumps(editor.graph) == before
    assert len(editor.scene.edge_items) == len(editor.graph.edges)
    QTest.keyClick(editor.view, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert not editor.graph.nodes


def test_an_edge_is_selected_by_click_and_deleted(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    edge = sorted(editor.graph.edges)[0]
    item = editor.scene.edge_items[edge]
    click(editor.view, item.path().pointAtPercent(0.5))
    assert editor.scene.selected_edges() == [edge]
    editor.actions()["delete"].trigger()
    assert edge not in editor.graph.edges and len(editor.graph.nodes) == 2
    editor.actions()["undo"].trigger()
    assert edge in editor.graph.edges


def test_a_connected_input_is_picked_up_and_dropped_to_disconnect(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    edge = next(e for e in sorted(editor.graph.edges) if e.dst_port == "data")
    before = dumps(editor.graph)
    start = port_pos(editor, edge.dst_node, edge.dst_port, False)
    drag(editor.view, start, start + QPointF(-60, 260))
    assert edge not in editor.graph.edges
    assert editor.undo_stack.undoText().startswith("Disconnect")
    editor.actions()["undo"].trigger()
    assert dumps(editor.graph) == before


def test_auto_layout_is_one_step_left_to_right_and_undoable(editor) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    graph = editor.graph
    for i, node_id in enumerate(sorted(graph.nodes)):  # scramble as a user might
        editor.controller.set_positions(
            {node_id: (float((i * 370) % 900), float((i * 530) % 700))}, "Move"
        )
    before, count = dumps(graph), editor.undo_stack.count()
    editor.actions()["auto_layout"].trigger()
    assert editor.undo_stack.count() == count + 1 and editor.undo_stack.undoText() == "Auto layout"
    pos = {n: node.position for n, node in graph.nodes.items()}
    for edge in graph.edges:
        if not graph.is_signal_edge(edge) or edge.dst_node == "retrain":
            assert pos[edge.src_node][0] < pos[edge.dst_node][0], edge
    rects = [editor.scene.node_items[n].sceneBoundingRect() for n in graph.nodes]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    editor.actions()["undo"].trigger()
    assert dumps(graph) == before


def test_align_left_and_top(editor) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    ids = ["live", "train", "drift"]
    editor.scene.select(ids)
    before = dumps(editor.graph)
    assert editor.actions()["align_left"].isEnabled()
    editor.actions()["align_left"].trigger()
    assert len({editor.graph.nodes[n].position[0] for n in ids}) == 1
    editor.actions()["align_top"].trigger()
    assert len({editor.graph.nodes[n].position[1] for n in ids}) == 1
    editor.actions()["undo"].trigger()
    editor.actions()["undo"].trigger()
    assert dumps(editor.graph) == before
    editor.scene.select(["live"])
    assert not editor.actions()["align_left"].isEnabled()


def test_zoom_pan_fit_and_minimap(editor, qtbot) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    view = editor.view
    view.set_zoom(1.0)
    editor.actions()["zoom_in"].trigger()
    assert abs(view.zoom() - 1.25) < 1e-6
    editor.actions()["zoom_out"].trigger()
    assert abs(view.zoom() - 1.0) < 1e-6
    centre = QPointF(view.viewport().rect().center())
    wheel = QWheelEvent(
        centre,
        view.viewport().mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    assert view.zoom() > 1.3
    assert view.graph_scene.zooming  # a gesture: nodes scale cached pixmaps until it settles
    qtbot.waitUntil(lambda: not view.graph_scene.zooming, timeout=2000)
    h = view.horizontalScrollBar().value()
    a = QPoint(400, 300)
    QTest.mousePress(
        view.viewport(), Qt.MouseButton.MiddleButton, Qt.KeyboardModifier.NoModifier, a
    )
    QTest.mouseMove(view.viewport(), a + QPoint(-120, 0))
    QTest.mouseRelease(
        view.viewport(),
        Qt.MouseButton.MiddleButton,
        Qt.KeyboardModifier.NoModifier,
        a + QPoint(-120, 0),
    )
    assert view.horizontalScrollBar().value() == h + 120
    editor.actions()["fit_view"].trigger()
    assert view.visible_scene_rect().contains(editor.scene.content_rect())
    view.set_zoom(0.2)  # far out: the overview draws, items stop painting
    assert editor.scene.overview_active and editor.scene.overview.isVisible()
    view.viewport().grab()
    view.set_zoom(1.0)
    assert not editor.scene.overview_active
    minimap = view.minimap
    assert minimap.isVisible()
    minimap.grab()
    target = editor.scene.node_items["drift"].sceneBoundingRect().center()
    QTest.mouseClick(
        minimap,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        minimap.to_widget(target).toPoint(),
    )
    assert (view.visible_scene_rect().center() - target).manhattanLength() < 40
    editor.actions()["minimap"].trigger()
    assert not minimap.isVisible()


def test_space_drag_pans_instead_of_moving_nodes(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    editor.view.set_zoom(1.0)
    before = dumps(editor.graph)
    h = editor.view.horizontalScrollBar().value()
    editor.view.setFocus()
    QTest.keyPress(editor.view, Qt.Key.Key_Space)
    node = sorted(editor.graph.nodes)[0]
    grab = node_centre(editor, node)
    drag(editor.view, grab, grab + QPointF(-100, 0))
    QTest.keyRelease(editor.view, Qt.Key.Key_Space)
    assert dumps(editor.graph) == before
    assert editor.view.horizontalScrollBar().value() != h


def test_notes_are_added_edited_moved_and_deleted_as_undo_steps(editor, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(editing, "ask_note_text", lambda parent, title, text: "check the labels")
    editor.actions()["add_note"].trigger()
    (note_id,) = editor.scene.selected_annotation_ids()
    assert editor.graph.annotations[note_id].text == "check the labels"
    item = editor.scene.note_items[note_id]
    monkeypatch.setattr(editing, "ask_note_text", lambda parent, title, text: text + " first")
    double_click(editor.view.viewport(), to_view(editor.view, item.sceneBoundingRect().center()))
    assert editor.graph.annotations[note_id].text == "check the labels first"
    old = editor.graph.annotations[note_id].position
    grab = item.sceneBoundingRect().center()
    editor.scene.clearSelection()
    drag(editor.view, grab, grab + QPointF(50, 0))
    assert abs(editor.graph.annotations[note_id].position[0] - old[0] - 50) < 2
    assert editor.undo_stack.count() == 3
    editor.scene.select(annotation_ids=[note_id])
    editor.actions()["delete"].trigger()
    assert note_id not in editor.graph.annotations
    for _ in range(4):
        editor.actions()["undo"].trigger()
    assert not editor.graph.annotations and not editor.scene.note_items


def test_node_states_are_painted_and_double_click_activates(editor, qtbot) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    states = {
        "reference": {"status": "succeeded", "progress": None},
        "train": {"status": "running", "progress": 0.4},
        "promote": {"status": "awaiting_approval"},
        "score": {"status": "queued"},
        "drift": {"status": "failed"},
        "retrain": {"status": "skipped"},
        "live": {"status": "cancelled"},
        "not_a_node": {"status": "failed"},
    }
    editor.set_node_states(states)
    items = editor.scene.node_items
    assert {n: items[n].run_status for n in items} == {n: states[n]["status"] for n in items}
    assert items["train"].run_progress == 0.4 and items["reference"].run_progress is None
    assert "running 40%" in items["train"].toolTip()
    editor.view.set_zoom(1.0)
    editor.view.viewport().grab()  # every state paints
    editor.set_node_states({"train": {"status": "succeeded", "progress": 1.0}, "drift": None})
    assert items["train"].run_status == "succeeded" and items["train"].run_progress is None
    assert items["drift"].run_status is None
    editor.clear_node_states()
    assert all(i.run_status is None for i in items.values())
    editor.focus_node("train")
    with qtbot.waitSignal(editor.nodeActivated, timeout=1000) as signal:
        double_click(editor.view.viewport(), to_view(editor.view, node_centre(editor, "train")))
    assert signal.args == ["train"]


def test_palette_search_filters_kinds(editor) -> None:  # noqa: ANN001
    palette = editor.palette_panel
    assert len(palette.visible_kinds()) == len(editor.graph.catalog)
    palette.search.setText("drift")  # titles, ids and descriptions
    assert set(palette.visible_kinds()) == {"drift_monitor", "trigger"}
    palette.search.setText("drift monitor")
    assert palette.visible_kinds() == ["drift_monitor"]
    palette.search.setText("TRAIN")
    assert {"train_sklearn", "train_torch", "evaluate"} <= set(palette.visible_kinds())
    assert "data_source" not in palette.visible_kinds()
    palette.search.clear()
    assert len(palette.visible_kinds()) == len(editor.graph.catalog)


def test_a_lifted_edge_reconnects_in_one_step_and_escape_cancels(editor) -> None:  # noqa: ANN001
    editor.new_from_template("inference")
    editor.controller.add_node("inference", (600.0, 300.0))
    editor.fit_view()
    old = Edge("data", "data", "score", "data")
    before = dumps(editor.graph)
    drag(
        editor.view,
        port_pos(editor, "score", "data", False),
        port_pos(editor, "inference", "data", False),
    )
    assert old not in editor.graph.edges
    assert Edge("data", "data", "inference", "data") in editor.graph.edges
    assert editor.undo_stack.undoText() == "Reconnect data.data"
    editor.actions()["undo"].trigger()
    assert dumps(editor.graph) == before
    viewport = editor.view.viewport()
    QTest.mousePress(
        viewport,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        to_view(editor.view, port_pos(editor, "data", "data", True)),
    )
    QTest.mouseMove(viewport, to_view(editor.view, port_pos(editor, "inference", "data", False)))
    assert editor.scene.dragging_connection
    QTest.keyClick(editor.view, Qt.Key.Key_Escape)
    assert not editor.scene.dragging_connection
    QTest.mouseRelease(
        viewport,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        to_view(editor.view, port_pos(editor, "inference", "data", False)),
    )
    assert dumps(editor.graph) == before
