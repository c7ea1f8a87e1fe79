"""The run-state badge on a node's header: a small round mark with one glyph per state, drawn
with QPainter primitives (sharp at any scale, no bitmaps)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

__all__ = ["draw_badge"]


def draw_badge(painter: QPainter, c: QPointF, status: str, color: QColor) -> None:
    """A small round badge with a glyph per run state, drawn with primitives."""
    r = 8.0
    painter.setPen(QPen(QColor("#ffffff"), 1.2))
    painter.setBrush(color)
    painter.drawEllipse(c, r, r)
    pen = QPen(
        QColor("#ffffff"),
        1.8,
        Qt.PenStyle.SolidLine,
        Qt.PenCapStyle.RoundCap,
        Qt.PenJoinStyle.RoundJoin,
    )
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    x, y = c.x(), c.y()
    if status == "succeeded":
        painter.drawPolyline([QPointF(x - 4, y), QPointF(x - 1, y + 3), QPointF(x + 4, y - 3)])
    elif status == "failed":
        painter.drawLine(QPointF(x - 3, y - 3), QPointF(x + 3, y + 3))
        painter.drawLine(QPointF(x - 3, y + 3), QPointF(x + 3, y - 3))
    elif status == "queued":
        painter.drawLine(QPointF(x, y), QPointF(x, y - 4))
        painter.drawLine(QPointF(x, y), QPointF(x + 3, y + 1.5))
    elif status == "running":
        painter.drawArc(QRectF(x - 4, y - 4, 8, 8), 90 * 16, -270 * 16)
    elif status == "awaiting_approval":
        painter.drawLine(QPointF(x - 2, y - 3.5), QPointF(x - 2, y + 3.5))
        painter.drawLine(QPointF(x + 2, y - 3.5), QPointF(x + 2, y + 3.5))
    elif status == "cancelled":
        painter.drawEllipse(c, 4.0, 4.0)
        painter.drawLine(QPointF(x - 2.8, y + 2.8), QPointF(x + 2.8, y - 2.8))
    elif status == "skipped":
        painter.drawPolyline([QPointF(x - 4, y - 3), QPointF(x - 1, y), QPointF(x - 4, y + 3)])
        painter.drawPolyline([QPointF(x, y - 3), QPointF(x + 3, y), QPointF(x, y + 3)])
