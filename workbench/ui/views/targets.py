"""The engineer's target registry: targets with their kind and address; check one (versions,
CPUs, GPUs, free disk); trust an SSH host's key after seeing its fingerprint."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QHBoxLayout,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.views.runs import _fill, _table


class TargetsView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = _table(["target", "kind", "address"], self)
        self.table.setObjectName("targets_table")
        self.check_button = QPushButton("Check", self)
        self.trust_button = QPushButton("Trust host key…", self)
        self.report = QPlainTextEdit(self)
        self.report.setReadOnly(True)
        self.report.setMaximumHeight(140)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.check_button)
        bar.addWidget(self.trust_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.report)
        self.check_button.clicked.connect(self._on_check)
        self.trust_button.clicked.connect(self._on_trust)
        ctx.feed.changed.connect(lambda changes: any(c.topic == "targets" for c in changes) and self.refresh())
        self.refresh()

    def refresh(self) -> None:
        from workbench.services.targets import list_targets

        def rows(targets: list) -> list:
            out = []
            for t in targets:
                address = (t.params.get("master") or
                           (f"{t.params.get('user', '')}@{t.params.get('host')}:{t.params.get('port')}"
                            if t.kind == "ssh" else "this machine"))
                out.append([t.name, t.kind, address])
            return out

        self.ctx.tasks.run(lambda: list_targets(self.ctx.store, self.ctx.user), lambda ts: _fill(self.table, rows(ts)))

    def _selected(self) -> str | None:
        row = self.table.currentRow()
        return self.table.item(row, 0).text() if row >= 0 else None

    def _on_check(self) -> None:
        from workbench.services.targets import check_target

        name = self._selected()
        if name:
            self.report.setPlainText(f"checking {name}…")
            self.ctx.tasks.run(lambda: check_target(self.ctx.store, self.ctx.user, name),
                               lambda r: self.report.setPlainText(
                                   f"{name}: " + (str(r.details) if r.ok else r.problem)))

    def _on_trust(self) -> None:
        from workbench.services.targets import trust_target

        name = self._selected()
        if not name:
            return

        def confirm(offered: str, known: str | None) -> bool:
            text = f"{name} offers the host key\n\n{offered}\n\n"
            if known:
                text += f"It REPLACES the key on record:\n{known}\n\n"
            text += "Trust it only if it matches the host's real key (checked out of band)."
            answer = QMessageBox.question(self, "Trust host key", text,
                                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                                          QMessageBox.StandardButton.No)
            return answer == QMessageBox.StandardButton.Yes

        try:
            trusted = trust_target(self.ctx.store, self.ctx.user, name, confirm)
        except Exception as exc:  # shown to the user
            self.ctx.error(self, "Trust host key", str(exc))
            return
        self.ctx.status(f"{name}: host key {'trusted' if trusted else 'not trusted'}")


def create(ctx: UiContext) -> QWidget:
    return TargetsView(ctx)
