"""The editor's link to the store's graph history: "Save to store…" and loading a version.

Rules:

* The link remembers the version the open graph was loaded from or last saved as (``base``);
  opening a file or a new graph forgets it. A save names that base, so the store can tell
  whether someone saved since (``services.graph_history.save_graph``).
* When someone did and the edits touch different nodes, the store merged them: the person is
  told so and offered the merged version (declining keeps the old base, so the next save
  merges again instead of undoing their changes).
* When both changed the same nodes, the ``ConflictDialog`` asks per node; "overwrite" is
  confirmed once more and saved with ``force`` (audited). Nothing is ever overwritten silently.
* Restoring a version loads it with the *latest* version as its base, so saving it makes it
  the newest version instead of merging it away.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from workbench.errors import WorkbenchError
from workbench.graph import Graph, loads
from workbench.graph.fileformat import dump_data
from workbench.graph.yamlsafe import dump_yaml
from workbench.ui.graph_editor.conflict_dialog import ConflictDialog, resolve

__all__ = ["LinkedDocument", "StoreLink"]


class LinkedDocument(Protocol):
    """What the link needs of the editor whose graph it saves and loads (``editor.GraphEditor``)."""

    @property
    def graph(self) -> Graph: ...

    @property
    def file_path(self) -> Path | None: ...

    @property
    def undo_stack(self) -> QUndoStack: ...

    def replace_graph(self, graph: Graph, path: Path | None) -> None:
        """Edit ``graph`` from now on."""

    def show_status(self, text: str, error: bool = False) -> None:
        """Say ``text`` to the person (in red for an error)."""


class StoreLink(QObject):
    """See the module rules."""

    saved = Signal(object)  # the GraphVersion just saved

    def __init__(self, editor: LinkedDocument, dialog_parent: QWidget):
        super().__init__(dialog_parent)
        self.editor = editor
        self.dialog_parent = dialog_parent  # the editor's widget: its dialogs open over it
        self.store: Any = None
        self.user = ""
        self.project: str | None = None  # the window's project (None: the default project)
        self.base: int | None = None
        self.conflict_dialog: ConflictDialog | None = None
        self._loading = False

    @property
    def ready(self) -> bool:
        return self.store is not None and not getattr(self.store, "read_only", False)

    def use_store(self, store: Any, user: str, project: str | None = None) -> None:
        self.store, self.user, self.project = store, user, project

    def graph_replaced(self, graph: Graph) -> None:
        """The editor's graph was replaced: forget the base, unless the link itself loaded it."""
        if not self._loading:
            self.base = None

    # -- loading -------------------------------------------------------------------------------

    def load_version(self, version: Any, base: int | None = None) -> bool:
        """Make the stored ``version`` the editor's content; ``base`` defaults to its number."""
        try:
            graph = loads(version.text, f"graph {version.name!r} version {version.version}",
                          strict=False)
        except WorkbenchError as exc:
            QMessageBox.critical(self.dialog_parent, "Load version", str(exc))
            return False
        self._loading = True
        try:
            self.editor.replace_graph(graph, None)
        finally:
            self._loading = False
        self.base = version.version if base is None else base
        return True

    # -- saving --------------------------------------------------------------------------------

    def save(self, message: str | None = None) -> Any:
        """Save the open graph as a new version; the saved ``GraphVersion`` or None."""
        editor = self.editor
        if not self.ready:
            editor.show_status("Not saved: no store to save to (or it is read-only).", error=True)
            return None
        graph = editor.graph
        if not graph.name:
            QMessageBox.warning(self.dialog_parent, "Save to store", "The graph has no name. Give it one in "
                                "Properties (click the empty canvas), then save it to the store.")
            return None
        if message is None:
            text, ok = QInputDialog.getText(
                self.dialog_parent, "Save to store", f"What changed in '{graph.name}'? (shown in its history)",
                QLineEdit.EchoMode.Normal, "")
            if not ok:
                return None
            message = text.strip()
        return self._save(graph, message, self.base, replace=False)

    def _save(self, graph: Graph, message: str, base: int | None, replace: bool,
              force: bool = False) -> Any:
        from workbench.services.graph_history import GraphConflictError, save_graph

        editor = self.editor
        try:
            result = save_graph(self.store, self.user, graph, message=message, base_version=base,
                                force=force, project=self.project)
        except GraphConflictError as exc:
            return self._on_conflict(graph, message, base, exc)
        except WorkbenchError as exc:
            QMessageBox.critical(self.dialog_parent, "Save to store", f"Cannot save '{graph.name}'.\n\n{exc}")
            editor.show_status(f"Not saved to the store: {exc}", error=True)
            return None
        saved = result.version
        if replace:  # the editor shows what was saved (a resolved conflict)
            self.load_version(saved)
        elif result.merged_with is not None:
            answer = QMessageBox.question(
                self.dialog_parent, "Merged with a later version",
                f"Someone saved version {result.merged_with} of '{graph.name}' since you started "
                f"from {'version ' + str(base) if base is not None else 'your own copy'}. They "
                f"changed other nodes than you, so both edits are in version {saved.version}.\n\n"
                "Load the merged version into the editor?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.Yes)
            if answer == QMessageBox.StandardButton.Yes:
                self.load_version(saved)
        else:
            self.base = saved.version
            if editor.file_path is None:
                editor.undo_stack.setClean()
        if result.unchanged:
            text = f"'{graph.name}' is unchanged since version {saved.version}; nothing saved."
        elif result.merged_with is not None:
            text = f"Saved '{graph.name}' as version {saved.version}, merged with version {result.merged_with}."
        elif result.overwrote is not None:
            text = (f"Saved '{graph.name}' as version {saved.version} over version {result.overwrote} "
                    "(recorded in the audit trail).")
        else:
            text = f"Saved '{graph.name}' to the store as version {saved.version}."
        editor.show_status(text)
        self.saved.emit(saved)
        return saved

    def _on_conflict(self, graph: Graph, message: str, base: int | None, exc: Any) -> Any:
        from workbench.services.graph_history import version_text

        editor, latest = self.editor, exc.latest
        mine = dump_data(graph)
        try:
            theirs = dump_data(loads(latest.text, strict=False))
            base_data = (dump_data(loads(version_text(self.store, self.user, graph.name, base,
                                                      project=self.project).text,
                                         strict=False)) if base is not None else None)
        except WorkbenchError as err:
            QMessageBox.critical(self.dialog_parent, "Save to store", f"Cannot read the saved versions.\n\n{err}")
            return None
        dialog = ConflictDialog(graph.name, exc.nodes, exc.conflicts, latest.author, latest.version,
                                mine, theirs, self.dialog_parent)
        self.conflict_dialog = dialog
        try:
            dialog.exec()
        finally:
            self.conflict_dialog = None
        if dialog.outcome is None:
            editor.show_status(f"Not saved: {latest.author} saved version {latest.version} since; "
                                "your edits are still here.")
            return None
        if dialog.outcome == "overwrite":
            answer = QMessageBox.warning(
                self.dialog_parent, "Overwrite their version",
                f"Save your graph over version {latest.version} by {latest.author}? Their changes "
                f"to {', '.join(exc.nodes)} are not kept; the audit trail records the overwrite.",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                editor.show_status("Not saved; your edits are still here.")
                return None
            return self._save(graph, message, base, replace=False, force=True)
        data = resolve(base_data, mine, theirs, dialog.choices())
        try:
            resolved = loads(dump_yaml(data), f"graph {graph.name!r} as resolved", strict=False)
        except WorkbenchError as err:
            QMessageBox.critical(self.dialog_parent, "Save to store", f"The choices do not make a valid graph."
                                 f"\n\n{err}\n\nChoose differently, or cancel and edit the graph.")
            return None
        choices = ", ".join(f"{n}: {s}" for n, s in dialog.choices().items())
        note = message + (" " if message else "") + f"(resolved with version {latest.version}: {choices})"
        return self._save(resolved, note, latest.version, replace=True)

    def accept_conflict(self, choices: dict[str, str] | None = None) -> bool:
        """Choose in the open conflict dialog and save (what clicking there does)."""
        dialog = self.conflict_dialog
        if dialog is None:
            return False
        for node_id, side in (choices or {}).items():
            dialog.choose(node_id, side)
        dialog.resolve_button.click()
        return dialog.result() == QDialog.DialogCode.Accepted
