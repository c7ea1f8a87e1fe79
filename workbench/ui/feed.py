"""The store's change feed on a worker thread: views connect to ``changed`` and re-read only
what is new (by the ids they last saw). SQLite is polled; PostgreSQL wakes on NOTIFY."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QThread, Signal

if TYPE_CHECKING:
    from workbench.services.session import Store


class ChangeFeedThread(QThread):
    changed = Signal(list)  # list[workbench.store.entities.Change]
    failed = Signal(str)

    def __init__(self, store: Store, parent: QObject | None = None, wait_s: float = 0.5) -> None:
        super().__init__(parent)
        self.store, self.wait_s = store, wait_s
        self._running = True

    def run(self) -> None:
        from workbench.services.session import change_feed

        feed = change_feed(self.store)
        try:
            while self._running:
                try:
                    changes = feed.wait(timeout=self.wait_s)
                except Exception as exc:  # the store went away for a moment; say so, keep trying
                    self.failed.emit(str(exc))
                    self.msleep(1000)
                    continue
                if changes:
                    self.changed.emit(changes)
        finally:
            feed.close()

    def stop(self) -> None:
        self._running = False
        self.wait(5000)
