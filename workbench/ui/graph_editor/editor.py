"""``GraphEditor``: the graph editor widget the main window embeds (palette, canvas with minimap,
properties, problems), with its document (file, modified state) and its actions.

Rules:

* One document at a time: ``new_graph``, ``new_from_template`` and ``open_file`` replace it
  unconditionally (the ``new``/``open`` actions call ``maybe_save`` first; the main window
  calls ``maybe_save`` before it closes). A file that cannot be opened is reported in a
  message box with the file, line and node the error names; the current graph is kept.
* Files are opened leniently (unknown kinds and bad values are kept and listed as problems,
  so a graph from a newer plug-in set can still be fixed) and saved in the canonical form.
* Every edit goes through the ``GraphController`` (one undo command per user action); the
  window title and the modified mark follow ``QUndoStack.cleanChanged``.
* Copy puts YAML text (``copy_fragment``) on the system clipboard, so nodes paste between
  windows and into a text editor; paste takes any graph YAML from the clipboard.
* Run states from the run view are shown with ``set_node_states``; a double-click on a node
  emits ``nodeActivated(node_id)``.
* The canvas gets the room (``columns``): a narrow palette, and the details column (properties,
  problems) collapsed until a node or note is selected, problems are found or the person
  opens it (Properties, F4). ``painted_titles`` tells what each visible node's title looks
  like on screen; ``use_settings`` remembers whether the minimap is shown.
* Node pixmaps are cached (``QPixmapCache``); the editor raises the process-wide cache limit
  to ``PIXMAP_CACHE_KB`` (Qt's default of 10 MB thrashes on a few hundred visible nodes).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QPixmapCache, QUndoStack
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QLabel,
    QMessageBox,
    QSplitter,
    QTabWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import WorkbenchError
from workbench.graph import Graph, load, load_template, save
from workbench.ui.graph_editor.actions import build_actions, update_actions
from workbench.ui.graph_editor.columns import EditorColumns
from workbench.ui.graph_editor.controller import GraphController
from workbench.ui.graph_editor.editing import EditingMixin
from workbench.ui.graph_editor.history_panel import HistoryPanel
from workbench.ui.graph_editor.palette import NodePalette
from workbench.ui.graph_editor.problems import ProblemsPanel
from workbench.ui.graph_editor.properties import PropertiesPanel
from workbench.ui.graph_editor.scene import GraphScene
from workbench.ui.graph_editor.store_link import StoreLink
from workbench.ui.graph_editor.templates_dialog import TemplateDialog
from workbench.ui.graph_editor.view import GraphView

__all__ = ["GraphEditor"]

FILE_FILTER = "Graph files (*.yaml *.yml);;All files (*)"
PIXMAP_CACHE_KB = 64 * 1024


class GraphEditor(EditingMixin, QWidget):
    """The graph editor; see the module rules."""

    nodeActivated = Signal(str)
    titleChanged = Signal(str)
    modifiedChanged = Signal(bool)
    statusMessage = Signal(str)
    graphReplaced = Signal(object)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("graph_editor")
        self.file_path: Path | None = None
        self.last_message = ""
        self._info_listener: Any = None
        self._paste_text = ""
        self._paste_count = 0
        self._paste_base: tuple[float, float] | None = None
        self._open_details_on_release = False
        self._settings: QSettings | None = None
        if QPixmapCache.cacheLimit() < PIXMAP_CACHE_KB:  # node caches of a big graph fit
            QPixmapCache.setCacheLimit(PIXMAP_CACHE_KB)
        self.controller = GraphController(parent=self)
        self.scene = GraphScene(self.controller, self)
        self.view = GraphView(self.scene, self)
        self.palette_panel = NodePalette(self.graph.catalog, self)
        self.properties = PropertiesPanel(self.controller, self)
        self.problems = ProblemsPanel(self.controller, self)
        self.store_link = StoreLink(self, self)  # graph history: Save to store, versions (store_link)
        self.graphReplaced.connect(self.store_link.graph_replaced)
        self._actions = build_actions(self, self)
        self._build_layout()
        self.view.context_actions = [
            self._actions[k] for k in ("cut", "copy", "paste", "duplicate", "delete")
        ]
        self.view.context_actions += [
            None,
            self._actions["add_note"],
            self._actions["auto_layout"],
            self._actions["fit_view"],
        ]
        self.controller.refused.connect(self._on_refused)
        self.controller.graphReplaced.connect(self._on_graph_replaced)
        self.scene.selectionChanged.connect(self._on_selection_changed)
        self.scene.nodeActivated.connect(self.nodeActivated)
        self.scene.annotationActivated.connect(self._on_annotation_activated)
        self.view.kindDropped.connect(self._on_kind_dropped)
        self.view.nudgeRequested.connect(self._on_nudge)
        self.palette_panel.kindActivated.connect(self.add_node_at_centre)
        self.problems.problemActivated.connect(self.focus_node)
        self.problems.validated.connect(self._on_validated)
        self.view.mouseReleased.connect(self._on_mouse_released)
        self.splitter.detailsToggled.connect(self._on_details_toggled)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._on_index_changed)
        QApplication.clipboard().dataChanged.connect(self._on_clipboard_changed)
        self.setFocusProxy(self.view)
        self._on_graph_replaced(self.graph)

    def _build_layout(self) -> None:
        self.toolbar = QToolBar("Graph", self)
        self.toolbar.setObjectName("graph_toolbar")
        for key in (
            "undo",
            "redo",
            None,
            "auto_layout",
            "align_left",
            "align_top",
            None,
            "zoom_in",
            "zoom_out",
            "fit_view",
            "minimap",
            None,
            "add_note",
            "validate",
            "properties",
            "history",
        ):
            if key is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(self._actions[key])
        self.details = QSplitter(Qt.Orientation.Vertical, self)
        self.details.setObjectName("graph_details")
        self.details.addWidget(self.properties)
        self.details.addWidget(self.problems)
        self.details.setSizes([420, 180])
        self.history = HistoryPanel(self, self)
        self.graphReplaced.connect(self.history.graph_replaced)
        self.side_tabs = QTabWidget(self)
        self.side_tabs.setObjectName("graph_side_tabs")
        self.side_tabs.setDocumentMode(True)
        self.side_tabs.addTab(self.details, "Properties")
        self.side_tabs.addTab(self.history, "History")
        self.store_link.saved.connect(lambda _version: self.history.refresh())
        self.splitter = EditorColumns(self.palette_panel, self.view, self.side_tabs, self)
        self.status_label = QLabel(self)
        self.status_label.setObjectName("graph_status")
        self.status_label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)
        layout.addWidget(self.status_label)

    # -- public state --------------------------------------------------------------------------

    @property
    def graph(self) -> Graph:
        return self.controller.graph

    @property
    def undo_stack(self) -> QUndoStack:
        return self.controller.undo_stack

    def actions(self) -> dict[str, QAction]:  # type: ignore[override]
        """The editor's actions by key (see ``actions.ACTION_KEYS``) for menus and toolbars."""
        return dict(self._actions)

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def document_title(self) -> str:
        if self.file_path is not None:
            return self.file_path.name
        return self.graph.name or "untitled"

    # -- documents -----------------------------------------------------------------------------

    def new_graph(self) -> None:
        self.replace_graph(Graph(), None)
        self.show_status("New graph.")

    def new_from_template(self, name: str) -> bool:
        try:
            graph = load_template(name)
        except WorkbenchError as exc:
            QMessageBox.critical(
                self, "New from template", f"Cannot load the template '{name}'.\n\n{exc}"
            )
            return False
        self.replace_graph(graph, None)
        self.show_status(f"New graph from the template '{name}'.")
        return True

    def open_file(self, path: str | os.PathLike[str]) -> bool:
        """Open a graph file; on failure say why (file, line, node) and keep the current graph."""
        try:
            graph = load(path, strict=False)
        except WorkbenchError as exc:
            QMessageBox.critical(self, "Open graph", f"Cannot open {os.fspath(path)}.\n\n{exc}")
            self.show_status(f"Cannot open {os.fspath(path)}: {exc}")
            return False
        self.replace_graph(graph, Path(path))
        count = len(self.problems.problems)
        if count:
            self.splitter.open_details(pinned=True)
        self.show_status(f"Opened {path}" + (f" — {count} problem(s) listed." if count else "."))
        return True

    def save_file(self, path: str | os.PathLike[str] | None = None) -> bool:
        """Save to ``path`` (default: the current file; none yet: ask). False if not saved."""
        target = Path(path) if path is not None else self.file_path
        if target is None:
            target = self._ask_save_path()
            if target is None:
                return False
        try:
            save(self.graph, target)
        except WorkbenchError as exc:
            QMessageBox.critical(self, "Save graph", f"Cannot save {target}.\n\n{exc}")
            self.show_status(f"Not saved: {exc}")
            return False
        self.file_path = target
        self.undo_stack.setClean()
        self._update_title()
        self.show_status(f"Saved {target}.")
        return True

    def save_as(self) -> bool:
        target = self._ask_save_path()
        return self.save_file(target) if target is not None else False

    def _ask_save_path(self) -> Path | None:
        start = str(self.file_path or Path.cwd() / f"{self.graph.name or 'graph'}.yaml")
        name, _ = QFileDialog.getSaveFileName(self, "Save graph", start, FILE_FILTER)
        if not name:
            return None
        target = Path(name)
        return target if target.suffix else target.with_suffix(".yaml")

    def maybe_save(self) -> bool:
        """Ask about unsaved changes: Save, Discard or Cancel; False means "do not go on"."""
        if not self.is_modified():
            return True
        buttons = QMessageBox.StandardButton
        answer = QMessageBox.question(
            self,
            "Unsaved changes",
            f"The graph '{self.document_title()}' has unsaved changes.\nSave them first?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save_file()
        return answer == buttons.Discard

    def replace_graph(self, graph: Graph, path: Path | None) -> None:
        """Edit ``graph`` from now on (read from ``path``, or from no file), fitted to the view."""
        self.file_path = path
        self._paste_text, self._paste_count = "", 0
        self.controller.replace_graph(graph)
        self.view.fit_view()

    def _on_graph_replaced(self, graph: Graph) -> None:
        if self._info_listener is not None:
            self._info_listener[0].disconnect(self._info_listener[1])
        graph.events.info_changed.connect(self._on_info_changed)
        self._info_listener = (graph.events.info_changed, self._on_info_changed)
        if graph.catalog is not self.palette_panel.catalog:
            self.palette_panel.set_catalog(graph.catalog)
        self.properties.show_nothing()
        self._update_title()
        self.graphReplaced.emit(graph)
        update_actions(self)

    def _on_info_changed(self, field: str, old: object, new: object) -> None:
        self._update_title()

    # -- title and status ----------------------------------------------------------------------

    def _update_title(self) -> None:
        title = self.document_title()
        self.setWindowTitle(f"{title}[*] — Graph editor")
        self.setWindowModified(self.is_modified())
        self.titleChanged.emit(title)

    def _on_clean_changed(self, clean: bool) -> None:
        self.setWindowModified(not clean)
        self.modifiedChanged.emit(not clean)

    def _on_index_changed(self, index: int) -> None:
        update_actions(self)

    def show_status(self, text: str, error: bool = False) -> None:
        """Say ``text`` under the canvas (in red for an error) and to ``statusMessage``."""
        self.last_message = text
        self.status_label.setStyleSheet("QLabel { color: #d32f2f; }" if error else "")
        self.status_label.setText(text)
        self.statusMessage.emit(text)

    def _on_refused(self, message: str) -> None:
        self.show_status(f"Refused: {message}", error=True)

    # -- selection -----------------------------------------------------------------------------

    def _on_selection_changed(self) -> None:
        nodes, notes = self.scene.selected_node_ids(), self.scene.selected_annotation_ids()
        self.properties.show_selection(nodes, notes)
        if (nodes or notes) and not self.history.painter.active:
            self.side_tabs.setCurrentWidget(self.details)
        update_actions(self)
        if nodes or notes:
            if QApplication.mouseButtons() != Qt.MouseButton.NoButton:
                self._open_details_on_release = True  # not while a node is being dragged
            else:
                self.splitter.open_details()
        elif not self.splitter.pinned:
            self._open_details_on_release = False
            self.splitter.close_details()

    def _on_mouse_released(self) -> None:
        if self._open_details_on_release:
            self._open_details_on_release = False
            if self.scene.selected_node_ids() or self.scene.selected_annotation_ids():
                self.splitter.open_details()

    # -- the store's graph history (store_link, history_panel) ---------------------------------

    def use_store(self, store: Any, user: str, project: str | None = None) -> None:
        """Save to and read the history from ``store`` as ``user``, in ``project``."""
        self.store_link.use_store(store, user, project)
        update_actions(self)

    def save_to_store(self, message: str | None = None) -> Any:
        """Save the graph as a new version (asks for a message when None); see store_link."""
        return self.store_link.save(message)

    def show_history(self) -> None:
        self.side_tabs.setCurrentWidget(self.history)
        self.splitter.open_details(pinned=True)
        self.history.refresh()

    def show_details(self, shown: bool = True) -> None:
        """Open (and keep open) or close the properties and problems column."""
        if shown:
            self.splitter.open_details(pinned=True)
        else:
            self.splitter.close_details()

    def _on_details_toggled(self, shown: bool) -> None:
        if shown:  # the column covers the canvas's right part: keep the selection in sight
            box = QRectF()
            for item in self.scene.selectedItems():
                box = box.united(item.sceneBoundingRect())
            if not box.isNull() and not self.view.visible_scene_rect().contains(box):
                self.view.ensureVisible(box, 24, 24)
        action = self._actions["properties"]
        if action.isChecked() != shown:
            action.blockSignals(True)
            action.setChecked(shown)
            action.blockSignals(False)

    def _on_validated(self, problems: list[Any]) -> None:
        action = self._actions["properties"]
        count = len(problems)
        action.setText(
            f"&Properties ({count} problem{'s' * (count != 1)})" if count else "&Properties"
        )

    def select_all(self) -> None:
        self.scene.select(self.graph.nodes, self.graph.annotations)

    def focus_node(self, node_id: str) -> None:
        """Select ``node_id`` and centre the canvas on it."""
        item = self.scene.node_items.get(node_id)
        if item is None:
            return
        self.scene.select([node_id])
        self.view.centre_on(item.sceneBoundingRect().center())
        self.view.setFocus()

    # -- view ----------------------------------------------------------------------------------

    def zoom_in(self) -> None:
        self.view.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.view.zoom_by(1 / 1.25)

    def zoom_reset(self) -> None:
        self.view.set_zoom(1.0)

    def fit_view(self) -> None:
        """Show the whole graph, zoomed out no further than titles stay readable (see view)."""
        self.view.fit_view()

    def painted_titles(self) -> dict[str, tuple[str, float]]:
        """For each node at least partly inside the canvas's viewport: its title as drawn now
        (lines joined by spaces, "…" where shortened; "" if none was drawn) and the on-screen
        pixel size of its font. Repaints the canvas to find out."""
        return self.view.painted_titles()

    def use_settings(self, settings: QSettings) -> None:
        """Remember in ``settings`` whether the minimap is shown (and show it as remembered)."""
        self._settings = settings
        action = self._actions["minimap"]
        action.setChecked(settings.value("graph_editor/minimap", True) not in (False, "false"))
        action.toggled.connect(self._on_minimap_toggled)

    def _on_minimap_toggled(self, shown: bool) -> None:
        if self._settings is not None:
            self._settings.setValue("graph_editor/minimap", shown)

    def validate(self) -> list[Any]:
        problems = self.problems.validate_now(deep=True)
        if problems:
            self.splitter.open_details(pinned=True)
        errors = sum(p.severity == "error" for p in problems)
        self.show_status(
            "The graph is valid."
            if not problems
            else f"{errors} error(s), {len(problems) - errors} warning(s) — see Problems.",
            error=errors > 0,
        )
        return problems

    # -- run states ----------------------------------------------------------------------------

    def set_node_states(self, states: Mapping[str, Mapping[str, Any] | None]) -> None:
        """Show run states: ``{node_id: {"status": str, "progress": float | None}}``.

        Only the named nodes change; a status of None or "" (or a None entry) clears a node's
        state; unknown node ids are ignored. Statuses: queued, running, awaiting_approval,
        succeeded, failed, cancelled, skipped; progress (0..1) is drawn while running."""
        self.scene.set_node_states(states)

    def clear_node_states(self) -> None:
        self.scene.set_node_states(dict.fromkeys(self.scene.node_items))

    # -- guarded document actions --------------------------------------------------------------

    def confirm_new_graph(self) -> None:
        """New Graph: offer to save unsaved changes first, then start an empty graph."""
        if self.maybe_save():
            self.new_graph()

    def choose_template(self) -> None:
        """New from Template: offer to save unsaved changes, then start from the chosen template."""
        if not self.maybe_save():
            return
        dialog = TemplateDialog(self)
        if dialog.exec() == QDialog.DialogCode.Accepted and dialog.selected_name():
            self.new_from_template(dialog.selected_name() or "")

    def choose_file_to_open(self) -> None:
        """Open: offer to save unsaved changes, then open the graph file the person picks."""
        if not self.maybe_save():
            return
        start = str(self.file_path.parent) if self.file_path else ""
        name, _ = QFileDialog.getOpenFileName(self, "Open graph", start, FILE_FILTER)
        if name:
            self.open_file(name)
