"""Node titles (and notes' text) as drawn when the canvas is zoomed out: wrapped and elided in screen pixels, in a
font that never gets smaller on screen than ``TITLE_MIN_PX``.

Rules: text is laid out in device (screen) pixels, not scene units, so a title stays the same
readable size however far out the view is; it is word-wrapped over as many lines as the
node's on-screen height holds and elided with "…" where it does not fit, never hidden while
at least ``TITLE_MIN_CHARS`` characters and the ellipsis fit. Layouts are cached by text and
on-screen size (a zoom step lays out each visible title once; panning lays out nothing). The
painter's world transform is set back to what it was after drawing (the view does not save
painter state per item).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QTransform

__all__ = [
    "TITLE_MIN_CHARS",
    "TITLE_MIN_PX",
    "DrawnTitle",
    "draw_title",
    "layout_title",
    "title_font",
]

#: The smallest on-screen pixel size of a node title, at any zoom.
TITLE_MIN_PX = 10
#: A title is drawn while this many characters (plus "…") fit the node's on-screen width.
TITLE_MIN_CHARS = 1
_PAD = 2.0
_ELLIPSIS = "…"


@dataclass(frozen=True)
class DrawnTitle:
    """What a title looks like on screen: its lines as drawn and the font's pixel size."""

    lines: tuple[str, ...]
    pixel_size: float

    @property
    def text(self) -> str:
        return " ".join(self.lines)


_fonts: dict[tuple[int, bool], QFont] = {}
_metrics: dict[tuple[int, bool], QFontMetricsF] = {}
_layouts: dict[tuple[str, int, int, int, bool], tuple[str, ...]] = {}
_LAYOUT_CACHE_MAX = 20_000


def title_font(pixel_size: int = TITLE_MIN_PX, bold: bool = True) -> QFont:
    """The title font (or, not ``bold``, a note's) at ``pixel_size`` screen pixels (shared)."""
    key = (pixel_size, bold)
    font = _fonts.get(key)
    if font is None:
        font = QFont()
        font.setPixelSize(pixel_size)
        font.setBold(bold)
        _fonts[key] = font
        _metrics[key] = QFontMetricsF(font)
    return font


def _metrics_of(pixel_size: int, bold: bool = True) -> QFontMetricsF:
    title_font(pixel_size, bold)
    return _metrics[(pixel_size, bold)]


def layout_title(
    text: str, width: float, height: float, pixel_size: int = TITLE_MIN_PX, bold: bool = True
) -> tuple[str, ...]:
    """``text`` word-wrapped into ``width`` × ``height`` screen pixels; the last line that fits
    is elided with "…" when more text follows; () when not even one character and "…" fit."""
    key = (text, int(width), int(height), pixel_size, bold)
    cached = _layouts.get(key)
    if cached is not None:
        return cached
    metrics = _metrics_of(pixel_size, bold)
    room = int(width)
    if height < metrics.ascent():
        max_lines = 0
    else:  # a descender may reach past the rect's bottom by a pixel or two
        max_lines = 1 + max(0, int((height - metrics.height()) // metrics.lineSpacing()))
    shortest = text[:TITLE_MIN_CHARS] + (_ELLIPSIS if len(text) > TITLE_MIN_CHARS else "")
    if max_lines == 0 or not text or metrics.horizontalAdvance(shortest) > room:
        lines: tuple[str, ...] = ()
    else:
        lines = _wrap(text, metrics, room, max_lines)
    if len(_layouts) > _LAYOUT_CACHE_MAX:
        _layouts.clear()
    _layouts[key] = lines
    return lines


def _wrap(text: str, metrics: QFontMetricsF, room: int, max_lines: int) -> tuple[str, ...]:
    """Greedy word wrap; a word wider than the room is elided on its own line, and text left
    over when the lines run out is elided into the last line."""
    words = text.split()
    lines: list[str] = []
    i = 0
    while i < len(words) and len(lines) < max_lines:
        line = words[i]
        i += 1
        if metrics.horizontalAdvance(line) > room:
            lines.append(metrics.elidedText(line, Qt.TextElideMode.ElideRight, room))
            continue
        while i < len(words) and metrics.horizontalAdvance(f"{line} {words[i]}") <= room:
            line = f"{line} {words[i]}"
            i += 1
        lines.append(line)
    if i < len(words):  # the next word did not fit on the last line: elide the rest there
        rest = " ".join([lines[-1], *words[i:]])
        lines[-1] = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, room)
    return tuple(line.replace(" " + _ELLIPSIS, _ELLIPSIS) for line in lines)


def draw_title(
    painter: QPainter,
    rect: QRectF,
    text: str,
    color: QColor,
    pixel_size: int = TITLE_MIN_PX,
    *,
    note: bool = False,
) -> DrawnTitle | None:
    """Draw ``text`` centred in ``rect`` (item coordinates) in screen pixels (a ``note``: in
    the regular weight, from the top left); what was drawn, or None when the rect is too
    small on screen for even one character."""
    world = painter.worldTransform()
    device = world.mapRect(rect).adjusted(_PAD, 0.0, -_PAD, 0.0)
    bold = not note
    lines = layout_title(text, device.width(), device.height(), pixel_size, bold)
    if not lines:
        return None
    metrics = _metrics_of(pixel_size, bold)
    spacing = metrics.lineSpacing()
    block = spacing * len(lines) - metrics.leading()
    top = device.top() if note else device.center().y() - block / 2
    y = top + metrics.ascent()
    painter.setWorldTransform(QTransform())
    painter.setPen(color)
    painter.setFont(title_font(pixel_size, bold))
    for line in lines:
        width = metrics.horizontalAdvance(line)
        x = device.left() if note else device.center().x() - width / 2
        painter.drawText(QPointF(round(x), round(y)), line)
        y += spacing
    painter.setWorldTransform(world)
    return DrawnTitle(lines, float(pixel_size))
