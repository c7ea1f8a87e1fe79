"""The conflict dialog: someone saved the graph since this edit began and both changed the same
nodes. It shows each conflicting node, their values against mine, and lets the person keep
mine or take theirs per node, overwrite theirs altogether (audited) or cancel.

Rules: the dialog never saves; it says what the person chose (``outcome``: "resolve",
"overwrite" or None, and ``choices``). ``resolve`` builds the graph to save from plain data:
every change that does not conflict comes from both sides (``graph.diff.merge``), and each
conflicting node is mine or theirs as chosen. It is saved with the later version as its base,
so nothing of theirs is lost unless the person picked it away.
"""

from __future__ import annotations

import copy
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.graph.diff import diff, merge

__all__ = ["ConflictDialog", "resolve"]

Data = dict[str, Any]


def _by_id(items: Any) -> dict[str, Data]:
    return {str(item["id"]): item for item in items or ()}


def _edge_key(edge: Data) -> tuple[str, str]:
    return (str(edge["from"]), str(edge["to"]))


def resolve(base: Data | None, mine: Data, theirs: Data, choices: dict[str, str]) -> Data:
    """The plain data to save: both sides' other changes merged, each node of ``choices``
    ("mine" or "theirs") taken from that side (absent there: removed)."""
    m, t = _by_id(mine.get("nodes")), _by_id(theirs.get("nodes"))
    forced = copy.deepcopy(mine)  # mine with every conflicting thing as theirs: merges cleanly
    nodes = dict(m)
    for node_id in choices:
        nodes.pop(node_id, None)
        if node_id in t:
            nodes[node_id] = copy.deepcopy(t[node_id])
    forced["nodes"] = [nodes[k] for k in sorted(nodes)]
    forced["edges"] = [e for e in mine.get("edges") or ()
                       if all(str(end).split(".", 1)[0] in nodes for end in _edge_key(e))]
    bn, mn, tn = (_by_id(d.get("annotations")) for d in (base or {}, mine, theirs))
    notes = dict(mn)
    for note in set(mn) | set(tn):
        if mn.get(note) != bn.get(note) and tn.get(note) != bn.get(note) and mn.get(note) != tn.get(note):
            notes.pop(note, None)
            if note in tn:
                notes[note] = tn[note]
    forced["annotations"] = [notes[k] for k in sorted(notes)]
    if base is not None and forced.get("description") not in (base.get("description"),
                                                              theirs.get("description")):
        forced["description"] = theirs.get("description")
    merged = merge(base, forced, theirs).data
    if merged is None:  # an edge into a node one side removed: theirs wins there
        merged = copy.deepcopy(theirs)
        merged["nodes"] = [n for n in merged.get("nodes") or () if str(n["id"]) not in choices]
        merged["nodes"] += [copy.deepcopy(t[k]) for k in choices if k in t]
    result = {str(n["id"]): n for n in merged.get("nodes") or ()}
    for node_id, side in choices.items():
        if side != "mine":
            continue
        result.pop(node_id, None)
        if node_id in m:
            result[node_id] = copy.deepcopy(m[node_id])
    edges = {_edge_key(e) for e in merged.get("edges") or ()}
    for edge in mine.get("edges") or ():
        key = _edge_key(edge)
        if any(str(end).split(".", 1)[0] in choices and choices[str(end).split(".", 1)[0]] == "mine"
               for end in key):
            edges.add(key)
    merged["nodes"] = [result[k] for k in sorted(result)]
    merged["edges"] = [{"from": a, "to": z} for a, z in sorted(edges)
                       if a.split(".", 1)[0] in result and z.split(".", 1)[0] in result]
    return merged


def _side_text(node: Data | None, other: Data | None) -> str:
    """The values of ``node`` where it differs from ``other`` (one per line)."""
    if node is None:
        return "(removed)"
    if other is None:
        return "(kept; removed on the other side)"
    change = diff({"nodes": [other]}, {"nodes": [node]}).nodes
    if not change:
        return "(same)"
    lines = []
    for name, (_, new) in change[0].fields.items():
        lines.append(f"{name} = {new!r}" if name != "position" else f"at {new}")
    for name, (_, new) in change[0].params.items():
        lines.append(f"{name} = {'(unset)' if new is None else repr(new)}")
    return "\n".join(lines)


