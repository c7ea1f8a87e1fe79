"""The palette of node kinds: the catalog grouped by category, searchable, draggable.

Rules: the palette reads a ``Catalog`` and never edits a graph. Dragging a kind carries its id
as ``NODE_KIND_MIME`` (the canvas adds the node where it is dropped); a double-click or Enter
on a kind emits ``kindActivated(kind)`` (the editor adds it at the canvas centre). The search
field filters by title, id, category and description; ``set_catalog`` rebuilds the tree
(plug-ins that registered more kinds).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.graph import Catalog, NodeKind
from workbench.graph.catalog import kinds_by_category
from workbench.ui.graph_editor import style

__all__ = ["NODE_KIND_MIME", "NodePalette", "kind_mime_data"]

NODE_KIND_MIME = "application/x-mlops-workbench-node-kind"
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1


def kind_mime_data(kind: str) -> QMimeData:
    """What a drag of ``kind`` out of the palette carries."""
    data = QMimeData()
    data.setData(NODE_KIND_MIME, kind.encode("utf-8"))
    return data


class _KindTree(QTreeWidget):
    activatedKind = Signal(str)

    def mimeTypes(self) -> list[str]:
        return [NODE_KIND_MIME]

    def mimeData(self, items: Sequence[QTreeWidgetItem]) -> QMimeData:
        kinds = [i.data(0, _KIND_ROLE) for i in items if i.data(0, _KIND_ROLE)]
        return kind_mime_data(kinds[0]) if kinds else QMimeData()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        item = self.currentItem()
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and item is not None:
            kind = item.data(0, _KIND_ROLE)
            if kind:
                self.activatedKind.emit(kind)
                event.accept()
                return
        super().keyPressEvent(event)


class NodePalette(QWidget):
    """Node kinds to add to the graph."""

    kindActivated = Signal(str)

    def __init__(self, catalog: Catalog, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("node_palette")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.search = QLineEdit(self)
        self.search.setObjectName("palette_search")
        self.search.setPlaceholderText("Search node kinds…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._on_search)
        self.tree = _KindTree(self)
        self.tree.setObjectName("palette_tree")
        self.tree.setHeaderHidden(True)
        self.tree.setIndentation(10)  # the palette is a narrow column: room for the titles
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.tree.activatedKind.connect(self.kindActivated)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self._items: dict[str, QTreeWidgetItem] = {}
        self.set_catalog(catalog)

    def set_catalog(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.tree.clear()
        self._items.clear()
        for category, kinds in kinds_by_category(catalog).items():
            group = QTreeWidgetItem(self.tree, [category.capitalize()])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setForeground(0, QBrush(style.category_color(category)))
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for kind in kinds:
                self._items[kind.kind] = self._kind_item(group, kind)
        self.tree.expandAll()
        self._on_search(self.search.text())

    def _kind_item(self, group: QTreeWidgetItem, kind: NodeKind) -> QTreeWidgetItem:
        item = QTreeWidgetItem(group, [kind.title])
        item.setData(0, _KIND_ROLE, kind.kind)
        ports = ", ".join(f"{p.name} ({p.type})" for p in kind.inputs) or "none"
        outs = ", ".join(f"{p.name} ({p.type})" for p in kind.outputs) or "none"
        item.setToolTip(
            0, f"<b>{kind.title}</b> ({kind.kind})<br>{kind.doc}<br>in: {ports}<br>out: {outs}"
        )
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )
        item.setData(
            0,
            Qt.ItemDataRole.UserRole + 2,
            " ".join([kind.kind, kind.title, kind.category, kind.doc]).lower(),
        )
        return item

    def item_for(self, kind: str) -> QTreeWidgetItem | None:
        return self._items.get(kind)

    def visible_kinds(self) -> list[str]:
        return [k for k, item in self._items.items() if not item.isHidden()]

    def _on_search(self, text: str) -> None:
        words = text.lower().split()
        for index in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(index)
            shown = 0
            for child_index in range(group.childCount()):
                child = group.child(child_index)
                haystack = child.data(0, Qt.ItemDataRole.UserRole + 2) or ""
                hide = any(word not in haystack for word in words)
                child.setHidden(hide)
                shown += not hide
            group.setHidden(shown == 0)

    def _on_item_double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        kind = item.data(0, _KIND_ROLE)
        if kind:
            self.kindActivated.emit(kind)
