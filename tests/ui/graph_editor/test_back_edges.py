"""A feedback edge whose input lies left of its output runs along a lane above both of its
ends instead of as a self-crossing S-curve through the nodes between them."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF


def test_a_back_edge_runs_above_the_nodes_between_its_ends(qapp) -> None:  # noqa: ANN001
    from PySide6.QtGui import QPainterPathStroker

    from workbench.ui.graph_editor.edge_item import BACK_EDGE_LANE, edge_path

    start, end = QPointF(900, 420), QPointF(285, 350)  # retrain trigger's output → train's input
    path = edge_path(start, end)
    stroker = QPainterPathStroker()
    stroker.setWidth(2.0)
    line = stroker.createStroke(path)  # the drawn line, not the area the open path would enclose
    box = path.boundingRect()
    assert box.top() <= 350 - BACK_EDGE_LANE + 1 and box.bottom() <= 420 + 1
    # a node sitting between the two ends, at either end's height, is not crossed
    for y in (350, 420):
        between = QRectF(450, y - 22, 120, 44)
        assert not line.intersects(between)
    assert path.pointAtPercent(0) == start and path.pointAtPercent(1) == end


def test_a_forward_edge_is_an_s_curve_between_its_ends(qapp) -> None:  # noqa: ANN001
    from workbench.ui.graph_editor.edge_item import edge_path

    box = edge_path(QPointF(100, 100), QPointF(400, 200)).boundingRect()
    assert box.left() >= 100 and box.right() <= 400 and box.top() >= 100 and box.bottom() <= 200


def test_a_short_hop_to_a_node_below_runs_through_the_gap(qapp) -> None:  # noqa: ANN001
    from workbench.ui.graph_editor.edge_item import back_edge_lane, lane_above

    train, evaluate = QRectF(290, 330, 150, 76), QRectF(290, 460, 150, 76)  # evaluate sits under train
    start, end = QPointF(440, 368), QPointF(290, 498)  # train's output → evaluate's input, 150 to the left
    lane = back_edge_lane([train, evaluate], train, evaluate, start, end)
    assert train.bottom() < lane < evaluate.top()
    # a node in that gap sends the edge over the top instead, above every node in its span
    blocker = QRectF(300, 415, 100, 36)
    lane = back_edge_lane([train, evaluate, blocker], train, evaluate, start, end)
    assert lane == lane_above([train, evaluate, blocker], start, end) and lane < train.top()
