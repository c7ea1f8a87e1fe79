"""Progress and cancellation for long work, without Qt.

Long work (permutation importances, label-free estimates, reports) takes a ``Progress`` and
calls ``progress.step(done, total, text)`` at safe points. Each call first checks whether
someone asked to stop (``progress.cancel()``, from another thread: the desktop's Cancel
button) and raises ``Cancelled`` if so, so work stops between steps with nothing half
written. ``Progress()`` with no listener is a silent default for callers that do not care.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from workbench.errors import WorkbenchError

Listener = Callable[[int, int, str], None]


class Cancelled(WorkbenchError):
    """The user stopped the work before it finished (nothing was kept)."""

    exit_code = 130  # as an interrupted command


class Progress:
    """Thread-safe progress reports and a cancel flag for one piece of work."""

    def __init__(self, listener: Listener | None = None) -> None:
        self._listener = listener
        self._stop = threading.Event()
        self.done = 0
        self.total = 0
        self.text = ""

    def cancel(self) -> None:
        """Ask the work to stop at its next step (safe from any thread)."""
        self._stop.set()

    @property
    def cancelled(self) -> bool:
        return self._stop.is_set()

    def check(self) -> None:
        """Raise ``Cancelled`` when the work was asked to stop."""
        if self._stop.is_set():
            raise Cancelled("cancelled by the user", hint="nothing was kept; start it again")

    def step(self, done: int, total: int = 0, text: str = "") -> None:
        """Report ``done`` of ``total`` steps (0: unknown) and stop here if asked to."""
        self.check()
        self.done, self.total, self.text = int(done), int(total), text
        if self._listener is not None:
            self._listener(self.done, self.total, text)


def quietly(progress: Progress | None) -> Progress:
    """The given progress, or a silent one."""
    return progress if progress is not None else Progress()
