"""The editor's columns: a narrow node palette, the canvas, and the details column (properties
above problems), which stays collapsed until it has something to show.

Rules: the canvas gets the room. The details column opens by itself when a node or note is
selected (the editor waits for the mouse button's release, so a node being dragged does not
move under the pointer) and closes again when the selection is cleared, unless the person
opened it (the Properties action, a validation that found problems, or dragging the
splitter's handle): then it stays open until they close it. Opening or closing it never
moves the graph on screen: the canvas keeps its left edge.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGraphicsView, QSplitter, QWidget

__all__ = ["DETAILS_WIDTH", "PALETTE_WIDTH", "EditorColumns"]

#: Widths (pixels) of the palette and of the details column when it opens.
PALETTE_WIDTH = 160
DETAILS_WIDTH = 280
_CANVAS, _DETAILS = 1, 2


class EditorColumns(QSplitter):
    """Palette | canvas | details; see the module rules."""

    detailsToggled = Signal(bool)

    def __init__(
        self, palette: QWidget, canvas: QGraphicsView, details: QWidget, parent: QWidget
    ) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setObjectName("graph_columns")
        self.canvas = canvas
        self.pinned = False
        for widget in (palette, canvas, details):
            self.addWidget(widget)
        self.setCollapsible(_CANVAS, False)
        self.setStretchFactor(0, 0)
        self.setStretchFactor(_CANVAS, 1)
        self.setStretchFactor(_DETAILS, 0)
        self.setSizes([PALETTE_WIDTH, 10_000, 0])
        self.splitterMoved.connect(self._on_moved)

    def details_open(self) -> bool:
        return self.sizes()[_DETAILS] > 0

    def open_details(self, pinned: bool = False) -> None:
        """Show the details column (``pinned``: it stays open when the selection clears)."""
        self.pinned = self.pinned or pinned
        if self.details_open():
            return
        palette, canvas, _ = self.sizes()
        total = self.width() if self.width() > 0 else palette + canvas
        width = min(DETAILS_WIDTH, max(200, total // 3))
        self._apply([palette, max(120, canvas - width), width])

    def close_details(self) -> None:
        self.pinned = False
        if not self.details_open():
            return
        palette, canvas, details = self.sizes()
        self._apply([palette, canvas + details, 0])

    def _apply(self, sizes: list[int]) -> None:
        anchor = self.canvas.resizeAnchor()
        self.canvas.setResizeAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        try:
            self.setSizes(sizes)
        finally:
            self.canvas.setResizeAnchor(anchor)
        self.detailsToggled.emit(self.details_open())

    def _on_moved(self, pos: int, index: int) -> None:
        self.pinned = self.details_open()
        self.detailsToggled.emit(self.pinned)
