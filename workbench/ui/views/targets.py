"""The engineer's target registry: targets with their kind and address; check one (versions,
CPUs, GPUs, free disk); trust an SSH host's key after seeing its fingerprint."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.ui.context import UiContext
from workbench.ui.widgets import tables


class TargetsView(QWidget):
    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.table = tables.table(["target", "kind", "address"], self)
        self.table.setObjectName("targets_table")
        self.add_button = QPushButton("Add…", self)
        self.add_button.setObjectName("add_target_button")
        self.check_button = QPushButton("Check", self)
        self.trust_button = QPushButton("Trust host key…", self)
        self.report = QPlainTextEdit(self)
        self.report.setReadOnly(True)
        self.report.setMaximumHeight(140)
        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.add_button)
        bar.addWidget(self.check_button)
        bar.addWidget(self.trust_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table)
        layout.addWidget(self.report)
        self.check_button.clicked.connect(self._on_check)
        self.add_button.clicked.connect(self._on_add)
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

        self.ctx.tasks.run(lambda: list_targets(self.ctx.store, self.ctx.user), lambda ts: tables.fill(self.table, rows(ts)))

    def _selected(self) -> str | None:
        row = self.table.currentRow()
        return self.table.item(row, 0).text() if row >= 0 else None

    def _on_check(self) -> None:
        from workbench.services.targets import check_target

        name = self._selected()
        if name:
            self.report.setPlainText(f"checking {name}…")
            self.ctx.tasks.start(f"Checking {name}",
                                 lambda progress: check_target(self.ctx.store, self.ctx.user, name, progress=progress),
                                 lambda r: self.report.setPlainText(f"{name}: " + (str(r.details) if r.ok else r.problem)),
                                 lambda message: self.report.setPlainText(f"{name}: {message}"),
                                 lambda message: self.report.setPlainText(f"{name}: check cancelled"))

    def _on_add(self) -> None:
        dialog = AddTargetDialog(self)
        if dialog.exec():
            self.add(*dialog.values())

    def add(self, name: str, kind: str, params: dict, passphrase: str | None = None) -> None:
        from workbench.services.targets import add_target

        self.ctx.tasks.run(lambda: add_target(self.ctx.store, self.ctx.user, name, kind, params, passphrase=passphrase),
                           lambda target: (self.ctx.status(f"added the {target.kind} target {target.name}"),
                                           self.refresh()),
                           lambda message: self.ctx.error(self, "Add target", message))

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


class AddTargetDialog(QDialog):
    """A Spark cluster or an SSH host; a key's passphrase goes to the OS keyring only."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Add a target")
        self.name, self.kind = QLineEdit(self), QComboBox(self)
        self.kind.addItems(["ssh", "spark", "local"])
        self.master = QLineEdit("spark://127.0.0.1:7077", self)
        self.host, self.user, self.key_file = QLineEdit(self), QLineEdit(self), QLineEdit(self)
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(22)
        self.python = QLineEdit("python3", self)
        self.work_dir = QLineEdit("~/.mlops-workbench", self)
        self.passphrase = QLineEdit(self)
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setPlaceholderText("key passphrase, if any (kept in the OS keyring)")
        form = QFormLayout(self)
        for label, widget in (("Name", self.name), ("Kind", self.kind), ("Spark master", self.master),
                              ("SSH host", self.host), ("SSH port", self.port), ("User", self.user),
                              ("Key file", self.key_file), ("Passphrase", self.passphrase),
                              ("Remote work dir", self.work_dir), ("Python", self.python)):
            form.addRow(label, widget)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, str, dict, str | None]:
        kind = self.kind.currentText()
        if kind == "spark":
            params: dict = {"master": self.master.text().strip(), "conf": {}}
        elif kind == "ssh":
            params = {"host": self.host.text().strip(), "port": self.port.value(), "user": self.user.text().strip(),
                      "key_file": self.key_file.text().strip(), "work_dir": self.work_dir.text().strip(),
                      "python": self.python.text().strip()}
        else:
            params = {"python": self.python.text().strip()}
        return self.name.text().strip(), kind, params, self.passphrase.text() or None


def create(ctx: UiContext) -> QWidget:
    return TargetsView(ctx)
