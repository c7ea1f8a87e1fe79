"""The problems list: what ``workbench.graph.validate`` finds, kept current as the graph changes.

Rules: the panel re-validates after every change, debounced (``DELAY_MS``), so a burst of
edits (a paste, an auto-layout, a drag) costs one validation; ``validate_now`` runs it at
once. Errors come first, then warnings, in the model's stable order. Activating a problem
(click, Enter) emits ``problemActivated(node_id)``; the editor selects and centres the node.
The panel only reads the graph.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from workbench.graph import Graph, Problem, validate
from workbench.ui.graph_editor.controller import GraphController

__all__ = ["DELAY_MS", "ProblemsPanel"]

DELAY_MS = 250
_PROBLEM_ROLE = 0x0100 + 7


class ProblemsPanel(QWidget):
    """Lists the graph's validation problems."""

    problemActivated = Signal(str)
    validated = Signal(list)

    def __init__(self, controller: GraphController, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("problems_panel")
        self.controller = controller
        self.problems: list[Problem] = []
        self._listeners: list[tuple[Any, Any]] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.summary = QLabel(self)
        self.list = QListWidget(self)
        self.list.setObjectName("problems_list")
        self.list.setWordWrap(True)
        self.list.itemClicked.connect(self._on_item_activated)
        self.list.itemActivated.connect(self._on_item_activated)
        layout.addWidget(self.summary)
        layout.addWidget(self.list)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DELAY_MS)
        self._timer.timeout.connect(self.validate_now)
        controller.graphReplaced.connect(self._on_graph_replaced)
        self._on_graph_replaced(controller.graph)

    def _on_graph_replaced(self, graph: Graph) -> None:
        for signal, slot in self._listeners:
            signal.disconnect(slot)
        self._listeners = []
        for name in (
            "node_added",
            "node_removed",
            "node_changed",
            "edge_added",
            "edge_removed",
        ):
            signal = getattr(graph.events, name)
            signal.connect(self._on_graph_changed)
            self._listeners.append((signal, self._on_graph_changed))
        self.validate_now()

    def _on_graph_changed(self, *_: object) -> None:
        self._timer.start()

    def validate_now(self, deep: bool = False) -> list[Problem]:
        """Validate the graph now and show the result. The live check (``deep=False``) names no
        estimator it would have to import to judge; Validate (F7) checks fully."""
        self._timer.stop()
        problems = validate(self.controller.graph, import_estimators=deep)
        problems.sort(key=lambda p: p.severity != "error")  # stable: errors first
        self.problems = problems
        self.list.clear()
        errors = sum(p.severity == "error" for p in problems)
        warnings = len(problems) - errors
        for problem in problems:
            mark = "✖" if problem.severity == "error" else "⚠"
            item = QListWidgetItem(f"{mark} {problem.message}")
            item.setData(_PROBLEM_ROLE, problem.node_id or "")
            item.setToolTip(f"{problem.code}: {problem.message}")
            color = "#d32f2f" if problem.severity == "error" else "#b26a00"
            item.setForeground(QBrush(QColor(color)))
            self.list.addItem(item)
        self.summary.setText(
            "No problems."
            if not problems
            else f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
        )
        self.validated.emit(problems)
        return problems

    def _on_item_activated(self, item: QListWidgetItem) -> None:
        node_id = item.data(_PROBLEM_ROLE)
        if node_id:
            self.problemActivated.emit(node_id)
