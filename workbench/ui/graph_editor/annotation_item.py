"""Text on the canvas: the notes of the graph (``AnnotationItem``) and the transient message
bubble that says why an edit was refused (``MessageBubble``).

Rules: an ``AnnotationItem`` shows one frozen ``Annotation``; it is moved and edited only
through undo commands (the scene records a drag on release, the editor turns a text edit into
``UpdateAnnotation``). Text is laid out (word-wrapped) when the note changes, not per paint;
zoomed out, it is drawn in screen pixels no smaller than ``TITLE_MIN_PX`` (``title_text``),
shortened with "…" where the note is too small on screen.
The bubble ignores the view's zoom so it is readable at any scale, and hides itself.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFontInfo, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QStyleOptionGraphicsItem, QWidget

from workbench.graph import Annotation
from workbench.ui.graph_editor import style
from workbench.ui.graph_editor.title_text import TITLE_MIN_PX, draw_title

__all__ = ["AnnotationItem", "MessageBubble"]

_NOTE_WIDTH = 220.0
_PAD = 8.0


class AnnotationItem(QGraphicsItem):
    """A free-text note."""

    Type = QGraphicsItem.UserType + 3

    def __init__(self, annotation: Annotation):
        super().__init__()
        self.annotation = annotation
        self.annotation_id = annotation.id
        self._rect = QRectF()
        self._text_rect = QRectF()
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setZValue(-1.0)
        self.set_annotation(annotation)

    def type(self) -> int:
        return AnnotationItem.Type

    def set_annotation(self, annotation: Annotation) -> None:
        self.annotation = annotation
        metrics = QFontMetricsF(style.font("port"))
        flags = int(Qt.TextFlag.TextWordWrap)
        text = annotation.text or " "
        bounds = metrics.boundingRect(QRectF(0, 0, _NOTE_WIDTH, 1e6), flags, text)
        self.prepareGeometryChange()
        self._text_rect = QRectF(_PAD, _PAD, _NOTE_WIDTH, max(bounds.height(), metrics.height()))
        self._rect = self._text_rect.adjusted(-_PAD, -_PAD, _PAD, _PAD)
        self.setToolTip("Note — double-click to edit")
        if self.pos() != QPointF(*annotation.position):
            self.setPos(*annotation.position)
        self.update()

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-2.0, -2.0, 2.0, 2.0)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colors = style.colors_of(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        fill = QColor("#4a4326") if colors.dark else QColor("#fff6c7")
        edge = QColor(colors.highlight) if self.isSelected() else fill.darker(130)
        painter.setPen(QPen(edge, 2.0 if self.isSelected() else 1.0))
        painter.setBrush(fill)
        painter.drawRoundedRect(self._rect, 4.0, 4.0)
        ink = QColor("#f3ecd0") if colors.dark else QColor("#3d3a2a")
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        if lod * QFontInfo(style.font("port")).pixelSize() < TITLE_MIN_PX:  # far out: readable
            draw_title(painter, self._rect, self.annotation.text, ink, note=True)
            return
        painter.setPen(ink)
        painter.setFont(style.font("port"))
        painter.drawText(self._text_rect, int(Qt.TextFlag.TextWordWrap), self.annotation.text)


class MessageBubble(QGraphicsObject):
    """A red bubble with a message, shown at a point of the scene for a few seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.text = ""
        self._rect = QRectF()
        self.setZValue(1000.0)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setVisible(False)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._on_timeout)

    def show_message(self, text: str, at: QPointF, msec: int = 5000) -> None:
        metrics = QFontMetricsF(style.font("port"))
        flags = int(Qt.TextFlag.TextWordWrap)
        bounds = metrics.boundingRect(QRectF(0, 0, 360, 1e6), flags, text)
        self.prepareGeometryChange()
        self.text = text
        self._rect = QRectF(0, 0, bounds.width() + 2 * _PAD, bounds.height() + 2 * _PAD)
        self.setPos(at + QPointF(12.0, 12.0))
        self.setVisible(True)
        self.update()
        self._timer.start(msec)

    def _on_timeout(self) -> None:
        self.setVisible(False)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1.0, -1.0, 1.0, 1.0)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        colors = style.colors_of(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QPen(colors.error.darker(120), 1.0))
        painter.setBrush(colors.error)
        painter.drawRoundedRect(self._rect, 5.0, 5.0)
        painter.setPen(colors.bubble_text)
        painter.setFont(style.font("port"))
        painter.drawText(
            self._rect.adjusted(_PAD, _PAD, -_PAD, -_PAD), int(Qt.TextFlag.TextWordWrap), self.text
        )
