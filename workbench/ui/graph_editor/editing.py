"""Editing operations of the ``GraphEditor``: adding nodes and notes, the clipboard (copy,
cut, paste, duplicate), delete, nudge, auto-layout and align.

Rules: a mixin of ``GraphEditor`` (it uses the editor's scene, view and controller); each
operation is one undo command through the ``GraphController`` and selects what it created.
The clipboard holds plain YAML text (``copy_fragment``), so nodes paste between windows and
into a text editor; pasted items land offset from their originals when those are in sight,
else in the middle of the view, and repeated pastes step further.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtWidgets import QApplication, QInputDialog, QWidget

from workbench.errors import WorkbenchError
from workbench.graph import FORMAT, copy_fragment, loads
from workbench.ui.graph_editor.layout import aligned_positions, layered_layout
from workbench.ui.graph_editor.style import HEADER_HEIGHT, NODE_WIDTH

if TYPE_CHECKING:  # pragma: no cover
    from PySide6.QtGui import QAction

    from workbench.graph import Graph
    from workbench.ui.graph_editor.controller import GraphController
    from workbench.ui.graph_editor.scene import GraphScene
    from workbench.ui.graph_editor.view import GraphView

__all__ = ["EditingMixin", "ask_note_text"]

_PASTE_STEP = 30.0


def ask_note_text(parent: QWidget, title: str, text: str) -> str | None:
    """Ask for a note's text (a dialog; tests replace this function)."""
    value, ok = QInputDialog.getMultiLineText(parent, title, "Note text:", text)
    return value if ok else None


