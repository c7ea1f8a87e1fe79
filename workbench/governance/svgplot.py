"""Small, dependency-free SVG line charts for reports that must render offline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

PALETTE = ("#2f6db5", "#d9822b", "#3a9d5d", "#b5452f", "#7a4fb5", "#5f6b7a")


def line_chart(series: Mapping[str, tuple[Sequence[float], Sequence[float]]], *, title: str,
               threshold: float | None = None, width: int = 640, height: int = 240,
               x_label: str = "", y_label: str = "") -> str:
    """An inline ``<svg>`` with one polyline per series and an optional threshold line."""
    points = [(x, y) for xs, ys in series.values() for x, y in zip(xs, ys, strict=False)]
    if not points:
        return f'<p class="empty">{escape(title)}: no data yet.</p>'
    xs = [p[0] for p in points]
    ys = [p[1] for p in points] + ([threshold] if threshold is not None else [])
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(0.0, min(ys)), max(ys)
    x1 = x1 if x1 > x0 else x0 + 1
    y1 = y1 if y1 > y0 else y0 + 1
    left, right, top, bottom = 56, 12, 28, 36
    w, h = width - left - right, height - top - bottom

    def sx(x: float) -> float:
        return left + (x - x0) / (x1 - x0) * w

    def sy(y: float) -> float:
        return top + h - (y - y0) / (y1 - y0) * h

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(title)}">',
             f'<text x="{left}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
             f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>']
    for frac in (0.0, 0.5, 1.0):
        value = y0 + frac * (y1 - y0)
        parts.append(f'<text x="{left - 6}" y="{sy(value) + 4:.1f}" font-size="10" text-anchor="end">{value:.3g}</text>')
    if threshold is not None:
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{sy(threshold):.1f}" y2="{sy(threshold):.1f}" '
                     'stroke="#c0392b" stroke-dasharray="5,4"/>')
    for i, (name, (sxs, sys_)) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        coords = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(sxs, sys_, strict=False))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="1.6" points="{coords}"/>')
        parts.append(f'<text x="{left + 6 + 150 * (i % 4)}" y="{height - 8}" font-size="10" fill="{color}">'
                     f'{escape(name)}</text>')
    if x_label:
        parts.append(f'<text x="{left + w}" y="{height - 22}" font-size="10" text-anchor="end">{escape(x_label)}</text>')
    if y_label:
        parts.append(f'<text x="12" y="{top + h / 2:.0f}" font-size="10" transform="rotate(-90 12 {top + h / 2:.0f})">'
                     f'{escape(y_label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
