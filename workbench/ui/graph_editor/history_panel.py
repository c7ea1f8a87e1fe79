"""The History panel of the graph editor: the stored versions of the open graph (version,
author, time, message), the comparison of two of them (or one against the open graph) painted
on the canvas and listed as text, and "Restore this version".

Rules: the panel reads the history through ``services.graph_history`` with the signed-in
person; painting goes through ``DiffPainter`` and is cleared by "Clear", by a new comparison
and when the editor's graph is replaced. Comparing two versions compares the older with the
newer; one version is compared with the graph as it is in the editor now. Restoring asks
first when the editor has unsaved changes, and loads the version as new content: saving it
(Save to store) makes it the latest version.
"""

from __future__ import annotations

import time
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from workbench.errors import WorkbenchError
from workbench.graph import Graph, loads
from workbench.graph.diff import GraphDiff, diff
from workbench.graph.fileformat import dump_data
from workbench.ui.graph_editor.diff_paint import CHANGE_COLORS, DiffPainter
from workbench.ui.graph_editor.parts import EditorParts

__all__ = ["HistoryHost", "HistoryPanel"]


class HistoryHost(EditorParts, Protocol):
    """What the history panel needs of the editor it compares and restores in (``GraphEditor``)."""

    def show_status(self, text: str, error: bool = False) -> None:
        """Say ``text`` to the person (in red for an error)."""

    def focus_node(self, node_id: str) -> None:
        """Select the node and bring it into sight."""

    def is_modified(self) -> bool:
        """Whether the graph has changes not saved."""
        ...

_LEGEND = " ".join(
    f"<span style='color:{CHANGE_COLORS[k].name()}'>■</span> {k}"
    for k in ("added", "removed", "changed", "moved"))


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(ms / 1000))


