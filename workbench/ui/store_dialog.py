"""Choosing the store a window works on: the embedded file (default), another SQLite file,
or a shared PostgreSQL database whose password comes from the OS keyring (or is typed for
this session; it is never written to settings, the store or a log)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from workbench.governance import secrets

SECRET_KIND = "postgres"


def postgres_url(host: str, port: int, database: str, user: str) -> str:
    return f"postgresql+psycopg://{user}@{host}:{port}/{database}"


def with_password(url: str, password: str | None) -> str:
    if not password:
        return url
    from sqlalchemy.engine import make_url

    return make_url(url).set(password=password).render_as_string(hide_password=False)


class StoreDialog(QDialog):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Open a store")
        self.embedded = QRadioButton("The embedded store on this computer (default)", self)
        self.sqlite = QRadioButton("Another SQLite file", self)
        self.postgres = QRadioButton("A shared PostgreSQL database", self)
        group = QButtonGroup(self)
        for button in (self.embedded, self.sqlite, self.postgres):
            group.addButton(button)
        self.embedded.setChecked(True)
        self.path = QLineEdit(self)
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse)
        path_row = QHBoxLayout()
        path_row.addWidget(self.path)
        path_row.addWidget(browse)
        self.host, self.database, self.user = QLineEdit("127.0.0.1", self), QLineEdit("workbench", self), QLineEdit(self)
        self.port = QSpinBox(self)
        self.port.setRange(1, 65535)
        self.port.setValue(5432)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("empty: use the one in the OS keyring")
        self.remember = QCheckBox("Remember the password in the OS keyring", self)
        ok, why = secrets.keyring_status()
        self.remember.setEnabled(ok)
        self.remember.setToolTip("" if ok else f"{why}; the password is kept for this session only")
        form = QFormLayout()
        form.addRow("File:", path_row)
        form.addRow("Host:", self.host)
        form.addRow("Port:", self.port)
        form.addRow("Database:", self.database)
        form.addRow("User:", self.user)
        form.addRow("Password:", self.password)
        form.addRow("", self.remember)
        self.problem = QLabel("", self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._on_accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.embedded, self.sqlite, self.postgres):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self.chosen_url: str | None = None

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "SQLite store", self.path.text() or "workbench.db",
                                              "SQLite (*.db);;All files (*)",
                                              options=QFileDialog.Option.DontConfirmOverwrite)
        if path:
            self.path.setText(path)
            self.sqlite.setChecked(True)

    def url(self) -> str | None:
        """The URL to open (with the password only in memory), or None with ``problem`` set."""
        from workbench.services.session import default_store_url

        if self.embedded.isChecked():
            return default_store_url()
        if self.sqlite.isChecked():
            if not self.path.text().strip():
                self.problem.setText("choose a file")
                return None
            return f"sqlite:///{self.path.text().strip()}"
        if not (self.host.text().strip() and self.database.text().strip() and self.user.text().strip()):
            self.problem.setText("host, database and user are needed")
            return None
        base = postgres_url(self.host.text().strip(), self.port.value(), self.database.text().strip(),
                            self.user.text().strip())
        password = self.password.text()
        if password:
            if self.remember.isChecked():
                secrets.store_secret(SECRET_KIND, base, password)
            else:
                secrets.remember_for_session(SECRET_KIND, base, password)
        else:
            password = secrets.get_secret(SECRET_KIND, base) or ""
        return with_password(base, password)

    def _on_accept(self) -> None:
        try:
            self.chosen_url = self.url()
        except Exception as exc:  # e.g. no keyring: said plainly, nothing stored
            self.problem.setText(str(exc))
            return
        if self.chosen_url:
            self.accept()
