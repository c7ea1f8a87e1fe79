"""The canvas item of one node: body, header, ports, run-state badge and progress bar.

Rules: a ``NodeItem`` shows a frozen ``Node`` and never changes the model; the scene hands it
a new ``Node`` after each model event (``set_node``) and moves it on ``node_moved``. Ports are
painted by the node itself (no child items) and found by geometry (``port_at``), which keeps
the item count low for big graphs. The body is cached in device coordinates
(``DeviceCoordinateCache``), text is laid out (elided, ``QStaticText``) and ports are placed
when the node changes, never while painting. Zoomed out so far that the title font would be
smaller than ``TITLE_MIN_PX`` on screen, the node is drawn compact: a block in its category's
colour, port dots, and the title wrapped and elided in screen pixels (``title_text``, cached
by on-screen size) — shortened, never hidden; further out the scene's overview draws it the
same way. ``painted_title`` is what the last paint drew. Attached ``EdgeItem``s are re-routed
only when this item really moves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontInfo,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPen,
    QStaticText,
    QTransform,
)
from PySide6.QtWidgets import (
    QGraphicsItem,
    QGraphicsSceneHoverEvent,
    QStyleOptionGraphicsItem,
    QWidget,
)

from workbench.graph import Edge, Node, NodeKind, PortSpec
from workbench.ui.graph_editor import style
from workbench.ui.graph_editor.badge import draw_badge
from workbench.ui.graph_editor.style import (
    BODY_PADDING,
    CORNER,
    HEADER_HEIGHT,
    NODE_WIDTH,
    PORT_HIT_RADIUS,
    PORT_RADIUS,
    ROW_HEIGHT,
    RUN_STATES,
    Colors,
)
from workbench.ui.graph_editor.title_text import TITLE_MIN_PX, DrawnTitle, draw_title

__all__ = ["AttachedEdge", "NodeItem", "PortSlot"]


class AttachedEdge(Protocol):
    """What a node needs of an edge drawn to or from it (``edge_item.EdgeItem``)."""

    @property
    def edge(self) -> Edge: ...

    @property
    def src_item(self) -> NodeItem: ...

    @property
    def dst_item(self) -> NodeItem: ...

    def update_path(self) -> None:
        """Re-route the edge: an end node moved."""


@dataclass(frozen=True)
class PortSlot:
    """One port as drawn: ``output`` tells the side; ``spec`` is None for a port that only a
    leniently loaded edge names."""

    name: str
    type: str
    output: bool
    index: int
    spec: PortSpec | None

    @property
    def multiple(self) -> bool:
        return self.spec is not None and self.spec.multiple

    @property
    def required(self) -> bool:
        return self.spec is not None and self.spec.required


class NodeItem(QGraphicsItem):
    """One node on the canvas."""

    Type = QGraphicsItem.UserType + 1

    def __init__(self, node: Node, kind: NodeKind | None):
        super().__init__()
        self.node = node
        self.kind = kind
        self.node_id = node.id
        self.edges: set[AttachedEdge] = set()
        self.run_status: str | None = None
        self.run_progress: float | None = None
        self.diff_note = ""  # what a compared version changed here (``diff_paint``)
        self._inputs: list[PortSlot] = []
        self._outputs: list[PortSlot] = []
        self._height = 0.0
        self._bounds = QRectF()
        self._shape = QPainterPath()
        self._title = QStaticText()
        self._title_wide = QStaticText()
        self._title_text = ""
        self.painted_title: DrawnTitle | None = None
        self._subtitle = QStaticText()
        self._glyphs: list[_Glyph] = []
        flags = QGraphicsItem.GraphicsItemFlag
        self.setFlags(flags.ItemIsMovable | flags.ItemIsSelectable | flags.ItemSendsGeometryChanges)
        self.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
        self.setAcceptHoverEvents(True)
        self.setZValue(1.0)
        self._build_ports()
        self.set_node(node)
        self.setPos(*node.position)

    def type(self) -> int:
        return NodeItem.Type

    # -- model -> item -------------------------------------------------------------------------

    def _build_ports(self) -> None:
        if self.kind is not None:
            self._inputs = [
                PortSlot(p.name, p.type, False, i, p) for i, p in enumerate(self.kind.inputs)
            ]
            self._outputs = [
                PortSlot(p.name, p.type, True, i, p) for i, p in enumerate(self.kind.outputs)
            ]
        self._relayout()

    def ensure_port(self, name: str, output: bool) -> PortSlot:
        """The port ``name``; one an edge of a leniently loaded file names is added (typeless)."""
        found = self.port(name, output)
        if found is not None:
            return found
        ports = self._outputs if output else self._inputs
        slot = PortSlot(name, "any", output, len(ports), None)
        self.prepareGeometryChange()
        ports.append(slot)
        self._relayout()
        return slot

    def _relayout(self) -> None:
        rows = max(len(self._inputs), len(self._outputs), 1)
        self._height = HEADER_HEIGHT + 2 * BODY_PADDING + rows * ROW_HEIGHT + 4.0
        margin = PORT_RADIUS + 3.0
        self._bounds = QRectF(-margin, -margin, NODE_WIDTH + 2 * margin, self._height + 2 * margin)
        self._shape = QPainterPath()
        self._shape.addRect(QRectF(-PORT_RADIUS, 0.0, NODE_WIDTH + 2 * PORT_RADIUS, self._height))
        font = style.font("port")
        metrics = QFontMetricsF(font)
        room = NODE_WIDTH / 2 - 16 if self._inputs and self._outputs else NODE_WIDTH - 30
        self._glyphs = []
        for slot in (*self._inputs, *self._outputs):
            center = self.port_pos(slot)
            text = _static_text(
                metrics.elidedText(slot.name, Qt.TextElideMode.ElideRight, room), font
            )
            size = text.size()
            x = NODE_WIDTH - 12.0 - size.width() if slot.output else 12.0
            side = PORT_RADIUS * 1.7
            square = QRectF(center.x() - side / 2, center.y() - side / 2, side, side)
            self._glyphs.append(
                _Glyph(
                    slot,
                    center,
                    style.port_color(slot.type),
                    square,
                    text,
                    QPointF(x, center.y() - size.height() / 2),
                )
            )

    def set_node(self, node: Node) -> None:
        """Show ``node`` (same id): title, id and tooltip are laid out here, once."""
        self.node = node
        title_font, small_font = style.font("title"), style.font("small")
        metrics = QFontMetricsF(title_font)
        title = metrics.elidedText(
            node.title or node.id, Qt.TextElideMode.ElideRight, NODE_WIDTH - 40
        )
        wide = metrics.elidedText(
            node.title or node.id, Qt.TextElideMode.ElideRight, NODE_WIDTH - 18
        )
        kind = node.kind if self.kind is not None else f"{node.kind} (unknown kind)"
        subtitle = QFontMetricsF(small_font).elidedText(
            f"{node.id} · {kind}", Qt.TextElideMode.ElideRight, NODE_WIDTH - 40
        )
        self._title = _static_text(title, title_font)  # room left for a run-state badge
        self._title_wide = _static_text(wide, title_font)
        self._title_text = node.title or node.id
        self._subtitle = _static_text(subtitle, small_font)
        self._node_tooltip = self._describe()
        self.setToolTip(self._node_tooltip)
        self.update()

    def _describe(self) -> str:
        lines = [f"<b>{_esc(self.node.title)}</b> ({_esc(self.node.id)})"]
        if self.kind is None:
            lines.append(f"unknown node kind '{_esc(self.node.kind)}'")
        else:
            lines.append(
                _esc(self.kind.title) + (f" — {_esc(self.kind.doc)}" if self.kind.doc else "")
            )
        if self.node.target:
            lines.append(f"runs on {_esc(self.node.target)}")
        if self.run_status:
            label = RUN_STATES.get(self.run_status, ("", self.run_status))[1]
            if self.run_progress is not None:
                label += f" {self.run_progress:.0%}"
            lines.append(f"state: {_esc(label)}")
        if self.diff_note:
            lines.append(self.diff_note)
        return "<br>".join(lines)

    def set_run_state(self, status: str | None, progress: float | None = None) -> None:
        """Show a run state (one of ``style.RUN_STATES``, or None to clear) and progress 0..1."""
        if progress is not None:
            progress = min(1.0, max(0.0, float(progress))) if math.isfinite(progress) else None
        if (status, progress) == (self.run_status, self.run_progress):
            return
        self.run_status = status or None
        self.run_progress = progress if status == "running" else None
        self._node_tooltip = self._describe()
        self.setToolTip(self._node_tooltip)
        self.update()

    def set_diff_note(self, note: str) -> None:
        """Add what a compared version changed on this node (rich text) to its tooltip."""
        self.diff_note = note
        self._node_tooltip = self._describe()
        self.setToolTip(self._node_tooltip)

    # -- geometry ------------------------------------------------------------------------------

    @property
    def height(self) -> float:
        return self._height

    def size(self) -> tuple[float, float]:
        return (NODE_WIDTH, self._height)

    def body_rect(self) -> QRectF:
        return QRectF(0.0, 0.0, NODE_WIDTH, self._height)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def shape(self) -> QPainterPath:
        return self._shape

    @property
    def inputs(self) -> list[PortSlot]:
        return list(self._inputs)

    @property
    def outputs(self) -> list[PortSlot]:
        return list(self._outputs)

    def port(self, name: str, output: bool) -> PortSlot | None:
        for slot in self._outputs if output else self._inputs:
            if slot.name == name:
                return slot
        return None

    def port_pos(self, slot: PortSlot) -> QPointF:
        y = HEADER_HEIGHT + BODY_PADDING + slot.index * ROW_HEIGHT + ROW_HEIGHT / 2
        return QPointF(NODE_WIDTH if slot.output else 0.0, y)

    def port_scene_pos(self, name: str, output: bool) -> QPointF:
        slot = self.port(name, output) or self.ensure_port(name, output)
        return self.mapToScene(self.port_pos(slot))

    def port_at(self, scene_pos: QPointF, radius: float = PORT_HIT_RADIUS) -> PortSlot | None:
        """The port under ``scene_pos`` (within ``radius``), else None."""
        local = self.mapFromScene(scene_pos)
        best: tuple[float, PortSlot] | None = None
        for slot in (*self._inputs, *self._outputs):
            d = _distance(local, self.port_pos(slot))
            if d <= radius and (best is None or d < best[0]):
                best = (d, slot)
        return best[1] if best else None

    def connected_ports(self) -> set[tuple[str, bool]]:
        found: set[tuple[str, bool]] = set()
        for edge in self.edges:
            if edge.src_item is self:
                found.add((edge.edge.src_port, True))
            if edge.dst_item is self:
                found.add((edge.edge.dst_port, False))
        return found

    # -- Qt overrides --------------------------------------------------------------------------

    def itemChange(self, change: QGraphicsItem.GraphicsItemChange, value: Any) -> Any:
        if change == QGraphicsItem.GraphicsItemChange.ItemPositionHasChanged:
            for edge in self.edges:
                edge.update_path()
            notify = getattr(self.scene(), "node_item_moved", None)
            if notify is not None:
                notify(self)
        return super().itemChange(change, value)

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        slot = self.port_at(event.scenePos())
        if slot is None:
            tip = self._node_tooltip
        else:
            direction = "output" if slot.output else "input"
            doc = slot.spec.doc if slot.spec is not None else "not declared by the node's kind"
            extra = ", required" if slot.required else ""
            extra += ", takes many" if slot.multiple else ""
            tip = f"<b>{_esc(slot.name)}</b> ({direction}, {_esc(slot.type)}{extra})<br>{_esc(doc)}"
        if tip != self.toolTip():
            self.setToolTip(tip)
        super().hoverMoveEvent(event)

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        # the view does not save the painter's state per item: what changes here is reset
        dimmed = self.run_status in ("skipped", "cancelled")
        if dimmed:
            painter.setOpacity(0.6)
        try:
            self._paint(painter, option)
        finally:
            if dimmed:
                painter.setOpacity(1.0)

    def _paint(self, painter: QPainter, option: QStyleOptionGraphicsItem) -> None:
        colors = style.colors_of(self)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        body = self.body_rect()
        category = self.kind.category if self.kind is not None else ""
        header = colors.header(category) if self.kind is not None else QColor("#7a7a7a")
        state = colors.state(self.run_status) if self.run_status else None
        if lod * _title_pixel_size() < TITLE_MIN_PX:
            self._paint_compact(painter, body, header, state, colors)
            return
        title = self._title if state is not None else self._title_wide
        self.painted_title = DrawnTitle((title.text(),), _title_pixel_size() * lod)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if state is not None:
            painter.setPen(QPen(state, 3.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(body.adjusted(-2.5, -2.5, 2.5, 2.5), CORNER + 2, CORNER + 2)
        border = QPen(colors.highlight, 2.2) if self.isSelected() else QPen(colors.node_border, 1.0)
        painter.setPen(border)
        painter.setBrush(colors.node_body)
        painter.drawRoundedRect(body, CORNER, CORNER)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(header)
        painter.drawPath(_header_path())
        painter.setPen(_WHITE)
        painter.setFont(style.font("title"))
        painter.drawStaticText(QPointF(10.0, 5.0), title)
        painter.setPen(_FAINT_WHITE)
        painter.setFont(style.font("small"))
        painter.drawStaticText(QPointF(10.0, 21.0), self._subtitle)
        if state is not None and self.run_status is not None:
            draw_badge(
                painter, QPointF(NODE_WIDTH - 16.0, HEADER_HEIGHT / 2), self.run_status, state
            )
        self._paint_ports(painter, colors)
        if self.run_status == "running" and self.run_progress is not None and state is not None:
            bar = QRectF(8.0, self._height - 7.0, NODE_WIDTH - 16.0, 4.0)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colors.grid_major)
            painter.drawRoundedRect(bar, 2.0, 2.0)
            painter.setBrush(state)
            painter.drawRoundedRect(
                QRectF(bar.x(), bar.y(), bar.width() * self.run_progress, bar.height()), 2.0, 2.0
            )

    def _paint_compact(
        self, painter: QPainter, body: QRectF, header: QColor, state: QColor | None, colors: Colors
    ) -> None:
        """Zoomed out: a block in the category colour, port dots and the title in screen pixels."""
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if state is not None:
            painter.setPen(_cosmetic(state, 3.0))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(body)
        selected = self.isSelected()
        painter.setPen(_cosmetic(colors.highlight, 2.5) if selected else Qt.PenStyle.NoPen)
        painter.setBrush(header)
        painter.drawRoundedRect(body, CORNER, CORNER)
        painter.setPen(_cosmetic(_WHITE, 1.0))
        for glyph in self._glyphs:
            painter.setBrush(glyph.color)
            painter.drawEllipse(glyph.center, PORT_RADIUS, PORT_RADIUS)
        text_rect = body
        if state is not None and self.run_status is not None:  # a small badge, top right
            world = painter.worldTransform()
            corner = world.map(QPointF(NODE_WIDTH, 0.0))
            badge = QTransform.fromTranslate(corner.x() - 8.0, corner.y() + 8.0)
            painter.setWorldTransform(badge.scale(0.75, 0.75))
            draw_badge(painter, QPointF(0.0, 0.0), self.run_status, state)
            painter.setWorldTransform(world)
            text_rect = body.adjusted(0.0, 0.0, -14.0 / max(world.m11(), 1e-6), 0.0)
        self.painted_title = draw_title(painter, text_rect, self._title_text, _WHITE)

    def _paint_ports(self, painter: QPainter, colors: Colors) -> None:
        connected = self.connected_ports()
        body = colors.node_body
        for glyph in self._glyphs:
            slot = glyph.slot
            hollow = slot.required and (slot.name, slot.output) not in connected
            painter.setPen(_pen(glyph.color if hollow else body, 1.6))
            painter.setBrush(body if hollow else glyph.color)
            if slot.type == "signal":
                painter.drawRect(glyph.square)
            else:
                painter.drawEllipse(glyph.center, PORT_RADIUS, PORT_RADIUS)
        painter.setPen(colors.text)
        painter.setFont(style.font("port"))
        for glyph in self._glyphs:
            painter.drawStaticText(glyph.text_pos, glyph.text)


@dataclass(frozen=True)
class _Glyph:
    """A port as painted, laid out once: circle (or square), colour and label."""

    slot: PortSlot
    center: QPointF
    color: QColor
    square: QRectF
    text: QStaticText
    text_pos: QPointF


_WHITE = QColor("#ffffff")
_FAINT_WHITE = QColor(255, 255, 255, 200)
_PENS: dict[tuple[int, float], QPen] = {}


def _cosmetic(color: QColor, width: float) -> QPen:
    """A pen ``width`` screen pixels wide at any zoom."""
    pen = QPen(color, width)
    pen.setCosmetic(True)
    return pen


_TITLE_PX: list[float] = []


def _title_pixel_size() -> float:
    """The pixel size of the title font at 100 % zoom."""
    if not _TITLE_PX:
        _TITLE_PX.append(float(QFontInfo(style.font("title")).pixelSize()))
    return _TITLE_PX[0]


def _pen(color: QColor, width: float) -> QPen:
    key = (color.rgba(), width)
    pen = _PENS.get(key)
    if pen is None:
        pen = _PENS[key] = QPen(color, width)
    return pen


def _static_text(text: str, font: QFont) -> QStaticText:
    """Text laid out once (``QStaticText``), drawn many times without re-layout."""
    static = QStaticText(text)
    static.setTextFormat(Qt.TextFormat.PlainText)
    static.setPerformanceHint(QStaticText.PerformanceHint.AggressiveCaching)
    static.prepare(QTransform(), font)
    return static


_HEADER_PATH: list[QPainterPath] = []


def _header_path() -> QPainterPath:
    """The header band: the body's rounded rect cut at the header's height (made once)."""
    if not _HEADER_PATH:
        body = QPainterPath()
        body.addRoundedRect(
            QRectF(0.0, 0.0, NODE_WIDTH, HEADER_HEIGHT + 2 * CORNER), CORNER, CORNER
        )
        clip = QPainterPath()
        clip.addRect(QRectF(0.0, 0.0, NODE_WIDTH, HEADER_HEIGHT))
        _HEADER_PATH.append(body.intersected(clip))
    return _HEADER_PATH[0]


def _distance(a: QPointF, b: QPointF) -> float:
    return math.hypot(a.x() - b.x(), a.y() - b.y())


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
