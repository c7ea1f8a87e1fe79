"""Auto-layout and alignment geometry (no widgets): layered left to right, no overlaps,
edges mostly straight, deterministic."""

from __future__ import annotations

import pytest

from workbench.graph import Graph, list_templates, load_template
from workbench.ui.graph_editor.layout import ALIGN_MODES, aligned_positions, layered_layout

SIZE = (184.0, 90.0)


def _overlaps(positions: dict[str, tuple[float, float]]) -> bool:
    boxes = [(x, y, x + SIZE[0], y + SIZE[1]) for x, y in positions.values()]
    return any(
        a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


@pytest.mark.parametrize("name", list_templates())
def test_templates_are_laid_out_left_to_right_without_overlaps(name: str) -> None:
    graph = load_template(name)
    positions = layered_layout(graph, dict.fromkeys(graph.nodes, SIZE))
    assert set(positions) == set(graph.nodes) and not _overlaps(positions)
    for edge in graph.edges:
        if not graph.is_signal_edge(edge):
            assert positions[edge.src_node][0] < positions[edge.dst_node][0], edge
    assert positions == layered_layout(graph, dict.fromkeys(graph.nodes, SIZE))  # deterministic


def test_a_feedback_trigger_sits_after_the_monitor_that_fires_it() -> None:
    graph = load_template("retrain")
    positions = layered_layout(graph, dict.fromkeys(graph.nodes, SIZE))
    assert positions["retrain"][0] > positions["drift"][0] > positions["train"][0]


def test_chains_stay_straight_and_barycentres_untangle() -> None:
    graph = Graph()
    for i in range(3):  # three chains added in an order that would cross if kept as given
        graph.add_node("data_source", f"d{i}", position=(0.0, float(100 * i)))
        graph.add_node("train_sklearn", f"t{i}", position=(0.0, float(100 * (2 - i))))
        graph.connect(f"d{i}", "data", f"t{i}", "data")
    positions = layered_layout(graph, dict.fromkeys(graph.nodes, SIZE), origin=(0.0, 0.0))
    for i in range(3):
        assert positions[f"d{i}"][1] == positions[f"t{i}"][1]  # straight edges
    assert (
        min(p[0] for p in positions.values()) == 0.0
        and min(p[1] for p in positions.values()) == 0.0
    )


def test_a_500_node_graph_is_laid_out_without_overlaps() -> None:
    from benchmarks.gui_canvas import (
        build_graph,  # its time: benchmarks/gui_canvas.py (auto_layout_ms)
    )

    graph = build_graph(500, 700)
    positions = layered_layout(graph, dict.fromkeys(graph.nodes, SIZE))
    assert len(positions) == 500
    assert not _overlaps(positions)


def test_alignment_modes() -> None:
    rects = {"a": (0.0, 0.0, 100.0, 50.0), "b": (40.0, 100.0, 60.0, 30.0)}
    assert aligned_positions(rects, "left") == {"a": (0.0, 0.0), "b": (0.0, 100.0)}
    assert aligned_positions(rects, "right") == {"a": (0.0, 0.0), "b": (40.0, 100.0)}
    assert aligned_positions(rects, "top") == {"a": (0.0, 0.0), "b": (40.0, 0.0)}
    assert aligned_positions(rects, "bottom") == {"a": (0.0, 80.0), "b": (40.0, 100.0)}
    assert aligned_positions(rects, "hcenter") == {"a": (0.0, 0.0), "b": (20.0, 100.0)}
    assert aligned_positions(rects, "vcenter") == {"a": (0.0, 40.0), "b": (40.0, 50.0)}
    assert set(ALIGN_MODES) == {"left", "right", "top", "bottom", "hcenter", "vcenter"}
    with pytest.raises(ValueError, match="unknown alignment"):
        aligned_positions(rects, "diagonal")
