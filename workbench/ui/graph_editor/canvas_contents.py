"""What the far-out drawings (the overview item, the minimap) read of the canvas: its items and
colours, as a protocol that ``scene.GraphScene`` meets, so they need not import the scene."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QRectF

from workbench.graph import Edge
from workbench.ui.graph_editor.annotation_item import AnnotationItem
from workbench.ui.graph_editor.edge_item import EdgeItem
from workbench.ui.graph_editor.node_item import NodeItem
from workbench.ui.graph_editor.style import Colors

__all__ = ["CanvasContents"]


class CanvasContents(Protocol):
    """The canvas's items by id (edges by their model edge) and the colours it draws with."""

    colors: Colors
    node_items: dict[str, NodeItem]
    edge_items: dict[Edge, EdgeItem]
    note_items: dict[str, AnnotationItem]

    def content_rect(self) -> QRectF:
        """The rectangle around every node and note (null when the canvas is empty)."""
        ...
