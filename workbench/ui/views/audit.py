"""The audit trail: newest entries first (local times, readable details), and a check of the
whole hash chain."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time, payload_text
from workbench.ui.widgets import tables


class AuditView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = tables.table(["entry", "time", "actor", "action", "subject", "details"], self)
        self.table.setObjectName("audit_table")
        self.verify_button = QPushButton("Verify chain", self)
        self.result = QLabel("", self)
        self.result.setObjectName("verify_result")
        bar = QHBoxLayout()
        bar.addWidget(self.result, 1)
        bar.addWidget(self.verify_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        self.verify_button.clicked.connect(self.verify)
        ctx.feed.changed.connect(lambda changes: any(c.topic == "audit" for c in changes) and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        from workbench.services.audit import entries

        def load() -> list:
            return entries(self.ctx.store, limit=100_000)[-500:]

        self.ctx.tasks.run(load, self._show)

    def _show(self, rows: list) -> None:
        # the embedded store marks every entry "identity: asserted"; the status bar says that
        # once, so the details column shows what the entry is about
        tables.fill(self.table, [[e.id, local_time(e.ts), e.actor, e.action, e.subject,
                            payload_text({k: v for k, v in e.payload.items() if k != "identity"})]
                           for e in reversed(rows)])
        for r, entry in enumerate(reversed(rows)):
            item = self.table.item(r, 5)
            if item is not None:
                item.setToolTip(payload_text(entry.payload, limit=4000))
        self.table.resizeColumnsToContents()
        for column, most in ((0, 60), (1, 150), (2, 140), (3, 170), (4, 160)):
            self.table.setColumnWidth(column, min(self.table.columnWidth(column), most))

    def verify(self) -> None:
        from workbench.services.audit import verify

        def show(result) -> None:  # noqa: ANN001
            if not result.ok:
                self.result.setText(f"BROKEN at entry {result.broken_id}: {result.problem}")
                return
            text = f"intact: {result.entries} entries verified, {result.signed} signed"
            if result.asserted:
                text += f"; {result.asserted} with an asserted identity (this store cannot prove who wrote them)"
            self.result.setText(text)
            self.result.setToolTip("\n".join(result.notes))

        self.ctx.tasks.run(lambda: verify(self.ctx.store), show)


def create(ctx: UiContext) -> QWidget:
    return AuditView(ctx)
