"""Long work off the UI thread.

* ``tasks.run(fn, on_done, on_error)`` — short background work (a query, a save): ``fn()``
  runs in the global thread pool and the callbacks run on the UI thread.
* ``tasks.start(title, fn, on_done, on_error, on_cancelled)`` — long work the user watches and
  may stop: ``fn(progress)`` gets a ``workbench.progress.Progress``, reports steps through it
  and stops at the next step once the user presses Cancel (``Cancelled`` is raised inside the
  work, so nothing half-done is kept). The status bar shows its title, a progress bar and a
  Cancel button (``TaskStatus``).

Callbacks never run after the widget they touch is gone.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from workbench.progress import Cancelled, Progress


class _Signals(QObject):
    done = Signal(object)
    failed = Signal(str)
    cancelled = Signal(str)
    progressed = Signal(int, int, str)


def _message(exc: BaseException) -> str:
    if getattr(exc, "exit_code", None):
        return str(exc)
    traceback.print_exc()
    return f"{type(exc).__name__}: {exc}"


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any]):
        super().__init__()
        self.fn = fn
        self.signals = _Signals()

    @Slot()
    def run(self) -> None:
        try:
            result = self.fn()
        except Cancelled as exc:
            self._emit(self.signals.cancelled, str(exc))
            return
        except Exception as exc:  # shown to the user, not raised into Qt
            self._emit(self.signals.failed, _message(exc))
            return
        self._emit(self.signals.done, result)

    @staticmethod
    def _emit(signal: Any, value: Any) -> None:
        try:
            signal.emit(value)
        except RuntimeError:  # the window that wanted the result is gone: nobody to tell
            pass


def _guarded(callback: Callable[..., None]) -> Callable[..., None]:
    """A callback that does nothing once the widgets it touches have been deleted."""

    def call(*values: Any) -> None:
        try:
            callback(*values)
        except RuntimeError as exc:
            if "deleted" not in str(exc):
                raise

    return call


class Job(QObject):
    """One long piece of work the user can watch and cancel."""

    progressed = Signal(int, int, str)
    finished = Signal(str)  # "done", "failed" or "cancelled"

    def __init__(self, title: str, parent: QObject | None = None):
        super().__init__(parent)
        self.title = title
        self.state = "running"
        self.done = self.total = 0
        self.text = ""
        self._progress: Progress | None = None

    def cancel(self) -> None:
        """Ask the work to stop at its next step."""
        if self._progress is not None and self.state == "running":
            self._progress.cancel()
            self.text = "cancelling…"
            self.progressed.emit(self.done, self.total, self.text)

    @property
    def cancelling(self) -> bool:
        return self._progress is not None and self._progress.cancelled


class TaskRunner(QObject):
    busy_changed = Signal(int)
    jobs_changed = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._active: set[_Task] = set()
        self.jobs: list[Job] = []

    def _launch(self, task: _Task, on_done: Callable[[Any], None] | None,
                on_error: Callable[[str], None] | None,
                on_cancelled: Callable[[str], None] | None = None,
                finished: Callable[[str], None] | None = None) -> None:
        self._active.add(task)
        self.busy_changed.emit(len(self._active))

        def finish(outcome: str) -> None:
            self._active.discard(task)
            try:
                if finished is not None:
                    finished(outcome)
                self.busy_changed.emit(len(self._active))
            except RuntimeError:  # the window that owned the runner is gone
                pass

        if on_done:
            task.signals.done.connect(_guarded(on_done))
        if on_error:
            task.signals.failed.connect(_guarded(on_error))
        if on_cancelled:
            task.signals.cancelled.connect(_guarded(on_cancelled))
        task.signals.done.connect(lambda _: finish("done"))
        task.signals.failed.connect(lambda _: finish("failed"))
        task.signals.cancelled.connect(lambda _: finish("cancelled"))
        task.setAutoDelete(True)
        QThreadPool.globalInstance().start(task)

    def run(self, fn: Callable[[], Any], on_done: Callable[[Any], None] | None = None,
            on_error: Callable[[str], None] | None = None) -> None:
        """Short background work: ``fn()`` off the UI thread, callbacks on it."""
        self._launch(_Task(fn), on_done, on_error)

    def start(self, title: str, fn: Callable[[Progress], Any],
              on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[str], None] | None = None,
              on_cancelled: Callable[[str], None] | None = None) -> Job:
        """Long work with progress and a Cancel button: ``fn(progress)`` off the UI thread."""
        job = Job(title, self)
        task = _Task(lambda: fn(progress))

        def report(done: int, total: int, text: str) -> None:
            try:
                task.signals.progressed.emit(done, total, text)
            except RuntimeError:  # the window is gone: stop the work
                progress.cancel()
                progress.check()

        progress = Progress(report)
        job._progress = progress

        def moved(done: int, total: int, text: str) -> None:
            if job.state != "running":
                return
            job.done, job.total = done, total
            job.text = "cancelling…" if job.cancelling else text
            job.progressed.emit(job.done, job.total, job.text)

        def finished(outcome: str) -> None:
            job.state = outcome
            if job in self.jobs:
                self.jobs.remove(job)
            job.finished.emit(outcome)
            self.jobs_changed.emit()

        task.signals.progressed.connect(_guarded(moved))
        self.jobs.append(job)
        self.jobs_changed.emit()
        self._launch(task, on_done, on_error, on_cancelled, finished)
        return job

    def cancel_all(self) -> int:
        """Cancel every running job; returns how many were asked to stop."""
        running = [job for job in self.jobs if job.state == "running" and not job.cancelling]
        for job in running:
            job.cancel()
        return len(running)

    @property
    def busy(self) -> int:
        return len(self._active)


class TaskStatus(QWidget):
    """The status bar's view of background work: the newest job's title and progress with a
    Cancel button, or a busy bar while only short work runs."""

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("task_status")
        self.tasks = tasks
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel(self)
        self.bar = QProgressBar(self)
        self.bar.setMaximumWidth(140)
        self.bar.setRange(0, 0)
        self.cancel_button = QToolButton(self)
        self.cancel_button.setObjectName("cancel_task")
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this background task (Ctrl+Shift+X stops them all)")
        self.cancel_button.clicked.connect(self.cancel_shown)
        for widget in (self.label, self.bar, self.cancel_button):
            layout.addWidget(widget)
        self._shown: Job | None = None
        self._more = ""
        tasks.jobs_changed.connect(self._refresh)
        tasks.busy_changed.connect(lambda _: self._refresh())
        self._refresh()

    @property
    def shown(self) -> Job | None:
        return self._shown

    def cancel_shown(self) -> None:
        if self._shown is not None:
            self._shown.cancel()

    def _refresh(self) -> None:
        jobs = [job for job in self.tasks.jobs if job.state == "running"]
        job = jobs[-1] if jobs else None
        if job is not self._shown:
            if self._shown is not None:
                try:
                    self._shown.progressed.disconnect(self._show_progress)
                except (RuntimeError, TypeError):
                    pass
            self._shown = job
            if job is not None:
                job.progressed.connect(self._show_progress)
        self._more = f" (+{len(jobs) - 1} more)" if len(jobs) > 1 else ""
        if job is not None:
            self._show_progress(job.done, job.total, job.text)
            self.cancel_button.setEnabled(not job.cancelling)
            self.label.show()
            self.cancel_button.show()
            self.setVisible(True)
        else:
            self.label.hide()
            self.cancel_button.hide()
            self.bar.setRange(0, 0)
            self.setVisible(self.tasks.busy > 0)

    def _show_progress(self, done: int, total: int, text: str) -> None:
        job = self._shown
        if job is None:
            return
        if total > 0:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        else:
            self.bar.setRange(0, 0)
        self.bar.setToolTip(text)
        self.label.setToolTip(text)
        self.cancel_button.setEnabled(not job.cancelling)
        self.label.setText(f"{job.title}{self._more}" + (f": {text}" if text else ""))