class ConflictDialog(QDialog):
    """See the module rules."""

    def __init__(self, name: str, nodes: tuple[str, ...], conflicts: tuple[str, ...], author: str,
                 version: int, mine: Data, theirs: Data, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("graph_conflict_dialog")
        self.setWindowTitle(f"Someone else saved '{name}'")
        self.outcome: str | None = None
        self.nodes = nodes
        self._groups: dict[str, QButtonGroup] = {}
        both = "this node was" if len(nodes) == 1 else f"these {len(nodes)} nodes were"
        head = QLabel(
            f"<b>{author}</b> saved version {version} of '{name}' since you started. Their other "
            f"changes merge with yours, but {both} changed by both of you: choose which to keep.",
            self)
        head.setWordWrap(True)
        m, t = _by_id(mine.get("nodes")), _by_id(theirs.get("nodes"))
        self.table = QTableWidget(len(nodes), 4, self)
        self.table.setObjectName("conflict_table")
        self.table.setHorizontalHeaderLabels(
            ["Node", f"Theirs ({author}, version {version})", "Mine", "Keep"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the choices take the keyboard
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        for row, node_id in enumerate(nodes):
            mine_node, their_node = m.get(node_id), t.get(node_id)
            title = str((mine_node or their_node or {}).get("title") or "")
            self.table.setItem(row, 0, QTableWidgetItem(f"{node_id}\n{title}" if title else node_id))
            for column, text in ((1, _side_text(their_node, mine_node)),
                                 (2, _side_text(mine_node, their_node))):
                cell_item = QTableWidgetItem(text)
                cell_item.setToolTip(text)
                self.table.setItem(row, column, cell_item)
            cell = QWidget(self.table)
            box = QHBoxLayout(cell)
            box.setContentsMargins(6, 0, 6, 0)
            group = QButtonGroup(cell)
            for side in ("mine", "theirs"):
                button = QRadioButton(side, cell)
                button.setObjectName(f"keep_{side}_{node_id}")
                group.addButton(button)
                box.addWidget(button)
                button.setChecked(side == "mine")
            self._groups[node_id] = group
            self.table.setCellWidget(row, 3, cell)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        self.table.resizeRowsToContents()
        other = [c for c in conflicts if not any(repr(n) in c.split(":")[0] for n in nodes)]
        notes = QLabel("\n".join(other), self)
        notes.setWordWrap(True)
        notes.setVisible(bool(other))
        buttons = QDialogButtonBox(self)
        self.resolve_button = QPushButton("Save with these choices", self)
        self.resolve_button.setObjectName("conflict_resolve")
        self.resolve_button.setDefault(True)
        self.overwrite_button = QPushButton("Overwrite theirs with mine…", self)
        self.overwrite_button.setObjectName("conflict_overwrite")
        self.overwrite_button.setToolTip("Save your graph as it is over their version; the audit "
                                         "trail records that you overwrote it")
        buttons.addButton(self.resolve_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.overwrite_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        cancel = buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        cancel.setToolTip("Save nothing; your edits stay in the editor")
        self.resolve_button.clicked.connect(lambda: self._finish("resolve"))
        self.overwrite_button.clicked.connect(lambda: self._finish("overwrite"))
        cancel.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(head)
        layout.addWidget(self.table, 1)
        layout.addWidget(notes)
        layout.addWidget(buttons)
        rows = sum(self.table.rowHeight(r) for r in range(len(nodes)))
        self.table.setMinimumHeight(min(360, rows + self.table.horizontalHeader().height() + 6))
        self.resize(900, min(560, 190 + rows))

    def choose(self, node_id: str, side: str) -> None:
        """Keep ``side`` ("mine" or "theirs") of ``node_id``, as clicking its radio button does."""
        for button in self._groups[node_id].buttons():
            if button.text() == side:
                button.setChecked(True)

    def choices(self) -> dict[str, str]:
        chosen: dict[str, str] = {}
        for node_id, group in self._groups.items():
            button = group.checkedButton()
            chosen[node_id] = button.text() if button is not None else "mine"
        return chosen

    def _finish(self, outcome: str) -> None:
        self.outcome = outcome
        self.accept()

    def reject(self) -> None:
        self.outcome = None
        super().reject()

    def keyPressEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            self.reject()
            return
        super().keyPressEvent(event)