class HistoryPanel(QWidget):
    """See the module rules."""

    def __init__(self, editor: HistoryHost, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("graph_history")
        self.editor = editor
        self.painter = DiffPainter(editor.scene)
        self.versions: dict[int, Any] = {}
        self.compared: tuple[int, int | None] | None = None  # (old, new); new None: the open graph
        self.title = QLabel("History", self)
        self.title.setWordWrap(True)
        self.list = QListWidget(self)
        self.list.setObjectName("history_versions")
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setWordWrap(True)
        self.list.setToolTip("Select one version to compare it with the open graph, or two "
                             "(Ctrl+click) to compare them")
        self.compare_button = QPushButton("Compare", self)
        self.compare_button.setObjectName("history_compare")
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setObjectName("history_clear")
        self.clear_button.setToolTip("Remove the comparison from the canvas")
        self.restore_button = QPushButton("Restore…", self)
        self.restore_button.setObjectName("history_restore")
        self.restore_button.setToolTip("Load the selected version into the editor; "
                                       "Save to store then makes it the latest version")
        self.refresh_button = QPushButton("↻", self)
        self.refresh_button.setToolTip("Read the history again")
        self.refresh_button.setFixedWidth(30)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.compare_button, self.clear_button, self.restore_button):
            buttons.addWidget(button)
        buttons.addWidget(self.refresh_button)
        self.legend = QLabel(_LEGEND, self)
        self.changes = QListWidget(self)
        self.changes.setObjectName("history_changes")
        self.changes.setWordWrap(True)
        self.changes.setToolTip("Double-click a change to show its node")
        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.title)
        top_layout.addWidget(self.list, 1)
        top_layout.addLayout(buttons)
        bottom = QWidget(self)
        bottom_layout = QVBoxLayout(bottom)
        bottom_layout.setContentsMargins(0, 0, 0, 0)
        bottom_layout.addWidget(self.legend)
        bottom_layout.addWidget(self.changes, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(top)
        split.addWidget(bottom)
        split.setSizes([300, 260])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(split)
        self.list.itemSelectionChanged.connect(self._update_buttons)
        self.list.itemDoubleClicked.connect(lambda _item: self.compare_selected())
        self.compare_button.clicked.connect(self.compare_selected)
        self.clear_button.clicked.connect(self.clear_comparison)
        self.restore_button.clicked.connect(self._on_restore)
        self.refresh_button.clicked.connect(self.refresh)
        self.changes.itemDoubleClicked.connect(self._on_change_activated)
        self._update_buttons()

    # -- the list ------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the versions of the open graph's name from the store."""
        from workbench.services.graph_history import history

        link, name = self.editor.store_link, self.editor.graph.name
        self.list.clear()
        self.versions = {}
        if link.store is None:
            self.title.setText("History: no store is open.")
        elif not name:
            self.title.setText("History: the graph has no name yet.")
        else:
            try:
                found = history(link.store, link.user, name, project=link.project)
            except WorkbenchError:
                found = []
            base = f"; you started from version {link.base}" if link.base is not None else ""
            self.title.setText(f"<b>{name}</b>: {len(found)} version(s){base}" if found else
                               f"<b>{name}</b> is not in the store yet: Save to store (Ctrl+Alt+S).")
            for version in found:
                self.versions[version.version] = version
                text = f"v{version.version} · {version.author} · {_when(version.created_at)}"
                text += f"\n{version.message}" if version.message else ""
                item = QListWidgetItem(text, self.list)
                item.setData(Qt.ItemDataRole.UserRole, version.version)
                item.setToolTip(text + (f"\nstarted from version {version.base_version}"
                                        if version.base_version is not None else ""))
        self._update_buttons()

    def select_versions(self, *numbers: int) -> None:
        self.list.clearSelection()
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) in numbers:
                item.setSelected(True)

    def selected_versions(self) -> list[int]:
        return sorted(int(i.data(Qt.ItemDataRole.UserRole)) for i in self.list.selectedItems())

    def _update_buttons(self) -> None:
        chosen = self.selected_versions()
        self.compare_button.setEnabled(len(chosen) in (1, 2))
        self.compare_button.setToolTip(
            f"Paint what changed from version {chosen[0]} to version {chosen[1]}" if len(chosen) == 2
            else f"Paint what changed from version {chosen[0]} to the open graph" if chosen
            else "Select one version (compared with the open graph) or two")
        self.restore_button.setEnabled(len(chosen) == 1)
        self.clear_button.setEnabled(self.painter.active)

    # -- comparing -----------------------------------------------------------------------------

    def compare_selected(self) -> GraphDiff | None:
        chosen = self.selected_versions()
        if len(chosen) == 1:
            return self.compare(chosen[0], None)
        if len(chosen) == 2:
            return self.compare(chosen[0], chosen[1])
        return None

    def compare(self, old: int, new: int | None) -> GraphDiff | None:
        """Paint and list what changed from version ``old`` to ``new`` (None: the open graph)."""
        try:
            before = dump_data(loads(self.versions[old].text, strict=False))
            after = (dump_data(loads(self.versions[new].text, strict=False)) if new is not None
                     else dump_data(self.editor.graph))
        except (KeyError, WorkbenchError) as exc:
            self.editor.show_status(f"Cannot compare: {exc}", error=True)
            return None
        change_set = diff(before, after)
        self.painter.paint(change_set, before, after)
        self.compared = (old, new)
        against = f"version {new}" if new is not None else "the open graph"
        self.changes.clear()
        head = QListWidgetItem(f"version {old} → {against}: "
                               + ("no changes" if change_set.empty else
                                  f"{len(change_set.lines())} change(s)"), self.changes)
        head.setFlags(Qt.ItemFlag.ItemIsEnabled)
        for node in change_set.nodes:
            item = QListWidgetItem(node.text(), self.changes)
            item.setForeground(CHANGE_COLORS[node.change].darker(115))
            item.setData(Qt.ItemDataRole.UserRole, node.node_id)
        for line in change_set.lines()[len(change_set.info) + len(change_set.nodes):]:
            QListWidgetItem(line, self.changes)
        for line in change_set.lines()[:len(change_set.info)]:
            QListWidgetItem(line, self.changes)
        if new is not None and dump_data(self.editor.graph)["nodes"] != after["nodes"]:
            note = QListWidgetItem("The canvas shows the open graph, not version "
                                   f"{new}: marks stand on its nodes of the same id.", self.changes)
            note.setFlags(Qt.ItemFlag.ItemIsEnabled)
        box = self.painter.painted_rect()
        if not box.isNull() and not self.editor.view.visible_scene_rect().contains(box):
            self.editor.view.centre_on(box.center())  # the changes in sight
        self.editor.show_status(f"Compared version {old} with {against}: "
                                 f"{len(change_set.lines())} change(s) painted on the canvas.")
        self._update_buttons()
        return change_set

    def clear_comparison(self) -> None:
        self.painter.clear()
        self.compared = None
        self.changes.clear()
        self._update_buttons()

    def _on_change_activated(self, item: QListWidgetItem) -> None:
        node_id = item.data(Qt.ItemDataRole.UserRole)
        if not node_id:
            return
        mark = self.painter.marks.get(node_id)
        if node_id in self.editor.scene.node_items:
            self.editor.focus_node(node_id)
        elif mark is not None:
            self.editor.view.centre_on(mark.sceneBoundingRect().center())

    def graph_replaced(self, graph: Graph) -> None:
        """The editor's graph was replaced: clear the comparison, re-read the list if shown."""
        self.clear_comparison()
        if self.isVisible():
            self.refresh()

    # -- restoring -----------------------------------------------------------------------------

    def restore(self, number: int) -> bool:
        """Load version ``number`` as the editor's content, based on the latest version."""
        version = self.versions.get(number)
        if version is None:
            return False
        latest = max(self.versions)
        if not self.editor.store_link.load_version(version, base=latest):
            return False
        self.editor.undo_stack.resetClean()  # differs from the latest stored version
        self.editor.show_status(f"Restored version {number} of '{version.name}'. Save to store "
                                 f"(Ctrl+Alt+S) to make it version {latest + 1}.")
        return True

    def _on_restore(self) -> None:
        chosen = self.selected_versions()
        if len(chosen) != 1:
            return
        if self.editor.is_modified():
            answer = QMessageBox.question(
                self, "Restore version",
                f"Replace the graph in the editor, with its unsaved changes, by version {chosen[0]}?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.restore(chosen[0])

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        self.refresh()
