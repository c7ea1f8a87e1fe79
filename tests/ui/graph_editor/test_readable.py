"""The canvas as a newcomer meets it on a laptop: it gets the room, and every node's title can be
read after Fit to View (every template and the demo's graph) and at any zoom — shortened when
space is short, never hidden; the minimap stays small and can be hidden for good."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, QSettings
from PySide6.QtGui import QImage

from tests.ui.graph_editor.conftest import click, make_editor, node_centre
from workbench.graph import Graph, list_templates, load, load_template
from workbench.ui.graph_editor.minimap import MAX_FRACTION
from workbench.ui.graph_editor.title_text import TITLE_MIN_PX
from workbench.ui.graph_editor.view import READABLE_ZOOM

#: The graph editor's size in the data scientist's view of a 1366×768 main window.
LAPTOP_EDITOR = (930, 620)
READABLE_PX = 9.0


def _laptop_editor(qtbot):  # noqa: ANN001, ANN202 - pytest-qt's QtBot; a GraphEditor
    editor = make_editor(qtbot)
    editor.resize(*LAPTOP_EDITOR)
    qtbot.waitUntil(lambda: editor.view.viewport().width() > 600, timeout=2000)
    return editor


def _text_pixels(image: QImage, rect: QRectF) -> int:
    """Near-white pixels beside the node's coloured fill: the strokes of a white title (the
    sides, where port dots are, are left out)."""
    box = rect.toAlignedRect().intersected(image.rect()).adjusted(6, 1, -6, -1)
    count = 0
    for y in range(box.top(), box.bottom() + 1):
        for x in range(box.left(), box.right() + 1):
            if image.pixelColor(x, y).lightness() < 225:
                continue
            sides = (image.pixelColor(x - 3, y), image.pixelColor(x + 3, y))
            count += any(c.lightness() < 190 for c in sides)
    return count


def _assert_every_title_readable(editor, graph: Graph) -> None:  # noqa: ANN001
    view = editor.view
    view.settle()
    image = view.viewport().grab().toImage()
    for node_id, item in editor.scene.node_items.items():
        on_screen = view.mapFromScene(item.mapRectToScene(item.body_rect())).boundingRect()
        assert image.rect().contains(on_screen), f"{node_id} is not in view"
        assert _text_pixels(image, QRectF(on_screen)) >= 12, f"no title painted on {node_id}"
    titles = editor.painted_titles()
    assert set(titles) == set(graph.nodes)
    for node_id, (text, pixels) in titles.items():
        title = graph.nodes[node_id].title or node_id
        assert pixels >= READABLE_PX, (node_id, text, pixels)
        kept = text.split("…")[0].replace(" ", "")
        assert len(kept) >= min(len(title.replace(" ", "")), 8), (node_id, title, text)


@pytest.mark.parametrize("name", list_templates())
def test_fit_to_view_leaves_every_template_title_readable(qtbot, name: str) -> None:  # noqa: ANN001
    editor = _laptop_editor(qtbot)
    editor.new_from_template(name)
    editor.actions()["fit_view"].trigger()
    assert editor.view.zoom() >= READABLE_ZOOM
    _assert_every_title_readable(editor, load_template(name))


def test_fit_to_view_leaves_the_demo_graph_readable(qtbot, demo_store: str) -> None:  # noqa: ANN001
    demo = next(Path(demo_store.removeprefix("sqlite:///")).parent.glob("files/*.yaml"))
    editor = _laptop_editor(qtbot)
    assert editor.open_file(demo)
    editor.fit_view()
    _assert_every_title_readable(editor, load(demo, strict=False))


def test_titles_are_shortened_not_hidden_at_any_zoom(qtbot) -> None:  # noqa: ANN001
    editor = _laptop_editor(qtbot)
    editor.new_from_template("canary")
    seen_short = False
    for zoom in (0.15, 0.2, 0.3, 0.4, 0.55, 0.8, 1.0, 2.0):
        editor.view.set_zoom(zoom)
        editor.view.centre_on(editor.scene.content_rect().center())
        titles = editor.painted_titles()
        assert titles, zoom
        for node_id, (text, pixels) in titles.items():
            assert text and pixels >= TITLE_MIN_PX, (zoom, node_id, text, pixels)
        seen_short = seen_short or any(t.endswith("…") for t, _ in titles.values())
    assert seen_short  # far out the long titles are elided


def test_fit_stops_at_the_readable_zoom_and_centres_a_big_graph(qtbot) -> None:  # noqa: ANN001
    editor = _laptop_editor(qtbot)
    graph = Graph()
    for i in range(30):
        graph.add_node("trigger", id=f"step_{i}", position=(i * 260.0, 0.0))
    editor.controller.replace_graph(graph)
    editor.fit_view()
    view = editor.view
    assert view.zoom() == pytest.approx(READABLE_ZOOM)
    assert not view.visible_scene_rect().contains(editor.scene.content_rect())  # it scrolls
    centre = view.visible_scene_rect().center() - editor.scene.content_rect().center()
    assert abs(centre.x()) < 20 and abs(centre.y()) < 20  # give or take a scroll bar
    titles = editor.painted_titles()
    assert len(titles) >= 5 and all(px >= TITLE_MIN_PX and t for t, px in titles.values())


def test_the_canvas_gets_the_room_until_a_node_is_selected(qtbot) -> None:  # noqa: ANN001
    editor = _laptop_editor(qtbot)
    editor.new_from_template("retrain")
    editor.view.set_zoom(1.0)
    view = editor.view
    assert not editor.splitter.details_open()
    assert view.viewport().width() >= 0.78 * editor.width()
    assert editor.palette_panel.width() <= 170
    node = "train"
    editor.view.centre_on(node_centre(editor, node) + QPointF(180.0, 0.0))
    before = view.mapFromScene(node_centre(editor, node))
    click(view, node_centre(editor, node))
    assert editor.scene.selected_node_ids() == [node]
    assert editor.splitter.details_open() and editor.properties.isVisible()
    assert editor.properties.node_id == node
    assert view.mapFromScene(node_centre(editor, node)) == before  # the graph did not jump
    click(view, QPointF(view.mapToScene(QPoint(10, 10))))
    assert not editor.splitter.details_open()
    far_right = view.mapToScene(QPoint(view.viewport().width() - 60, 200))
    editor.view.centre_on(
        node_centre(editor, node) - far_right + view.visible_scene_rect().center()
    )
    click(view, node_centre(editor, node))  # under where the column opens: brought into sight
    assert editor.splitter.details_open()
    item = editor.scene.node_items[node]
    assert view.visible_scene_rect().contains(item.sceneBoundingRect())
    assert editor.actions()["properties"].isChecked()
    empty = view.mapToScene(QPoint(10, 10))
    click(view, QPointF(empty))
    assert not editor.scene.selected_node_ids() and not editor.splitter.details_open()
    editor.actions()["properties"].trigger()  # opened by the person: it stays
    assert editor.splitter.details_open()
    click(view, node_centre(editor, node))
    click(view, QPointF(empty))
    assert editor.splitter.details_open()
    assert editor.actions()["properties"].shortcut().toString() == "F4"
    editor.actions()["properties"].trigger()
    assert not editor.splitter.details_open() and not editor.actions()["properties"].isChecked()


def test_problems_open_the_details_and_are_counted(qtbot) -> None:  # noqa: ANN001
    editor = _laptop_editor(qtbot)
    editor.controller.add_node("train_sklearn", (0.0, 0.0))  # its data input is not connected
    editor.scene.clearSelection()
    editor.splitter.close_details()
    problems = editor.validate()
    assert problems and editor.splitter.details_open() and editor.problems.isVisible()
    count = len(problems)
    assert editor.actions()["properties"].text() == (
        f"&Properties ({count} problem{'s' * (count != 1)})"
    )


def test_the_minimap_is_small_and_its_toggle_remembered(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    editor = _laptop_editor(qtbot)
    editor.use_settings(settings)
    editor.new_from_template("canary")
    minimap, port = editor.view.minimap, editor.view.viewport().geometry()
    qtbot.waitUntil(lambda: minimap.width() < 200, timeout=2000)
    assert minimap.isVisible()
    assert minimap.width() <= MAX_FRACTION * port.width() + 1
    assert minimap.height() <= MAX_FRACTION * port.height() + 1
    corner = minimap.geometry().bottomRight()
    assert port.right() - corner.x() <= 12 and port.bottom() - corner.y() <= 12
    assert editor.actions()["minimap"].shortcut().toString() == "Ctrl+M"
    editor.actions()["minimap"].trigger()
    assert not minimap.isVisible()
    again = make_editor(qtbot)
    again.use_settings(settings)
    assert not again.view.minimap.isVisible() and not again.actions()["minimap"].isChecked()
    again.actions()["minimap"].trigger()
    assert again.view.minimap.isVisible()
    assert settings.value("graph_editor/minimap") in (True, "true")


def test_scientist_view_at_1366x768_canvas_and_titles(
    qtbot,  # noqa: ANN001
    demo_store: str,
    tmp_path: Path,
) -> None:
    from workbench.store import open_store
    from workbench.ui.main_window import MainWindow

    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(open_store(demo_store), "newcomer", settings=settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.switch_role("scientist")
    qtbot.wait(100)
    editor = window.view("graph").editor
    demo = next(Path(demo_store.removeprefix("sqlite:///")).parent.glob("files/*.yaml"))
    assert editor.open_file(demo)
    editor.fit_view()
    qtbot.wait(50)
    assert window.width() <= 1366
    assert editor.view.viewport().width() >= window.width() / 2
    _assert_every_title_readable(editor, load(demo, strict=False))
    window.close()


def test_a_note_keeps_readable_text_far_out(qtbot) -> None:  # noqa: ANN001
    editor = _laptop_editor(qtbot)
    editor.new_from_template("retrain")
    (note,) = editor.scene.note_items.values()
    for zoom in (0.25, 0.4, 1.0):
        editor.view.set_zoom(zoom)
        editor.view.centre_on(note.sceneBoundingRect().center())
        editor.view.settle()
        image = editor.view.viewport().grab().toImage()
        box = editor.view.mapFromScene(note.sceneBoundingRect()).boundingRect()
        box = box.intersected(image.rect())
        ink = sum(
            image.pixelColor(x, y).lightness() < 120
            for y in range(box.top(), box.bottom() + 1)
            for x in range(box.left(), box.right() + 1)
        )
        assert ink >= 20, (zoom, ink)  # the note's dark text, not a blank yellow box
