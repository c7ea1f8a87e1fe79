"""The risk officer's view: approval requests, and the dialog that shows what a decision
needs — candidate vs champion metrics with deltas, confusion matrices, label-free (CBPE)
estimates of both on production data, fairness per group and SHAP explanations of both
(``approval_evidence``), data lineage and drift, permutation feature importances, earlier
decisions — and takes the decision with a mandatory reason. The slow
parts (importances, label-free estimates, explanations, the champion's fairness) run as background tasks with progress in the
status bar; closing the dialog cancels them. The requester cannot decide their own request
(the service refuses it too); the decision lands in the audit chain and the waiting run
resumes."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from workbench.governance.evidence import Evidence
from workbench.services.approvals import ApprovalDetails
from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time, number
from workbench.ui.views.approval_evidence import ExplanationsPage, FairnessPage
from workbench.ui.widgets import tables

TABS = ("Candidate vs champion", "Confusion matrix", "Fairness", "Label-free", "Data and drift", "Importance",
        "Explanations", "Lineage", "Earlier decisions")


def _number(value: Any) -> str:
    """Counts as integers, other numbers rounded to 4 places (see ``ui.formatting.number``)."""
    return number(value)


class ApprovalDialog(QDialog):
    def __init__(self, ctx: UiContext, details: ApprovalDetails, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.details = ctx, details
        request = details.request
        model = details.candidate
        self.setWindowTitle(f"Approval request {request.id}: {model.name} version {model.version}")
        self._fit_screen(parent)
        tabs = self.tabs = QTabWidget(self)
        tabs.setObjectName("evidence_tabs")
        tabs.tabBar().setElideMode(Qt.TextElideMode.ElideNone)
        tabs.tabBar().setExpanding(False)
        self.explanations_page = ExplanationsPage(self)
        for page, label in zip((self._metrics_tab(), self._confusion_tab(), self._fairness_tab(),
                                self._label_free_tab(), self._data_tab(), self._importance_tab(),
                                self.explanations_page, self._lineage_tab(), self._history_tab()), TABS, strict=True):
            tabs.addTab(page, label)
        tabs.setTabToolTip(2, "Metrics per group of each sensitive feature the evaluate step named, and the "
                              "gate's fairness policy")
        tabs.setTabToolTip(3, "Label-free (CBPE) estimates of candidate and champion on production data")
        tabs.setTabToolTip(5, "Permutation feature importances of the candidate on its hold-out rows")
        tabs.setTabToolTip(6, "SHAP explanations: how far each feature moves the candidate's and the champion's "
                              "predictions, on the same hold-out rows")
        self.reason = QPlainTextEdit(self)
        self.reason.setObjectName("reason")
        self.reason.setPlaceholderText("Reason for the decision (required; it goes to the audit trail)")
        self.reason.setMaximumHeight(90)
        self.approve_button = QPushButton("Approve", self)
        self.approve_button.setObjectName("approve_button")
        self.reject_button = QPushButton("Reject", self)
        self.reject_button.setObjectName("reject_button")
        self.notice = QLabel(details.why_not, self)
        self.notice.setObjectName("notice")
        for button in (self.approve_button, self.reject_button):
            button.setEnabled(False)
            button.setToolTip(details.why_not or "a reason is required")
        buttons = QHBoxLayout()
        buttons.addWidget(self.notice, 1)
        buttons.addWidget(self.reject_button)
        buttons.addWidget(self.approve_button)
        layout = QVBoxLayout(self)
        captured = details.captured_at or request.created_at
        header = QLabel(f"Requested by <b>{request.requested_by}</b> on {local_time(request.created_at)} for run "
                        f"{request.run_id} (node {request.node_id}) · status <b>{request.status}</b><br>"
                        f"<i>The evidence below is as it was captured with the request "
                        f"({local_time(captured)}), not as things are today.</i>")
        header.setObjectName("request_header")
        header.setWordWrap(True)
        layout.addWidget(header)
        layout.addWidget(tabs, 1)
        if ctx.store.dialect != "postgresql":  # no logins: say what that means for a decision
            self.identity_warning = QLabel(
                "⚠ This embedded store cannot prove who decides: names here are asserted, and anyone "
                "who can open the file can type any name. Four eyes need a PostgreSQL store.", self)
            self.identity_warning.setObjectName("identity_warning")
            self.identity_warning.setWordWrap(True)
            self.identity_warning.setStyleSheet("color: #8a5a00;")
            layout.addWidget(self.identity_warning)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        decision = request.decision
        if decision is not None:  # decided: show the decision; there is nothing to type
            self.reason.hide()
            self.approve_button.hide()
            self.reject_button.hide()
            self.notice.setWordWrap(True)
            self.notice.setText(f"<b>{decision.decision}</b> by {decision.decided_by} on "
                                f"{local_time(decision.decided_at)}: {decision.reason}")
        self.reason.textChanged.connect(self._on_reason)
        self.approve_button.clicked.connect(lambda: self._decide("approved"))
        self.reject_button.clicked.connect(lambda: self._decide("rejected"))
        self.decided: Any = None
        self.jobs: list[Any] = []
        self.finished.connect(self._cancel_jobs)
        self._load_importances()
        self._load_label_free()
        request_id, champion = request.id, details.champion.version if details.champion is not None else None
        self.jobs += [job for job in (self.explanations_page.load(ctx, request_id),
                                      self.fairness_page.load(ctx, request_id, champion)) if job is not None]

    def _fit_screen(self, parent: QWidget | None) -> None:
        """1000×640, or less on a smaller screen: the dialog never reaches past it."""
        screen = (parent.screen() if parent is not None else None) or QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        self.resize(min(1000, room.width() - 40), min(640, room.height() - 60))
        self.setMaximumSize(room.width(), room.height())

    def _cancel_jobs(self, *_: Any) -> None:
        for job in self.jobs:
            job.cancel()

    def _noted_table(self, name: str, note: str, headers: list[str]) -> tuple[QWidget, QLabel, QTableWidget]:
        """A tab of a background task's table under a note that says what it shows (or why
        not); the widgets are named ``{name}_note`` and ``{name}_table``."""
        box = QWidget(self)
        layout = QVBoxLayout(box)
        label = QLabel(note, box)
        label.setObjectName(f"{name}_note")
        label.setWordWrap(True)
        table = tables.table(headers, box)
        table.setObjectName(f"{name}_table")
        layout.addWidget(label)
        layout.addWidget(table, 1)
        return box, label, table

    def _label_free_tab(self) -> QWidget:
        box, self.label_free_note, self.label_free_table = self._noted_table(
            "label_free", "Estimating on production data…",
            ["metric", "candidate\nproduction (estimated)", "candidate\nhold-out (realised)",
             "champion\nproduction (estimated)", "champion\nhold-out (realised)"])
        self.label_free_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return box

    def _show_label_free(self, result: Any) -> None:
        from workbench.monitoring.cbpe import METRICS

        by_role = {m.role: m for m in result.models}
        rows = []
        present = [k for m in result.models for k in (*m.estimated, *m.holdout)]
        for metric in [*[k for k in METRICS if k in present], *dict.fromkeys(k for k in present if k not in METRICS)]:
            row: list[Any] = [metric]
            for role in ("candidate", "champion"):
                model = by_role.get(role)
                row += [_number(model.estimated.get(metric)), _number(model.holdout.get(metric))] if model else ["", ""]
            rows.append(row)
        headers = ["metric"]
        for role in ("candidate", "champion"):
            version = f" v{by_role[role].version}" if role in by_role else ""
            headers += [f"{role}{version}\nproduction (estimated)", f"{role}{version}\nhold-out (realised)"]
        self.label_free_table.setHorizontalHeaderLabels(headers)
        tables.fill(self.label_free_table, rows if result.models else [])
        parts = []
        if result.models:
            parts.append(f"Estimated on {result.n_rows:,} production rows without labels "
                         f"({', '.join(result.production)}); "
                         + "; ".join(f"{m.role} v{m.version}: {m.method}"
                                     + (f", calibration {m.calibration}" if m.calibration else "")
                                     + f", {m.n_holdout:,} hold-out rows" for m in result.models))
        if result.note:
            parts.append(result.note)
        self.label_free_note.setText(". ".join(parts) or "No estimate.")

    def _load_label_free(self) -> None:
        from workbench.services.approvals import label_free

        request_id = self.details.request.id
        self.jobs.append(self.ctx.tasks.start(
            "Label-free estimates", lambda progress: label_free(self.ctx.store, self.ctx.user, request_id,
                                                                progress=progress),
            self._show_label_free,
            lambda message: self.label_free_note.setText(f"Label-free estimates unavailable: {message}"),
            lambda message: self.label_free_note.setText("Label-free estimates cancelled.")))

    def _metrics_tab(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        champion_summary = self.details.champion
        champion = champion_summary.metrics if champion_summary is not None else {}
        candidate = self.details.candidate.metrics
        keys = sorted(set(candidate) | set(champion))
        version = self.details.candidate.version
        headers = ["metric", f"candidate v{version}",
                   f"champion v{champion_summary.version} (then)" if champion_summary else "champion", "delta"]
        table = tables.table(headers, box)
        table.setObjectName("metrics_table")
        tables.fill(table, [[k, _number(candidate.get(k)), _number(champion.get(k)), _delta(self.details.deltas.get(k))]
                      for k in keys])
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        if self.details.candidate_is_champion:
            note = (f"Version {version} already was the champion when this request was made, so there is "
                    "nothing new to compare: the deltas are zero by definition.")
        elif champion_summary is None:
            note = "There was no champion when this request was made: this would be the first."
        else:
            note = (f"Compared with the champion at the time of the request, version {champion_summary.version}"
                    f" (trained {local_time(champion_summary.trained_at)}); delta = candidate − champion.")
        self.metrics_note = QLabel(note, box)
        self.metrics_note.setObjectName("metrics_note")
        self.metrics_note.setWordWrap(True)
        layout.addWidget(self.metrics_note)
        layout.addWidget(table, 1)
        self.metrics_table = table
        return box

    def _fairness_tab(self) -> QWidget:
        """The candidate's metrics per group beside the champion's on the same rows, and the
        gate's policy (``approval_evidence.FairnessPage``)."""
        self.fairness_page = FairnessPage(self.details.evidence, self)
        self.fairness_tables: dict[str, QTableWidget] = self.fairness_page.tables
        return self.fairness_page

    def _confusion_tab(self) -> QWidget:
        box = QWidget(self)
        layout = QHBoxLayout(box)
        self.confusion_tables: dict[str, QTableWidget] = {}
        champion = self.details.champion
        for role, matrix, version in (("candidate", self.details.candidate_matrix, self.details.candidate.version),
                                      ("champion", self.details.champion_matrix,
                                       champion.version if champion is not None else None)):
            if role == "champion" and (champion is None or self.details.candidate_is_champion):
                continue
            column = QVBoxLayout()
            title = QLabel(f"<b>{role} v{version}</b> · hold-out rows · rows: true label, columns: predicted", box)
            title.setWordWrap(True)
            column.addWidget(title)
            if not matrix:
                missing = QLabel("No confusion matrix recorded for this model (it is not a classifier, or "
                                 "its training step wrote no metrics file).", box)
                missing.setWordWrap(True)
                column.addWidget(missing)
            else:
                labels = [str(label) for label in matrix["labels"]]
                table = QTableWidget(len(labels), len(labels), box)
                table.setObjectName(f"confusion_{role}")
                table.setHorizontalHeaderLabels([f"predicted {label}" for label in labels])
                table.setVerticalHeaderLabels([f"true {label}" for label in labels])
                table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
                for i, row in enumerate(matrix["matrix"]):
                    for j, value in enumerate(row):
                        item = QTableWidgetItem(_number(value))
                        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                        table.setItem(i, j, item)
                table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
                self.confusion_tables[role] = table
                column.addWidget(table, 1)
            layout.addLayout(column, 1)
        return box

    def _data_tab(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        datasets = tables.table(["source", "source sha256", "rows"], box)
        tables.fill(datasets, [[d.source, d.source_sha256, d.rows] for d in self.details.datasets])
        drift = tables.table(["monitor", "column", "method", "statistic", "threshold", "drifted"], box)
        tables.fill(drift, [[d["source"], d["column"], d["method"], _number(d["statistic"]), _number(d["threshold"]),
                       "yes" if d["drifted"] else "no"] for d in self.details.drift])
        _readable(datasets)
        _readable(drift)
        layout.addWidget(QLabel("Training data"))
        layout.addWidget(datasets)
        layout.addWidget(QLabel("Latest drift of production data in this application"
                                + ("" if self.details.drift else ": none recorded yet")))
        layout.addWidget(drift)
        return box

    def _lineage_tab(self) -> QWidget:
        tree = QTreeWidget(self)
        tree.setObjectName("lineage_tree")
        tree.setHeaderLabels(["what", "value"])
        tree.setColumnCount(2)
        lineage = self.details.lineage
        model = self.details.candidate
        request = self.details.request
        sections: list[tuple[str, Any]] = [
            ("model", {"name": model.name, "version": model.version,
                       "trained by": model.trained_by, "trained at": local_time(model.trained_at),
                       "run": lineage.get("run_id"), "graph": lineage.get("graph"), "node": lineage.get("node_id"),
                       "graph sha256": lineage.get("graph_sha256"), "code version": lineage.get("code_version")}),
            ("parameters", lineage.get("params") or {}),
            ("training data", {f"dataset {i + 1}": {"source": d.source, "rows": d.rows,
                                                    "source sha256": d.source_sha256,
                                                    "artifact sha256": d.sha256}
                               for i, d in enumerate(self.details.datasets)}),
            ("environment", {"target": lineage.get("target"), "device": lineage.get("device"),
                             "python": lineage.get("python"), "libraries": lineage.get("libraries") or {}}),
            ("request", {"requested by": request.requested_by, "requested at": local_time(request.created_at),
                         "evidence captured at": local_time(self.details.captured_at or request.created_at)}),
        ]
        for title, value in sections:
            _tree_item(tree, title, value)
        tree.expandAll()
        tree.resizeColumnToContents(0)
        return tree

    def _history_tab(self) -> QWidget:
        table = tables.table(["request", "version", "decision", "by", "when", "reason"], self)
        decided = [(r, r.decision) for r in self.details.history if r.decision is not None]
        tables.fill(table, [[r.id, Evidence.from_json(r.evidence).model.version, d.decision, d.decided_by,
                             local_time(d.decided_at), d.reason] for r, d in decided])
        _readable(table)
        return table

    def _importance_tab(self) -> QWidget:
        box, self.importance_note, self.importance_table = self._noted_table(
            "importance", "Computing permutation importances on the hold-out rows…", ["feature", "importance", "± std"])
        return box

    def _load_importances(self) -> None:
        from workbench.services.approvals import importances

        request_id = self.details.request.id

        def show(items: list) -> None:
            tables.fill(self.importance_table, [[i.feature, f"{i.mean:.4f}", f"{i.std:.4f}"] for i in items[:30]])
            _readable(self.importance_table)
            if not items:
                self.importance_note.setText("No importances: the data the candidate was trained on is not in "
                                             "the store.")
                return
            shown = f"the 30 largest of {len(items)}" if len(items) > 30 else f"{len(items)} features"
            self.importance_note.setText(f"How much the candidate's hold-out score drops when one feature's values "
                                         f"are shuffled ({shown}; ± the spread over repeats).")

        self.jobs.append(self.ctx.tasks.start(
            "Feature importances", lambda progress: importances(self.ctx.store, self.ctx.user, request_id,
                                                                progress=progress),
            show, lambda message: self.importance_note.setText(f"Feature importances unavailable: {message}"),
            # closing the dialog cancels the task: nothing to report in the main window
            lambda message: self.importance_note.setText("Feature importances cancelled.")))

    def _on_reason(self) -> None:
        enabled = self.details.can_decide and bool(self.reason.toPlainText().strip())
        self.approve_button.setEnabled(enabled)
        self.reject_button.setEnabled(enabled)

    def _decide(self, decision: str) -> None:
        from workbench.services.models import decide

        reason = self.reason.toPlainText().strip()
        try:
            self.decided = decide(self.ctx.store, self.ctx.user, self.details.request.id, decision, reason)
        except Exception as exc:  # shown, not raised: the service said why
            self.notice.setText(str(exc))
            return
        self.ctx.status(f"approval request {self.details.request.id} {decision}")
        self.accept()


def _delta(value: Any) -> str:
    text = _number(value)
    return f"+{text}" if isinstance(value, int | float) and value > 0 else text


def _readable(table: QTableWidget) -> None:
    """Columns as wide as their contents (the last takes the rest), every cell's full text in
    its tooltip."""
    for row in range(table.rowCount()):
        for column in range(table.columnCount()):
            item = table.item(row, column)
            if item is not None:
                item.setToolTip(item.text())
    table.resizeColumnsToContents()
    table.horizontalHeader().setStretchLastSection(True)


def _tree_item(parent: Any, key: str, value: Any) -> QTreeWidgetItem:
    """``key: value`` as a tree row; dicts and lists become children; numbers read as numbers."""
    item = QTreeWidgetItem(parent)
    item.setText(0, str(key))
    if isinstance(value, dict):
        for child_key, child in value.items():
            _tree_item(item, str(child_key), child)
    elif isinstance(value, list | tuple):
        for i, child in enumerate(value):
            _tree_item(item, str(i + 1), child)
    else:
        text = "" if value is None else _number(value) if isinstance(value, int | float) else str(value)
        item.setText(1, text or "—")
        item.setToolTip(1, text)
    return item


def policies_word(evidence: Evidence) -> str:
    """The gate's policies at a glance: "all 2 hold", "1 of 2 fails", or "none"."""
    failing = sum(not p.holds for p in evidence.policies)
    if not evidence.policies:
        return "none"
    return f"all {len(evidence.policies)} hold" if not failing else f"{failing} of {len(evidence.policies)} fail"


class ApprovalsView(QWidget):
    subject_changed = Signal(str, str)  # the chosen approval request ("approval:ID") as a discussion target, its title

    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = tables.table(["request", "status", "model", "version", "policies", "requested by",
                                   "requested", "run"], self)
        self.table.setObjectName("approvals_table")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.open_button = QPushButton("Review…", self)
        self.open_button.setObjectName("review_button")
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.open_button)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.open_button.clicked.connect(self.review_selected)
        self.table.itemDoubleClicked.connect(lambda _: self.review_selected())
        self.table.itemSelectionChanged.connect(self._on_selected)
        ctx.feed.changed.connect(self._on_changes)
        self.refresh()

    def refresh(self) -> None:
        from workbench.services.models import list_approvals

        self.ctx.tasks.run(lambda: list_approvals(self.ctx.store, self.ctx.user, project=self.ctx.project), self._show)

    def _show(self, requests: list) -> None:
        ordered = sorted(requests, key=lambda r: (r.status != "open", -r.id))
        evidence = [Evidence.from_json(r.evidence) for r in ordered]
        tables.fill(self.table, [[r.id, r.status, e.model.name, e.model.version, policies_word(e), r.requested_by,
                                  local_time(r.created_at), r.run_id]
                                 for r, e in zip(ordered, evidence, strict=True)])
        for row, e in enumerate(evidence):
            cell = self.table.item(row, 4)
            if cell is not None and e.policies:
                cell.setToolTip("\n".join(f"{p.name}: {'holds' if p.holds else 'does not hold'} ({p.detail})"
                                          for p in e.policies))

    def _on_selected(self) -> None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        if item is None:
            return
        model, version = (cell.text() if (cell := self.table.item(row, c)) is not None else "" for c in (2, 3))
        self.subject_changed.emit(f"approval:{item.text()}", f"approval request {item.text()} ({model} v{version})")

    def _on_changes(self, changes: list) -> None:
        if any(c.topic == "approvals" for c in changes):
            self.refresh()

    def dialog_for(self, request_id: int) -> ApprovalDialog:
        from workbench.services.approvals import details

        return ApprovalDialog(self.ctx, details(self.ctx.store, self.ctx.user, request_id), self)

    def review_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        cell = self.table.item(row, 0)
        if cell is None:
            return
        dialog = self.dialog_for(int(cell.text()))
        dialog.exec()
        self.refresh()


def create(ctx: UiContext) -> QWidget:
    return ApprovalsView(ctx)
