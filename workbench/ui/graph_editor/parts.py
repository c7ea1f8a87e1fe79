"""What every part of the graph editor may use of the editor that owns it (``EditorParts``),
named as a Protocol so the parts need not import the editor."""

from __future__ import annotations

from typing import Protocol

from PySide6.QtGui import QUndoStack

from workbench.graph import Graph
from workbench.ui.graph_editor.scene import GraphScene
from workbench.ui.graph_editor.store_link import StoreLink
from workbench.ui.graph_editor.view import GraphView


class EditorParts(Protocol):
    """The editor's graph, canvas, view, store link and undo stack (``GraphEditor``)."""

    @property
    def graph(self) -> Graph: ...
    @property
    def scene(self) -> GraphScene: ...
    @property
    def view(self) -> GraphView: ...
    @property
    def store_link(self) -> StoreLink: ...
    @property
    def undo_stack(self) -> QUndoStack: ...