class EditingMixin:
    """Operations on the selection and the clipboard; see the module rules."""

    scene: GraphScene
    view: GraphView
    controller: GraphController
    _actions: dict[str, QAction]
    _paste_text: str
    _paste_count: int
    _paste_base: tuple[float, float] | None

    if TYPE_CHECKING:  # pragma: no cover

        @property
        def graph(self) -> Graph: ...

        def show_status(self, text: str, error: bool = False) -> None: ...

        def _on_refused(self, message: str) -> None: ...

    def _widget(self) -> QWidget:
        assert isinstance(self, QWidget)
        return self

    # -- adding ------------------------------------------------------------------------------

    def add_node_at_centre(self, kind: str) -> str | None:
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        x, y = centre.x() - NODE_WIDTH / 2, centre.y() - HEADER_HEIGHT
        taken = {n.position for n in self.graph.nodes.values()}
        while (round(x, 1), round(y, 1)) in taken:
            x, y = x + _PASTE_STEP, y + _PASTE_STEP
        return self._add_node(kind, (round(x, 1), round(y, 1)))

    def _on_kind_dropped(self, kind: str, at: QPointF) -> None:
        self._add_node(
            kind, (round(at.x() - NODE_WIDTH / 2, 1), round(at.y() - HEADER_HEIGHT / 2, 1))
        )
        self.view.setFocus()

    def _add_node(self, kind: str, position: tuple[float, float]) -> str | None:
        node_id = self.controller.add_node(kind, position)
        if node_id is not None:
            self.scene.select([node_id])
            self.show_status(f"Added {self.graph.nodes[node_id].title} ({node_id}).")
        return node_id

    def add_note(self) -> str | None:
        text = ask_note_text(self._widget(), "Add note", "")
        if not text:
            return None
        centre = self.view.mapToScene(self.view.viewport().rect().center())
        note_id = self.controller.add_annotation(text, (round(centre.x(), 1), round(centre.y(), 1)))
        if note_id is not None:
            self.scene.select(annotation_ids=[note_id])
        return note_id

    def _on_annotation_activated(self, annotation_id: str) -> None:
        note = self.graph.annotations.get(annotation_id)
        if note is None:
            return
        text = ask_note_text(self._widget(), "Edit note", note.text)
        if text is not None:
            self.controller.set_annotation_text(annotation_id, text)

    # -- clipboard -----------------------------------------------------------------------------

    def clipboard_has_graph(self) -> bool:
        return FORMAT in QApplication.clipboard().text()[:4096]

    def _on_clipboard_changed(self) -> None:
        self._actions["paste"].setEnabled(self.clipboard_has_graph())

    def _selection_fragment(self) -> str | None:
        nodes, notes = self.scene.selected_node_ids(), self.scene.selected_annotation_ids()
        if not nodes and not notes:
            self.show_status("Nothing is selected.")
            return None
        return copy_fragment(self.graph, nodes, notes)

    def copy(self) -> bool:
        """Put the selected nodes, the edges among them and the selected notes on the clipboard."""
        text = self._selection_fragment()
        if text is None:
            return False
        QApplication.clipboard().setText(text)
        self._paste_text, self._paste_count = text, 0
        self.show_status("Copied to the clipboard.")
        return True

    def cut(self) -> bool:
        if not self.copy():
            return False
        return self._remove_selection("Cut")

    def paste(self) -> list[str]:
        """Paste graph YAML from the clipboard; returns the new node ids (selected)."""
        text = QApplication.clipboard().text()
        if FORMAT not in text[:4096]:
            self.show_status("The clipboard holds no graph nodes.", error=True)
            return []
        return self._paste(text, "Paste")

    def duplicate(self) -> list[str]:
        text = self._selection_fragment()
        if text is None:
            return []
        self._paste_text, self._paste_count = text, 0
        return self._paste(text, "Duplicate")

    def _paste(self, text: str, verb: str) -> list[str]:
        try:
            fragment = loads(text, "<clipboard>", catalog=self.graph.catalog)
        except WorkbenchError as exc:
            self._on_refused(f"cannot paste: {exc}")
            return []
        if text == self._paste_text:
            self._paste_count += 1
        else:
            self._paste_text, self._paste_count = text, 1
        points = [n.position for n in fragment.nodes.values()] + [
            a.position for a in fragment.annotations.values()
        ]
        if not points:
            return []
        box = QRectF(
            QPointF(min(p[0] for p in points), min(p[1] for p in points)),
            QPointF(max(p[0] for p in points) + NODE_WIDTH, max(p[1] for p in points) + 80.0),
        )
        step = _PASTE_STEP * self._paste_count
        visible = self.view.visible_scene_rect()
        base = self._paste_base if self._paste_count > 1 else None
        if base is not None and not visible.contains(
            box.center() + QPointF(base[0] + step - _PASTE_STEP, base[1] + step - _PASTE_STEP)
        ):
            base = None  # the last paste is out of sight now: start again in view
        if base is None and visible.contains(box.center()):
            base = (0.0, 0.0)
        elif base is None:  # the originals are out of sight (another window, scrolled away)
            centre = visible.center() - box.center()
            base = (round(centre.x(), 1) - _PASTE_STEP, round(centre.y(), 1) - _PASTE_STEP)
        self._paste_base = base  # repeated pastes step on from here, wherever the view is
        offset = (base[0] + step, base[1] + step)
        count = len(fragment.nodes)
        label = f"{verb} {count} node{'s' * (count != 1)}" if count else f"{verb} note"
        command = self.controller.paste(fragment, offset, text=label)
        if command is None:
            return []
        nodes = [command.id_map[n] for n in sorted(fragment.nodes)]
        self.scene.select(nodes, [command.id_map[a] for a in sorted(fragment.annotations)])
        self.show_status(f"{label}.")
        return nodes

    # -- removing and arranging ----------------------------------------------------------------

    def delete_selection(self) -> bool:
        return self._remove_selection("Delete")

    def _remove_selection(self, verb: str) -> bool:
        scene = self.scene
        nodes, edges, notes = (
            scene.selected_node_ids(),
            scene.selected_edges(),
            scene.selected_annotation_ids(),
        )
        if not (nodes or edges or notes):
            return False
        count = len(nodes) + len(edges) + len(notes)
        return self.controller.remove(nodes, edges, notes, text=f"{verb} {count} items")

    def _on_nudge(self, dx: float, dy: float) -> None:
        def shifted(p: tuple[float, float]) -> tuple[float, float]:
            return (p[0] + dx, p[1] + dy)

        nodes = {n: self.graph.nodes[n].position for n in self.scene.selected_node_ids()}
        notes = {
            a: self.graph.annotations[a].position for a in self.scene.selected_annotation_ids()
        }
        self.controller.move(
            {n: (p, shifted(p)) for n, p in nodes.items()},
            {a: (p, shifted(p)) for a, p in notes.items()},
            text="Nudge",
        )

    def auto_layout(self) -> bool:
        """Arrange every node left to right (one undo step) and fit the view."""
        sizes = {node_id: item.size() for node_id, item in self.scene.node_items.items()}
        positions = layered_layout(self.graph, sizes)
        done = self.controller.set_positions(positions, "Auto layout")
        self.view.fit_view()
        return done

    def align(self, mode: str) -> bool:
        """Align the selected nodes' ``mode`` edges or centres (one undo step)."""
        items = [self.scene.node_items[n] for n in self.scene.selected_node_ids()]
        if len(items) < 2:
            self.show_status("Select two or more nodes to align.")
            return False
        rects = {i.node_id: (i.pos().x(), i.pos().y(), *i.size()) for i in items}
        return self.controller.set_positions(aligned_positions(rects, mode), f"Align {mode}")
