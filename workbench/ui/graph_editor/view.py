"""The canvas view: zoom, pan, grid, drops from the palette, context menu and the minimap.

Rules: the view changes how the scene is looked at, never the graph. Ctrl+wheel (and the
zoom actions) zoom around the mouse or the centre, clamped to ``MIN_ZOOM``..``MAX_ZOOM``;
Fit to View shows the whole graph but never zooms out below ``READABLE_ZOOM``, where every
node's title is still readable (wrapped, shortened with "…" only if very long): a graph too
big for that is centred and the view scrolls;
the middle button or Space+left button pan; the left button on empty canvas draws a rubber
band. A node kind dropped from the palette is announced (``kindDropped``) for the editor to
add as an undo command; arrow keys ask to nudge the selection (``nudgeRequested``).
Rendering: smart viewport updates, a zoom gesture that scales cached node pixmaps until it
settles (``ZOOM_SETTLE_MS``), a cached background grid drawn with a couple of line
batches, no painter save/restore per item (items set what they use and reset what they
change), and no layout work per frame; ``viewChanged`` tells the minimap the visible rect
moved.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QEvent, QLineF, QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPen,
    QResizeEvent,
    QShowEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QFrame, QGraphicsView, QMenu, QWidget

from workbench.ui.graph_editor.minimap import MiniMap
from workbench.ui.graph_editor.overview import OVERVIEW_ZOOM
from workbench.ui.graph_editor.palette import NODE_KIND_MIME
from workbench.ui.graph_editor.scene import GraphScene

__all__ = ["MAX_ZOOM", "MIN_ZOOM", "READABLE_ZOOM", "GraphView"]

MIN_ZOOM = 0.05
#: Fit to View zooms out no further: a node is ~74 px wide, its title wrapped in 10 px text.
READABLE_ZOOM = 0.4
ZOOM_SETTLE_MS = 250
MAX_ZOOM = 4.0
_GRID = 20.0


class GraphView(QGraphicsView):
    """Shows a ``GraphScene``; see the module rules."""

    kindDropped = Signal(str, QPointF)
    nudgeRequested = Signal(float, float)
    viewChanged = Signal()
    mouseReleased = Signal()

    def __init__(self, scene: GraphScene, parent: QWidget | None = None):
        super().__init__(scene, parent)
        self.graph_scene = scene
        self.context_actions: list[QAction | None] = []
        self._pan_from: QPoint | None = None
        self._space_down = False
        self._fit_on_show = False
        self._fit_readable = True
        self.setObjectName("graph_view")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setCacheMode(QGraphicsView.CacheModeFlag.CacheBackground)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        self.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontSavePainterState, True)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.minimap = MiniMap(self, self)
        scene.changed.connect(self.minimap.invalidate)
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(ZOOM_SETTLE_MS)
        self._settle.timeout.connect(self._on_zoom_settled)
        self.viewChanged.connect(self.minimap.update)

    # -- zoom ----------------------------------------------------------------------------------

    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Scale by ``factor`` (clamped), keeping ``anchor`` (viewport coordinates) still."""
        current = self.zoom()
        target = min(MAX_ZOOM, max(MIN_ZOOM, current * factor))
        if math.isclose(target, current):
            return
        factor = target / current
        self.graph_scene.set_zooming(True, self.devicePixelRatioF())
        self._settle.start()
        centre = self.viewport().rect().center()
        keep = QPointF(centre) if anchor is None else anchor
        before = self.mapToScene(keep.toPoint())
        middle = self.mapToScene(centre)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.scale(factor, factor)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.centerOn(middle)
        if anchor is not None:
            self.centerOn(middle + (before - self.mapToScene(keep.toPoint())))
        self._on_zoom_changed()
        self.viewChanged.emit()

    def set_zoom(self, value: float) -> None:
        self.zoom_by(value / self.zoom())

    def fit_view(self, rect: QRectF | None = None, *, readable: bool = True) -> None:
        """Show ``rect`` (default: every node and note), at most at 100 % and, when
        ``readable``, at least at ``READABLE_ZOOM`` (a bigger graph is centred and scrolls);
        before the view is shown, on its first show."""
        if not self.isVisible():
            self._fit_on_show = True
            self._fit_readable = readable
            return
        self.graph_scene.flush_scene_rect()
        content = rect if rect is not None else self.graph_scene.graph_rect()
        if content.isNull():
            self.resetTransform()
            self.centerOn(0.0, 0.0)
        else:
            self.fitInView(
                content.adjusted(-40.0, -40.0, 40.0, 40.0), Qt.AspectRatioMode.KeepAspectRatio
            )
            least = READABLE_ZOOM if readable else MIN_ZOOM
            if self.zoom() > 1.0:
                self.set_zoom(1.0)
            elif self.zoom() < least:
                self.set_zoom(least)
            self.centerOn(content.center())
        self._on_zoom_changed()
        self.viewChanged.emit()

    def _on_zoom_settled(self) -> None:
        self.graph_scene.set_zooming(False)

    def settle(self) -> None:
        """End a zoom gesture now: nodes are drawn crisply at the current zoom again."""
        self._settle.stop()
        self._on_zoom_settled()

    def _on_zoom_changed(self) -> None:
        self.graph_scene.set_overview(self.zoom() < OVERVIEW_ZOOM)

    def painted_titles(self) -> dict[str, tuple[str, float]]:
        """Repaint the viewport and report, for each node at least partly in it, the title as
        drawn (lines joined by spaces; "" if none) and its on-screen pixel size (0 if none)."""
        self.settle()
        scene = self.graph_scene
        scene.flush_scene_rect()
        for item in scene.node_items.values():
            item.painted_title = None
            item.update()  # a cached item paints again
        scene.overview.painted_titles = {}
        scene.overview.update()
        self.viewport().grab()
        visible = self.visible_scene_rect()
        found: dict[str, tuple[str, float]] = {}
        for node_id, item in scene.node_items.items():
            if not item.sceneBoundingRect().intersects(visible):
                continue
            drawn = (
                scene.overview.painted_titles.get(node_id)
                if scene.overview_active
                else item.painted_title
            )
            found[node_id] = (drawn.text, drawn.pixel_size) if drawn else ("", 0.0)
        return found

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def centre_on(self, point: QPointF) -> None:
        self.graph_scene.flush_scene_rect()
        self.centerOn(point)
        self.viewChanged.emit()

    # -- Qt overrides --------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        colors = self.graph_scene.colors
        painter.fillRect(rect, colors.background)
        scale = self.zoom()
        for step, color in ((_GRID, colors.grid), (_GRID * 5, colors.grid_major)):
            if step * scale < 9.0:
                continue
            left = math.floor(rect.left() / step) * step
            top = math.floor(rect.top() / step) * step
            lines = [
                QLineF(x, rect.top(), x, rect.bottom()) for x in _frange(left, rect.right(), step)
            ]
            lines += [
                QLineF(rect.left(), y, rect.right(), y) for y in _frange(top, rect.bottom(), step)
            ]
            painter.setPen(QPen(color, 0))
            painter.drawLines(lines)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            delta = event.angleDelta().y() or event.angleDelta().x()
            self.zoom_by(math.pow(1.0015, delta), event.position())
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key == Qt.Key.Key_Escape and self.graph_scene.dragging_connection:
            self.graph_scene.cancel_connection()
            event.accept()
            return
        if key == Qt.Key.Key_Space and not event.isAutoRepeat() and self._pan_from is None:
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        steps = {
            Qt.Key.Key_Left: (-1.0, 0.0),
            Qt.Key.Key_Right: (1.0, 0.0),
            Qt.Key.Key_Up: (0.0, -1.0),
            Qt.Key.Key_Down: (0.0, 1.0),
        }
        if key in steps and self.scene().selectedItems():
            big = 10.0 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1.0
            dx, dy = steps[Qt.Key(key)]
            self.nudgeRequested.emit(dx * _GRID / 2 * big, dy * _GRID / 2 * big)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            if self._pan_from is None:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event: QEvent) -> None:
        self._space_down = False
        super().focusOutEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_down
        ):
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None:
            now = event.position().toPoint()
            delta = now - self._pan_from
            self._pan_from = now
            self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - delta.x())
            self.verticalScrollBar().setValue(self.verticalScrollBar().value() - delta.y())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._pan_from is not None and event.button() in (
            Qt.MouseButton.MiddleButton,
            Qt.MouseButton.LeftButton,
        ):
            self._pan_from = None
            if self._space_down:
                self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            else:
                self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)
        self.mouseReleased.emit()

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(NODE_KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(NODE_KIND_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        data = event.mimeData()
        if data.hasFormat(NODE_KIND_MIME):
            kind = bytes(data.data(NODE_KIND_MIME).data()).decode("utf-8")
            self.kindDropped.emit(kind, self.mapToScene(event.position().toPoint()))
            event.acceptProposedAction()
            return
        super().dropEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.itemAt(event.pos())
        if (
            item is not None
            and not item.isSelected()
            and item.flags() & item.GraphicsItemFlag.ItemIsSelectable
        ):
            self.scene().clearSelection()
            item.setSelected(True)
        menu = QMenu(self)
        for action in self.context_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.exec(event.globalPos())

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        super().scrollContentsBy(dx, dy)
        self.viewChanged.emit()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._fit_on_show:
            self._fit_on_show = False
            self.fit_view(readable=self._fit_readable)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.minimap.place()
        self.viewChanged.emit()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            self.graph_scene.refresh_palette(self.palette())
            self.resetCachedContent()
            self.minimap.refresh()
        super().changeEvent(event)


def _frange(start: float, stop: float, step: float) -> list[float]:
    count = int((stop - start) / step) + 1
    return [start + i * step for i in range(max(0, count))]
