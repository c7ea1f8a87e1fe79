"""Background work as the user sees it: the status bar shows a long task's title and
progress, Cancel stops it at its next step (its cancel callback runs, its done callback never
does), and Ctrl+Shift+X stops every long task at once."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt

from tests.support.store_setup import cast_store
from workbench.progress import Progress


@pytest.fixture
def window(qtbot, tmp_path: Path):  # noqa: ANN001, ANN201
    from workbench.ui.main_window import MainWindow

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    main = MainWindow(store, "bob", settings=settings)
    qtbot.addWidget(main)
    main.show()
    yield main
    main.close()
    store.close()


def _slow(steps: int, reached: list[int]):  # noqa: ANN202
    def work(progress: Progress) -> str:
        for i in range(steps):
            progress.step(i, steps, f"step {i + 1} of {steps}")
            reached.append(i)
            time.sleep(0.05)
        progress.step(steps, steps, "done")
        return "finished"

    return work


def test_a_long_task_shows_progress_and_cancel_stops_it(qtbot, window) -> None:  # noqa: ANN001
    reached: list[int] = []
    outcome: dict[str, str] = {}
    status = window.busy
    job = window.tasks.start("Counting sheep", _slow(400, reached), lambda r: outcome.setdefault("done", r),
                             lambda m: outcome.setdefault("error", m), lambda m: outcome.setdefault("cancelled", m))
    qtbot.waitUntil(lambda: status.bar.maximum() == 400 and status.bar.value() >= 3, timeout=10_000)
    assert status.isVisible() and status.shown is job
    assert status.label.text().startswith("Counting sheep") and status.cancel_button.isEnabled()
    qtbot.mouseClick(status.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: job.state == "cancelled", timeout=10_000)
    assert "cancelled" in outcome and "done" not in outcome and "error" not in outcome
    assert len(reached) < 400
    qtbot.waitUntil(lambda: not status.isVisible(), timeout=5_000)
    assert window.tasks.jobs == []


def test_the_shortcut_cancels_every_long_task_and_failures_are_reported(qtbot, window) -> None:  # noqa: ANN001
    outcomes: list[str] = []
    jobs = [window.tasks.start(f"job {i}", _slow(400, []), lambda _: outcomes.append("done"),
                               lambda _: outcomes.append("error"), lambda _: outcomes.append("cancelled"))
            for i in range(2)]
    qtbot.waitUntil(lambda: all(job.done >= 1 for job in jobs), timeout=10_000)
    assert "(+1 more)" in window.busy.label.text()
    window.cancel_tasks_action.trigger()
    qtbot.waitUntil(lambda: outcomes == ["cancelled", "cancelled"], timeout=10_000)

    def broken(progress: Progress) -> None:
        progress.step(0, 2, "reading")
        raise ValueError("the file is not a dataset")

    errors: list[str] = []
    failed = window.tasks.start("Broken", broken, on_error=errors.append)
    qtbot.waitUntil(lambda: failed.state == "failed", timeout=10_000)
    assert errors and "not a dataset" in errors[0]
    finished = window.tasks.start("Quick", _slow(3, []), on_done=outcomes.append)
    qtbot.waitUntil(lambda: finished.state == "done", timeout=10_000)
    assert outcomes[-1] == "finished"
