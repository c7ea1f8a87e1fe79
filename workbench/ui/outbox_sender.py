"""The open workbench as a sender of due notifications: every ``INTERVAL_MS`` a worker thread
calls ``services.notifications.send_due`` (which claims each outbox row in the store, so several
open workbenches send each notification once). Rules: it runs only on a writable store for a
person holding a role besides the analyst's; one send at a time, never on the UI thread; a
failure is said once, quietly, in the status bar (again only after a send succeeded); closing
the window stops the timer and waits for a send in flight. ``WORKBENCH_OUTBOX_INTERVAL_S``
shortens the interval (tests, demos); the default is 5 s.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal

from workbench.services.presence import seconds_from_env

__all__ = ["INTERVAL_MS", "OutboxSender"]

INTERVAL_MS = int(seconds_from_env("WORKBENCH_OUTBOX_INTERVAL_S", 5.0) * 1000)
STOP_WAIT_MS = 15000  # a webhook or SMTP server times out after 10 s


class _Signals(QObject):
    done = Signal(object)  # SendReport
    failed = Signal(str)


class _Send(QRunnable):
    def __init__(self, store: Any, user: str):
        super().__init__()
        self.store, self.user = store, user
        self.signals = _Signals()

    def run(self) -> None:
        from workbench.services.notifications import send_due

        try:
            report = send_due(self.store, self.user)
        except Exception as exc:  # the store went away, a permission: say it, keep the window
            self._emit(self.signals.failed, f"{type(exc).__name__}: {exc}")
            return
        self._emit(self.signals.done, report)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window closed meanwhile
            pass


def may_send(store: Any, roles: tuple[str, ...]) -> bool:
    """A writable store and a role besides the analyst's (the analyst's views are read-only)."""
    return not getattr(store, "read_only", False) and any(r != "analyst" for r in roles)


class OutboxSender(QObject):
    """Sends due notifications from ``window`` (its ``store``, ``user_name``, ``roles``)."""

    reported = Signal(object)  # each SendReport, for whoever wants to show it

    def __init__(self, window: Any, interval_ms: int = INTERVAL_MS):
        super().__init__(window)
        self.window = window
        self.store, self.user = window.store, window.user_name
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(1)
        self.busy = False
        self.sent = 0
        self._said: str | None = None  # the failure last shown, so it is shown once
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.send_now)
        self.active = may_send(self.store, tuple(window.roles))
        if self.active:
            self.timer.start()

    def send_now(self) -> None:
        """Start one send unless one is running."""
        if self.busy or not self.active:
            return
        self.busy = True
        task = _Send(self.store, self.user)
        task.signals.done.connect(self._on_done)
        task.signals.failed.connect(self._on_failed)
        self.pool.start(task)

    def _on_done(self, report: Any) -> None:
        self.busy = False
        self.sent += report.sent
        self.reported.emit(report)
        if report.errors:
            self._say(f"could not send {report.failed} notification(s), will retry: {report.errors[0]}")
        elif report.sent:
            self._said = None

    def _on_failed(self, text: str) -> None:
        self.busy = False
        self._say(f"sending notifications failed: {text}")

    def _say(self, text: str) -> None:
        first = text.split(":")[0]
        if self._said == first:
            return
        self._said = first
        try:
            self.window.statusBar().showMessage(text, 10000)
        except RuntimeError:
            pass

    def stop(self) -> None:
        """Stop the timer and wait (a bounded while) for a send in flight."""
        self.active = False
        self.timer.stop()
        self.pool.waitForDone(STOP_WAIT_MS)
