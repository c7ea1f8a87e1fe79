"""The command palette (a searchable list of every action, Ctrl+K) and the light and dark
palettes."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QColor, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)


class CommandPalette(QDialog):
    def __init__(self, actions: list[QAction], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Command palette")
        self.resize(460, 360)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Type to search actions…")
        self.list = QListWidget(self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        seen: set[str] = set()
        for action in actions:
            text = action.text().replace("&", "")
            if text in seen:
                continue
            seen.add(text)
            shortcut = action.shortcut().toString()
            if action.isCheckable():  # say whether a toggle is on before a person flips it
                text = f"{text} ({'on' if action.isChecked() else 'off'})"
            item = QListWidgetItem(f"{text}    {shortcut}" if shortcut else text)
            item.setData(Qt.ItemDataRole.UserRole, action)
            self.list.addItem(item)
        self.search.textChanged.connect(self._on_filter)
        self.search.returnPressed.connect(self._on_run_first)
        self.list.itemActivated.connect(self._on_run)

    def _on_filter(self, text: str) -> None:
        words = text.lower().split()
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setHidden(not all(w in item.text().lower() for w in words))

    def _on_run_first(self) -> None:
        for i in range(self.list.count()):
            if not self.list.item(i).isHidden():
                self._on_run(self.list.item(i))
                return

    def _on_run(self, item: QListWidgetItem) -> None:
        action: QAction = item.data(Qt.ItemDataRole.UserRole)
        self.accept()
        action.trigger()


def apply_theme(name: str) -> None:
    app = QApplication.instance()
    if app is None:
        return
    if name != "dark":
        app.setPalette(app.style().standardPalette())
        return
    palette = QPalette()
    base, text, mid = QColor(37, 37, 40), QColor(225, 225, 228), QColor(53, 53, 58)
    for role, color in ((QPalette.ColorRole.Window, mid), (QPalette.ColorRole.WindowText, text),
                        (QPalette.ColorRole.Base, base), (QPalette.ColorRole.AlternateBase, mid),
                        (QPalette.ColorRole.Text, text), (QPalette.ColorRole.Button, mid),
                        (QPalette.ColorRole.ButtonText, text), (QPalette.ColorRole.ToolTipBase, base),
                        (QPalette.ColorRole.ToolTipText, text), (QPalette.ColorRole.Highlight, QColor(64, 120, 200)),
                        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255))):
        palette.setColor(role, color)
    app.setPalette(palette)
