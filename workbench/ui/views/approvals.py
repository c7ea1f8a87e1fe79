"""The risk officer's view: approval requests, and the dialog that shows what a decision
needs — candidate vs champion metrics with deltas, confusion matrices, label-free (CBPE)
estimates of both on production data, data lineage and drift, permutation feature
importances, earlier decisions — and takes the decision with a mandatory reason. The two
slow parts (importances, label-free estimates) run as background tasks with progress in the
status bar; closing the dialog cancels them. The requester cannot decide their own request
(the service refuses it too); the decision lands in the audit chain and the waiting run
resumes."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.views.runs import _fill, _table


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else ("" if value is None else str(value))


class ApprovalDialog(QDialog):
    def __init__(self, ctx: UiContext, details: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.details = ctx, details
        request = details.request
        model = details.candidate
        self.setWindowTitle(f"Approval request {request.id}: {model.get('name')} version {model.get('version')}")
        self.resize(900, 640)
        tabs = QTabWidget(self)
        tabs.addTab(self._metrics_tab(), "Candidate vs champion")
        tabs.addTab(self._confusion_tab(), "Confusion matrix")
        tabs.addTab(self._label_free_tab(), "Label-free estimates")
        tabs.addTab(self._data_tab(), "Data and drift")
        self.importance_table = _table(["feature", "importance", "± std"], self)
        self.importance_table.setObjectName("importance_table")
        tabs.addTab(self.importance_table, "Feature importance")
        tabs.addTab(self._lineage_tab(), "Lineage")
        tabs.addTab(self._history_tab(), "Earlier decisions")
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
        layout.addWidget(QLabel(f"Requested by <b>{request.requested_by}</b> for run {request.run_id} "
                                f"(node {request.node_id}) · status <b>{request.status}</b>"))
        layout.addWidget(tabs, 1)
        layout.addWidget(self.reason)
        layout.addLayout(buttons)
        self.reason.textChanged.connect(self._on_reason)
        self.approve_button.clicked.connect(lambda: self._decide("approved"))
        self.reject_button.clicked.connect(lambda: self._decide("rejected"))
        self.decided: Any = None
        self.jobs: list[Any] = []
        self.finished.connect(self._cancel_jobs)
        self._load_importances()
        self._load_label_free()

    def _cancel_jobs(self, *_: Any) -> None:
        for job in self.jobs:
            job.cancel()

    def _label_free_tab(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        self.label_free_note = QLabel("Estimating on production data…", box)
        self.label_free_note.setObjectName("label_free_note")
        self.label_free_note.setWordWrap(True)
        self.label_free_table = _table(["metric", "candidate\nproduction (estimated)", "candidate\nhold-out (realised)",
                                        "champion\nproduction (estimated)", "champion\nhold-out (realised)"], box)
        self.label_free_table.setObjectName("label_free_table")
        self.label_free_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.label_free_note)
        layout.addWidget(self.label_free_table, 1)
        return box

    def _show_label_free(self, result: Any) -> None:
        from workbench.monitoring.cbpe import METRICS

        by_role = {m.role: m for m in result.models}
        rows = []
        for metric in METRICS:
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
        _fill(self.label_free_table, rows if result.models else [])
        parts = []
        if result.models:
            parts.append(f"CBPE on {result.n_rows:,} production rows ({', '.join(result.production)}); "
                         + "; ".join(f"{m.role} v{m.version}: calibration {m.calibration}, "
                                     f"{m.n_holdout:,} hold-out rows" for m in result.models))
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
        champion = (self.details.champion or {}).get("metrics", {})
        candidate = self.details.candidate.get("metrics", {})
        keys = sorted(k for k in set(candidate) | set(champion)
                      if isinstance(candidate.get(k, champion.get(k)), int | float))
        table = _table(["metric", "candidate", "champion", "delta"], self)
        table.setObjectName("metrics_table")
        _fill(table, [[k, _number(candidate.get(k)), _number(champion.get(k)), _number(self.details.deltas.get(k))]
                      for k in keys])
        if self.details.champion is None:
            table.setToolTip("there is no champion yet: this would be the first")
        return table

    def _confusion_tab(self) -> QWidget:
        box = QWidget(self)
        grid = QGridLayout(box)
        matrix = self.details.evaluation.get("confusion_matrix") or self.details.candidate.get(
            "metrics", {}).get("confusion_matrix")
        if not matrix:
            grid.addWidget(QLabel("No confusion matrix (not a classifier, or no evaluation step)."), 0, 0)
            return box
        labels = [str(label) for label in matrix["labels"]]
        grid.addWidget(QLabel("<i>true ↓ / predicted →</i>"), 0, 0)
        for j, label in enumerate(labels):
            grid.addWidget(QLabel(f"<b>{label}</b>"), 0, j + 1)
        for i, row in enumerate(matrix["matrix"]):
            grid.addWidget(QLabel(f"<b>{labels[i]}</b>"), i + 1, 0)
            for j, value in enumerate(row):
                cell = QLabel(str(value))
                cell.setAlignment(Qt.AlignmentFlag.AlignCenter)
                grid.addWidget(cell, i + 1, j + 1)
        return box

    def _data_tab(self) -> QWidget:
        box = QWidget(self)
        layout = QVBoxLayout(box)
        datasets = _table(["source", "source sha256", "rows"], box)
        _fill(datasets, [[d.get("source"), d.get("source_sha256"), d.get("rows")] for d in self.details.datasets])
        drift = _table(["monitor", "column", "method", "statistic", "threshold", "drifted"], box)
        _fill(drift, [[d["source"], d["column"], d["method"], _number(d["statistic"]), _number(d["threshold"]),
                       "yes" if d["drifted"] else "no"] for d in self.details.drift])
        layout.addWidget(QLabel("Training data"))
        layout.addWidget(datasets)
        layout.addWidget(QLabel("Latest drift of production data in this application"
                                + ("" if self.details.drift else ": none recorded yet")))
        layout.addWidget(drift)
        return box

    def _lineage_tab(self) -> QWidget:
        text = QPlainTextEdit(self)
        text.setReadOnly(True)
        lineage = self.details.lineage
        summary = {"trained_by": self.details.candidate.get("trained_by"),
                   "trained_at_ms": self.details.candidate.get("trained_at"),
                   "code_version": lineage.get("code_version"), "graph_sha256": lineage.get("graph_sha256"),
                   "node": lineage.get("node_id"), "params": lineage.get("params"), "target": lineage.get("target"),
                   "device": lineage.get("device"), "python": lineage.get("python"),
                   "libraries": lineage.get("libraries"), "data": lineage.get("meta", {}).get("source_sha256")}
        text.setPlainText(json.dumps(summary, indent=2, default=str))
        return text

    def _history_tab(self) -> QWidget:
        table = _table(["request", "version", "decision", "by", "reason"], self)
        _fill(table, [[r.id, r.evidence.get("model", {}).get("version"), r.decision.decision, r.decision.decided_by,
                       r.decision.reason] for r in self.details.history])
        return table

    def _load_importances(self) -> None:
        from workbench.services.approvals import importances

        request_id = self.details.request.id

        def show(items: list) -> None:
            _fill(self.importance_table, [[i.feature, f"{i.mean:.4f}", f"{i.std:.4f}"] for i in items[:30]])

        self.jobs.append(self.ctx.tasks.start(
            "Feature importances", lambda progress: importances(self.ctx.store, self.ctx.user, request_id,
                                                                progress=progress),
            show, lambda message: self.ctx.status(f"feature importances unavailable: {message}"),
            lambda message: self.ctx.status("feature importances cancelled")))

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


class ApprovalsView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = _table(["request", "status", "model", "version", "run", "requested by"], self)
        self.table.setObjectName("approvals_table")
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
        ctx.feed.changed.connect(lambda changes: any(c.topic == "approvals" for c in changes) and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        from workbench.services.models import list_approvals

        self.ctx.tasks.run(lambda: list_approvals(self.ctx.store, self.ctx.user), self._show)

    def _show(self, requests: list) -> None:
        ordered = sorted(requests, key=lambda r: (r.status != "open", -r.id))
        _fill(self.table, [[r.id, r.status, r.evidence.get("model", {}).get("name"),
                            r.evidence.get("model", {}).get("version"), r.run_id, r.requested_by] for r in ordered])

    def dialog_for(self, request_id: int) -> ApprovalDialog:
        from workbench.services.approvals import details

        return ApprovalDialog(self.ctx, details(self.ctx.store, self.ctx.user, request_id), self)

    def review_selected(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        dialog = self.dialog_for(int(self.table.item(row, 0).text()))
        dialog.exec()
        self.refresh()


def create(ctx: UiContext) -> QWidget:
    return ApprovalsView(ctx)
