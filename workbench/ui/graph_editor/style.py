"""Colours and sizes of the graph canvas: port types, categories, run states, palette roles.

Rules: the one place colours and node geometry are decided. Background and text colours come
from the widget palette (light and dark themes both work); fixed hues (port types, categories,
run states) are adjusted for the palette's lightness. Everything is drawn with QPainter
primitives, never bitmaps, so the canvas stays sharp on HiDPI screens. ``Colors`` is rebuilt
when the palette changes; items read it from their scene at paint time.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsItem

__all__ = [
    "CATEGORY_COLORS",
    "NODE_WIDTH",
    "PORT_COLORS",
    "PORT_RADIUS",
    "RUN_STATES",
    "Colors",
    "colors_of",
    "is_dark",
    "port_color",
]

# -- node geometry (scene units) ---------------------------------------------------------------

NODE_WIDTH = 184.0
HEADER_HEIGHT = 38.0
ROW_HEIGHT = 20.0
BODY_PADDING = 6.0
PORT_RADIUS = 5.5
PORT_HIT_RADIUS = 11.0
SNAP_RADIUS = 48.0
CORNER = 6.0
LOD_SIMPLE = 0.42  # below this level of detail edges are thin lines and notes lose their text

#: Colours of the built-in port types; signal edges are also drawn dashed.
PORT_COLORS: dict[str, str] = {
    "dataset": "#2f80ed",
    "model": "#9b51e0",
    "predictions": "#14a38b",
    "metrics": "#f2994a",
    "kpi": "#eb5757",
    "signal": "#8a94a6",
    "any": "#9aa5b1",
}

CATEGORY_COLORS: dict[str, str] = {
    "data": "#2d7dd2",
    "training": "#7b4fc9",
    "governance": "#c98a1b",
    "serving": "#168f7a",
    "monitoring": "#d2603a",
    "automation": "#5f6b7a",
}

#: Run states ``set_node_states`` knows: colour and short label of each.
RUN_STATES: dict[str, tuple[str, str]] = {
    "queued": ("#8a94a6", "queued"),
    "running": ("#2f80ed", "running"),
    "awaiting_approval": ("#e0a100", "awaiting approval"),
    "succeeded": ("#27ae60", "succeeded"),
    "failed": ("#e03e3e", "failed"),
    "cancelled": ("#6b7280", "cancelled"),
    "rejected": ("#b4432f", "rejected"),
    "interrupted": ("#9b59b6", "interrupted"),
    "skipped": ("#a0a7b4", "skipped"),
}


def _hashed_color(name: str) -> str:
    hue = int(hashlib.sha1(name.encode()).hexdigest()[:4], 16) % 360
    return QColor.fromHsl(hue, 140, 120).name()


def port_color(port_type: str) -> QColor:
    """The colour of a port type (plug-in types get a stable colour from their name)."""
    return QColor(PORT_COLORS.get(port_type) or _hashed_color(port_type))


def category_color(category: str) -> QColor:
    return QColor(CATEGORY_COLORS.get(category) or _hashed_color(category))


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Base).lightness() < 128


def _mix(a: QColor, b: QColor, t: float) -> QColor:
    return QColor(
        round(a.red() + (b.red() - a.red()) * t),
        round(a.green() + (b.green() - a.green()) * t),
        round(a.blue() + (b.blue() - a.blue()) * t),
    )


@dataclass
class Colors:
    """The palette-derived colours of one scene."""

    dark: bool
    background: QColor
    grid: QColor
    grid_major: QColor
    node_body: QColor
    node_border: QColor
    text: QColor
    muted_text: QColor
    highlight: QColor
    error: QColor
    bubble_text: QColor

    @classmethod
    def from_palette(cls, palette: QPalette) -> Colors:
        role = QPalette.ColorRole
        dark = is_dark(palette)
        base = palette.color(role.Base)
        window = palette.color(role.Window)
        text = palette.color(role.Text)
        background = _mix(window, base, 0.5)
        grid = _mix(background, text, 0.07)
        grid_major = _mix(background, text, 0.13)
        body = _mix(base, text, 0.04 if dark else 0.0)
        border = _mix(base, text, 0.35)
        muted = _mix(base, text, 0.6)
        return cls(
            dark=dark,
            background=background,
            grid=grid,
            grid_major=grid_major,
            node_body=body,
            node_border=border,
            text=text,
            muted_text=muted,
            highlight=palette.color(role.Highlight),
            error=QColor("#ff6b6b" if dark else "#c62828"),
            bubble_text=QColor("#ffffff"),
        )

    def header(self, category: str) -> QColor:
        color = category_color(category)
        return color.darker(125) if self.dark else color

    def state(self, status: str) -> QColor:
        color = QColor(RUN_STATES.get(status, ("#8a94a6", ""))[0])
        return color.lighter(115) if self.dark else color


_fonts: dict[str, QFont] = {}


def font(which: str) -> QFont:
    """Shared fonts of the canvas: ``title``, ``small`` and ``port`` (built on first use)."""
    if which not in _fonts:
        f = QFont()
        if which == "title":
            f.setPointSizeF(9.0)
            f.setBold(True)
        elif which == "small":
            f.setPointSizeF(7.5)
        else:
            f.setPointSizeF(8.0)
        _fonts[which] = f
    return _fonts[which]


def colors_of(item: QGraphicsItem) -> Colors:
    """The colours of the scene ``item`` is in (the application palette's when it is in none)."""
    colors = getattr(item.scene(), "colors", None)
    return colors if isinstance(colors, Colors) else Colors.from_palette(QApplication.palette())
