"""Drawing: light and dark palettes, big graphs, and the binding work-around that keeps
long canvas sessions alive."""

from __future__ import annotations

import sys

import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QPalette

from workbench.ui import _compat
from workbench.ui.graph_editor.overview import OVERVIEW_ZOOM
from workbench.ui.graph_editor.title_text import TITLE_MIN_PX
from workbench.ui.graph_editor.view import MIN_ZOOM, READABLE_ZOOM


def test_light_and_dark_palettes_are_respected(editor) -> None:  # noqa: ANN001
    editor.new_from_template("retrain")
    light = editor.scene.colors
    assert not light.dark
    dark = QPalette()
    for role, color in (
        (QPalette.ColorRole.Window, "#202124"),
        (QPalette.ColorRole.Base, "#1b1b1d"),
        (QPalette.ColorRole.Text, "#e8eaed"),
        (QPalette.ColorRole.WindowText, "#e8eaed"),
    ):
        dark.setColor(role, QColor(color))
    editor.view.setPalette(dark)
    colors = editor.scene.colors
    assert colors.dark and colors.text == QColor("#e8eaed")
    assert (
        colors.background.lightness() < 64
        and editor.scene.backgroundBrush().color() == colors.background
    )
    image = editor.view.viewport().grab().toImage()
    corner = image.pixelColor(2, 2)
    assert corner.lightness() < 80  # the canvas is dark, drawn from the palette
    editor.view.set_zoom(0.1)
    editor.view.viewport().grab()
    assert editor.view.minimap.grab().toImage().pixelColor(5, 5).lightness() < 120


def test_a_500_node_graph_builds_and_draws(editor) -> None:  # noqa: ANN001
    from benchmarks.gui_canvas import build_graph

    editor.controller.replace_graph(build_graph(500, 700))
    assert len(editor.scene.node_items) == 500 and len(editor.scene.edge_items) == 700
    editor.auto_layout()
    assert editor.undo_stack.count() == 1
    # fitted, but no further out than titles stay readable: a big graph scrolls
    assert editor.view.zoom() == pytest.approx(READABLE_ZOOM)
    assert not editor.scene.overview_active
    titles = editor.painted_titles()
    assert len(titles) > 20 and all(px >= TITLE_MIN_PX and text for text, px in titles.values())
    editor.view.set_zoom(0.2)  # far out: drawn in batches, titles shortened but drawn
    assert editor.scene.overview_active and OVERVIEW_ZOOM > 0.2
    titles = editor.painted_titles()
    assert len(titles) > 50 and all(px >= TITLE_MIN_PX and text for text, px in titles.values())
    assert any(text.endswith("…") for text, _ in titles.values())
    editor.view.fit_view(readable=False)  # as far out as it goes: nodes of 9 px hold no letter
    assert editor.view.zoom() == pytest.approx(MIN_ZOOM)
    assert set(editor.painted_titles().values()) == {("", 0.0)}
    editor.view.set_zoom(1.0)
    editor.view.centre_on(editor.scene.content_rect().center())
    editor.view.viewport().grab()
    item = editor.scene.node_items["train_3"]
    editor.focus_node("train_3")
    assert editor.view.visible_scene_rect().contains(item.sceneBoundingRect().center())
    assert (
        editor.view.itemAt(
            editor.view.mapFromScene(item.sceneBoundingRect().center() + QPointF(0, 5))
        )
        is item
    )


def test_void_calls_do_not_wear_out_none() -> None:
    from PySide6.QtCore import QPointF as Point

    point = Point()
    before = sys.getrefcount(None)
    for _ in range(20000):  # without the guard, Python 3.11 + PySide6 6.12 aborts here
        point.setX(1.0)
    assert sys.getrefcount(None) > 1000
    assert _compat.guard_none_refcount() == (sys.version_info < (3, 12) and before > 1 << 39)
