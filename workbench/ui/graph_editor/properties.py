"""The properties panel: title, target and typed parameter editors of the selected node (or
the text of the selected note).

Rules: the panel shows what the model holds and follows its events (an undo refreshes the
editors); every change the user makes goes to the ``GraphController`` as one undo command. A
value the model refuses is not applied: the editor goes back to the model's value and the
reason (the model's message, or the editor's own early check) is shown under the field.
Parameters a leniently loaded file holds but the kind does not declare are listed read-only.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from workbench.graph import Annotation, Graph, Node, NodeChange
from workbench.ui.graph_editor.controller import GraphController
from workbench.ui.graph_editor.param_editors import ParamEditor, make_editor

__all__ = ["PropertiesPanel"]


def _error_label(parent: QWidget) -> QLabel:
    label = QLabel(parent)
    label.setWordWrap(True)
    label.setStyleSheet("QLabel { color: #d32f2f; }")
    label.setVisible(False)
    return label


class PropertiesPanel(QWidget):
    """Edits the selected node's (or note's) properties through undo commands."""

    def __init__(self, controller: GraphController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("properties_panel")
        self.controller = controller
        self.node_id: str | None = None
        self.annotation_id: str | None = None
        self.editors: dict[str, ParamEditor] = {}
        self.errors: dict[str, QLabel] = {}
        self.title_edit: QLineEdit | None = None
        self.target_edit: QLineEdit | None = None
        self.note_edit: QPlainTextEdit | None = None
        self.note_apply: QPushButton | None = None
        self._graph: Graph | None = None
        self._listeners: list[tuple[Any, Any]] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self._scroll = QScrollArea(self)
        self._scroll.setWidgetResizable(True)
        outer.addWidget(self._scroll)
        self.message = _error_label(self)
        outer.addWidget(self.message)
        controller.graphReplaced.connect(self._on_graph_replaced)
        self._on_graph_replaced(controller.graph)

    # -- binding -------------------------------------------------------------------------------

    def _on_graph_replaced(self, graph: Graph) -> None:
        for signal, slot in self._listeners:
            signal.disconnect(slot)
        self._graph = graph
        self._listeners = [
            (graph.events.node_changed, self._on_node_changed),
            (graph.events.node_removed, self._on_node_removed),
            (graph.events.annotation_changed, self._on_annotation_changed),
            (graph.events.annotation_removed, self._on_annotation_removed),
        ]
        for signal, slot in self._listeners:
            signal.connect(slot)
        self.show_nothing()

    def _on_node_changed(self, node: Node, change: NodeChange) -> None:
        if node.id != self.node_id:
            return
        if change.field == "params" and change.name in self.editors:
            self.editors[change.name].set_value(node.params.get(change.name))
            self._set_error(change.name, "")
        elif change.field == "title" and self.title_edit is not None:
            self.title_edit.setText(node.title)
        elif change.field == "target" and self.target_edit is not None:
            self.target_edit.setText(node.target or "")

    def _on_node_removed(self, node: Node) -> None:
        if node.id == self.node_id:
            self.show_nothing()

    def _on_annotation_changed(self, annotation: Annotation, old: Annotation) -> None:
        edit = self.note_edit
        if (
            annotation.id == self.annotation_id
            and edit is not None
            and edit.toPlainText() != annotation.text
        ):
            edit.setPlainText(annotation.text)

    def _on_annotation_removed(self, annotation: Annotation) -> None:
        if annotation.id == self.annotation_id:
            self.show_nothing()

    # -- what is shown -------------------------------------------------------------------------

    def _replace_page(self, text: str = "") -> tuple[QWidget, QFormLayout]:
        self.editors = {}
        self.errors = {}
        self.title_edit = self.target_edit = None
        self.note_edit = None
        self.message.setVisible(False)
        page = QWidget()
        column = QVBoxLayout(page)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        column.addLayout(form)
        column.addStretch(1)
        if text:
            hint = QLabel(text, page)
            hint.setWordWrap(True)
            hint.setTextFormat(Qt.TextFormat.RichText)
            form.addRow(hint)
        old = self._scroll.takeWidget()
        if old is not None:
            old.deleteLater()
        self._scroll.setWidget(page)
        return page, form

    def show_nothing(self, text: str = "Select a node to edit its properties.") -> None:
        self.node_id = self.annotation_id = None
        self._replace_page(f"<i>{text}</i>")

    def show_node(self, node_id: str | None) -> None:
        graph = self.controller.graph
        if node_id is None or node_id not in graph.nodes:
            self.show_nothing()
            return
        node = graph.nodes[node_id]
        kind = graph.catalog.find(node.kind)
        about = (
            f"<b>{kind.title}</b><br><small>{kind.doc}</small>"
            if kind
            else f"<b>unknown kind '{node.kind}'</b>"
        )
        page, form = self._replace_page(about)
        self.node_id, self.annotation_id = node_id, None
        form.addRow("Id", QLabel(node.id, page))
        self.title_edit = QLineEdit(node.title, page)
        self.title_edit.setObjectName("title_edit")
        self.title_edit.editingFinished.connect(self._on_title_edited)
        form.addRow("Title", self.title_edit)
        self.target_edit = QLineEdit(node.target or "", page)
        self.target_edit.setObjectName("target_edit")
        self.target_edit.setPlaceholderText("default target")
        self.target_edit.editingFinished.connect(self._on_target_edited)
        form.addRow("Target", self.target_edit)
        self._add_row_error(form, page, "")
        declared = set()
        for spec in kind.params if kind else ():
            declared.add(spec.name)
            editor = make_editor(spec, node.params.get(spec.name, spec.default), page)
            editor.setObjectName(f"param_{spec.name}")
            editor.committed.connect(
                lambda value, name=spec.name: self._on_param_committed(name, value)
            )
            editor.rejected.connect(lambda reason, name=spec.name: self._set_error(name, reason))
            self.editors[spec.name] = editor
            label = QLabel(spec.name + (" *" if spec.required else ""), page)
            label.setToolTip(spec.doc)
            form.addRow(label, editor)
            self._add_row_error(form, page, spec.name)
        for name, value in node.params.items():
            if name not in declared:
                shown = QLabel(json.dumps(value, ensure_ascii=False), page)
                shown.setToolTip("not a parameter of this kind; validation reports it")
                shown.setEnabled(False)
                form.addRow(f"{name} (unknown)", shown)

    def show_annotation(self, annotation_id: str) -> None:
        graph = self.controller.graph
        if annotation_id not in graph.annotations:
            self.show_nothing()
            return
        page, form = self._replace_page("<b>Note</b>")
        self.node_id, self.annotation_id = None, annotation_id
        self.note_edit = QPlainTextEdit(graph.annotations[annotation_id].text, page)
        self.note_edit.setObjectName("note_edit")
        self.note_apply = QPushButton("Apply", page)
        self.note_apply.clicked.connect(self._on_note_applied)
        form.addRow(self.note_edit)
        form.addRow(self.note_apply)

    def show_selection(self, node_ids: list[str], annotation_ids: list[str]) -> None:
        """Show the single selected node or note; a summary for several."""
        if len(node_ids) == 1 and not annotation_ids:
            if node_ids[0] != self.node_id:
                self.show_node(node_ids[0])
        elif len(annotation_ids) == 1 and not node_ids:
            if annotation_ids[0] != self.annotation_id:
                self.show_annotation(annotation_ids[0])
        elif node_ids or annotation_ids:
            self.show_nothing(f"{len(node_ids) + len(annotation_ids)} items selected.")
        elif self.node_id is not None or self.annotation_id is not None:
            self.show_nothing()

    # -- edits ---------------------------------------------------------------------------------

    def _add_row_error(self, form: QFormLayout, page: QWidget, name: str) -> None:
        label = _error_label(page)
        self.errors[name] = label
        form.addRow(label)

    def _set_error(self, name: str, text: str) -> None:
        label = self.errors.get(name)
        if label is not None:
            label.setText(text)
            label.setVisible(bool(text))

    def error_text(self, name: str = "") -> str:
        """The reason shown under parameter ``name`` ("": under title/target), if any."""
        label = self.errors.get(name)
        return label.text() if label is not None and label.isVisible() else ""

    def _on_param_committed(self, name: str, value: Any) -> None:
        node_id = self.node_id
        if node_id is None:
            return
        if self.controller.set_param(node_id, name, value):
            self._set_error(name, "")
            return
        self._set_error(name, self.controller.last_error)
        node = self.controller.graph.nodes.get(node_id)
        if node is not None and name in self.editors:
            self.editors[name].set_value(node.params.get(name, self.editors[name].spec.default))

    def _on_title_edited(self) -> None:
        if self.node_id is None or self.title_edit is None:
            return
        if self.controller.set_title(self.node_id, self.title_edit.text()):
            self._set_error("", "")
        else:
            self._set_error("", self.controller.last_error)
            self.title_edit.setText(self.controller.graph.node(self.node_id).title)

    def _on_target_edited(self) -> None:
        if self.node_id is None or self.target_edit is None:
            return
        target = self.target_edit.text().strip() or None
        if self.controller.set_target(self.node_id, target):
            self._set_error("", "")
        else:
            self._set_error("", self.controller.last_error)
            self.target_edit.setText(self.controller.graph.node(self.node_id).target or "")

    def _on_note_applied(self) -> None:
        if self.annotation_id is None or self.note_edit is None:
            return
        if not self.controller.set_annotation_text(
            self.annotation_id, self.note_edit.toPlainText()
        ):
            self.message.setText(self.controller.last_error)
            self.message.setVisible(True)
