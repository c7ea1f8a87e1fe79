"""Long work off the UI thread: ``run_task(fn, on_done, on_error)`` runs ``fn`` in the
global thread pool and calls back on the UI thread. The window shows a busy indicator while
tasks run; callbacks never run after their owner widget is gone."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # shown to the user, not raised into Qt
            message = str(exc) if getattr(exc, "exit_code", None) else f"{type(exc).__name__}: {exc}"
            if not getattr(exc, "exit_code", None):
                traceback.print_exc()
            self.signals.failed.emit(message)
            return
        self.signals.done.emit(result)


def _guarded(callback: Callable[[Any], None]) -> Callable[[Any], None]:
    """A callback that does nothing once the widgets it touches have been deleted."""

    def call(value: Any) -> None:
        try:
            callback(value)
        except RuntimeError as exc:
            if "deleted" not in str(exc):
                raise

    return call


class TaskRunner(QObject):
    busy_changed = Signal(int)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._active: set[_Task] = set()

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[str], None] | None = None) -> None:
        task = _Task(fn)
        self._active.add(task)
        self.busy_changed.emit(len(self._active))

        def finish(_: object = None) -> None:
            self._active.discard(task)
            try:
                self.busy_changed.emit(len(self._active))
            except RuntimeError:  # the window that owned the runner is gone
                pass

        if on_done:
            task.signals.done.connect(_guarded(on_done))
        if on_error:
            task.signals.failed.connect(_guarded(on_error))
        task.signals.done.connect(finish)
        task.signals.failed.connect(finish)
        task.setAutoDelete(True)
        QThreadPool.globalInstance().start(task)

    @property
    def busy(self) -> int:
        return len(self._active)
