"""The editor's actions: one ``QAction`` per command the main window puts in its menus and
toolbars, with the platform's standard shortcuts.

Rules: actions only call ``GraphEditor`` methods (document actions ask about unsaved changes
first); enabling follows the selection, the clipboard and the undo stack (``update_actions``).
Undo and redo are the ``QUndoStack``'s own actions, so their text names the step. Keys of the
dict returned by ``build_actions`` are part of the editor's public API (see ``ACTION_KEYS``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from workbench.ui.graph_editor.layout import ALIGN_MODES
from workbench.ui.graph_editor.parts import EditorParts

__all__ = ["ACTION_KEYS", "ActionHost", "build_actions", "update_actions"]


class ActionHost(EditorParts, Protocol):
    """The commands the actions call and the state their enabling follows (``GraphEditor``)."""

    def actions(self) -> dict[str, QAction]: ...
    def clipboard_has_graph(self) -> bool: ...
    def confirm_new_graph(self) -> object: ...
    def choose_template(self) -> object: ...
    def choose_file_to_open(self) -> object: ...
    def save_file(self) -> object: ...
    def save_as(self) -> object: ...
    def save_to_store(self) -> object: ...
    def show_history(self) -> object: ...
    def cut(self) -> object: ...
    def copy(self) -> object: ...
    def paste(self) -> object: ...
    def duplicate(self) -> object: ...
    def delete_selection(self) -> object: ...
    def select_all(self) -> object: ...
    def add_note(self) -> object: ...
    def auto_layout(self) -> object: ...
    def align(self, mode: str) -> object: ...
    def zoom_in(self) -> object: ...
    def zoom_out(self) -> object: ...
    def zoom_reset(self) -> object: ...
    def fit_view(self) -> object: ...
    def validate(self) -> object: ...
    def show_details(self, shown: bool = True) -> None: ...

Key = QKeySequence.StandardKey

_ALIGN_TITLES = {
    "left": "Align &Left",
    "right": "Align &Right",
    "top": "Align &Top",
    "bottom": "Align &Bottom",
    "hcenter": "Align Centres &Horizontally",
    "vcenter": "Align Centres &Vertically",
}

ACTION_KEYS = (
    "new",
    "new_from_template",
    "open",
    "save",
    "save_as",
    "save_to_store",
    "history",
    "undo",
    "redo",
    "cut",
    "copy",
    "paste",
    "duplicate",
    "delete",
    "select_all",
    "add_note",
    "auto_layout",
    *(f"align_{mode}" for mode in ALIGN_MODES),
    "zoom_in",
    "zoom_out",
    "zoom_reset",
    "fit_view",
    "minimap",
    "validate",
    "properties",
)


def build_actions(editor: ActionHost, owner: QWidget) -> dict[str, QAction]:
    """Create the editor's actions, connected to ``editor`` and added to ``owner`` (the editor's
    widget, so that shortcuts work)."""
    actions: dict[str, QAction] = {}

    def make(
        key: str,
        text: str,
        slot: Callable[[], object],
        shortcuts: tuple[QKeySequence | Key | str, ...] = (),
        tip: str = "",
    ) -> QAction:
        action = QAction(text, owner)
        action.setObjectName(f"graph_{key}")
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.setToolTip(tip or text.replace("&", "").rstrip("…"))
        action.setStatusTip(action.toolTip())
        action.triggered.connect(lambda _checked=False: slot())
        actions[key] = action
        return action

    make("new", "&New Graph", editor.confirm_new_graph, (Key.New,))
    make(
        "new_from_template",
        "New from &Template…",
        editor.choose_template,
        ("Ctrl+Shift+N",),
    )
    make("open", "&Open…", editor.choose_file_to_open, (Key.Open,))
    make("save", "&Save", editor.save_file, (Key.Save,))
    make("save_as", "Save &As…", editor.save_as, (Key.SaveAs, "Ctrl+Shift+S"))
    make(
        "save_to_store",
        "Save to S&tore…",
        editor.save_to_store,
        ("Ctrl+Alt+S",),
        "Save the graph to the store as a new version, with a message",
    )
    make(
        "history",
        "&History",
        editor.show_history,
        ("Ctrl+H",),
        "The graph's saved versions: compare two, or one with the open graph; restore one",
    )

    stack = editor.undo_stack
    undo = stack.createUndoAction(owner, "&Undo")
    undo.setShortcuts(QKeySequence.keyBindings(Key.Undo))
    undo.setObjectName("graph_undo")
    actions["undo"] = undo
    redo = stack.createRedoAction(owner, "&Redo")
    redo.setShortcuts([*QKeySequence.keyBindings(Key.Redo), QKeySequence("Ctrl+Shift+Z")])
    redo.setObjectName("graph_redo")
    actions["redo"] = redo

    make("cut", "Cu&t", editor.cut, (Key.Cut,))
    make("copy", "&Copy", editor.copy, (Key.Copy,))
    make("paste", "&Paste", editor.paste, (Key.Paste,))
    make("duplicate", "D&uplicate", editor.duplicate, ("Ctrl+D",))
    make("delete", "&Delete", editor.delete_selection, (Key.Delete, "Backspace"))
    make("select_all", "Select &All", editor.select_all, (Key.SelectAll,))
    make("add_note", "Add &Note…", editor.add_note, ("Ctrl+Alt+N",))
    make(
        "auto_layout",
        "Auto &Layout",
        editor.auto_layout,
        ("Ctrl+L",),
        "Arrange the graph left to right",
    )
    for mode in ALIGN_MODES:
        make(f"align_{mode}", _ALIGN_TITLES[mode], lambda mode=mode: editor.align(mode))
    make("zoom_in", "Zoom &In", editor.zoom_in, (Key.ZoomIn, "Ctrl+="))
    make("zoom_out", "Zoom &Out", editor.zoom_out, (Key.ZoomOut,))
    make("zoom_reset", "&Actual Size", editor.zoom_reset, ("Ctrl+1",))
    make("fit_view", "&Fit to View", editor.fit_view, ("Ctrl+0",))
    minimap = make(
        "minimap", "&Minimap", lambda: None, ("Ctrl+M",), "Show the overview of the graph"
    )
    minimap.setCheckable(True)
    minimap.setChecked(True)
    minimap.toggled.connect(editor.view.minimap.setVisible)
    make("validate", "&Validate", editor.validate, ("F7",), "Check the graph and list its problems")
    details = make(
        "properties",
        "&Properties",
        lambda: None,
        ("F4",),
        "Show the selected node's properties and the graph's problems",
    )
    details.setCheckable(True)
    details.toggled.connect(editor.show_details)
    owner.addActions(list(actions.values()))
    return actions


def update_actions(editor: ActionHost) -> None:
    """Enable what makes sense for the current selection, clipboard and graph."""
    actions = editor.actions()
    scene = editor.scene
    nodes = scene.selected_node_ids()
    notes = scene.selected_annotation_ids()
    edges = scene.selected_edges()
    actions["copy"].setEnabled(bool(nodes or notes))
    actions["cut"].setEnabled(bool(nodes or notes))
    actions["duplicate"].setEnabled(bool(nodes or notes))
    actions["delete"].setEnabled(bool(nodes or notes or edges))
    for mode in ALIGN_MODES:
        actions[f"align_{mode}"].setEnabled(len(nodes) >= 2)
    actions["auto_layout"].setEnabled(bool(editor.graph.nodes))
    actions["select_all"].setEnabled(bool(editor.graph.nodes or editor.graph.annotations))
    actions["paste"].setEnabled(editor.clipboard_has_graph())
    actions["save_to_store"].setEnabled(editor.store_link.ready)
    actions["history"].setEnabled(editor.store_link.store is not None)
