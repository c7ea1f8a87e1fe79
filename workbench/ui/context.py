"""What every view is given: the signed-in user, the store (read-only for the analyst), the
change feed, and a way to run long work off the UI thread. Views call services, never the
store's ORM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import QMessageBox, QWidget

from workbench.ui.feed import ChangeFeedThread
from workbench.ui.tasks import TaskRunner


@dataclass
class UiContext:
    store: Any  # workbench.store.Store, read-only when the role is the analyst's
    user: str
    roles: tuple[str, ...]
    feed: ChangeFeedThread
    tasks: TaskRunner
    window: Any = None
    project: str = "default"  # the project the window works in: what views list, where runs go

    @property
    def read_only(self) -> bool:
        return bool(getattr(self.store, "read_only", False))

    def status(self, text: str, ms: int = 8000) -> None:
        if self.window is not None:
            self.window.statusBar().showMessage(text, ms)

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        self.status(f"{title}: {text}")
        if parent is not None and parent.isVisible() and not _headless():
            QMessageBox.warning(parent, title, text)


def _headless() -> bool:
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    return app is None or app.platformName() in ("offscreen", "minimal")
