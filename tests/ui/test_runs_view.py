"""The run page's step timeline: a finished run's steps drawn in the order they ran, a live
step's bar growing with the clock, and a click on a bar selecting that step's logs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt

from tests.support.store_setup import cast_store, run_to_end, training_graph


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def test_the_timeline_draws_the_steps_of_a_run_and_selects_one_on_click(qtbot, store, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    assert run_to_end(store, "bob", training_graph(tmp_path / "g.yaml", "timeline_model", "timeline")) == "succeeded"

    window = MainWindow(store, "bob", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.switch_role("engineer")
    view = window.view("runs")
    qtbot.waitUntil(lambda: view.runs.rowCount() == 1, timeout=20_000)
    view.runs.selectRow(0)
    qtbot.waitUntil(lambda: len(view.timeline.bars()) == 2, timeout=20_000)
    data, train = view.timeline.bars()
    assert (data.label, train.label) == ("data", "train")
    assert {data.status, train.status} == {"succeeded"}
    assert train.rect.left() >= data.rect.left() and train.rect.top() > data.rect.top()
    assert "took" in view.timeline.describe(train)

    centre = train.rect.center().toPoint()
    qtbot.mouseClick(view.timeline, Qt.MouseButton.LeftButton, pos=QPoint(centre.x(), centre.y()))
    assert view.steps.item(view.steps.currentRow(), 1).text() == "train"
    qtbot.waitUntil(lambda: "trained" in view.log.toPlainText(), timeout=20_000)
    window.close()


def test_a_live_step_grows_with_the_clock(qtbot) -> None:  # noqa: ANN001
    from workbench.ui.views.timeline import StepTimeline

    timeline = StepTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(600, 120)
    clock = {"now": 10_000}
    timeline._now = lambda: clock["now"]
    run = SimpleNamespace(started_at=0, finished_at=None, finished=False)
    steps = [SimpleNamespace(id=1, node_id="data", attempt=1, status="succeeded", started_at=0, finished_at=4_000),
             SimpleNamespace(id=2, node_id="train", attempt=1, status="running", started_at=4_000, finished_at=None),
             SimpleNamespace(id=3, node_id="score", attempt=1, status="queued", started_at=None, finished_at=None)]
    timeline.set_run(run, steps)
    first = {b.step_id: b.rect for b in timeline.bars()}
    clock["now"] = 20_000
    later = {b.step_id: b.rect for b in timeline.bars()}
    assert later[2].right() > first[2].right() - 1  # the running bar reaches "now"
    assert later[1].width() < first[1].width()  # the finished bar takes a smaller share of a longer run
    assert later[3].width() <= 5  # queued: a marker, not a bar
    assert "so far" in timeline.describe(timeline.bars()[1])


def test_a_step_reused_from_the_cache_is_a_marker_that_says_so(qtbot) -> None:  # noqa: ANN001
    from workbench.ui.views.timeline import StepTimeline

    timeline = StepTimeline()
    qtbot.addWidget(timeline)
    timeline.resize(600, 120)
    run = SimpleNamespace(started_at=900, finished_at=9_000, finished=True)
    steps = [SimpleNamespace(id=7, node_id="train", attempt=1, status="succeeded", started_at=1_000,
                             finished_at=8_000, info={}),
             SimpleNamespace(id=8, node_id="data", attempt=1, status="succeeded", started_at=None,
                             finished_at=900, info={"cached_from": 3})]
    timeline.set_run(run, steps)
    cached, train = timeline.bars()  # the reused step sorts by when it was done
    assert cached.label == "data" and cached.rect.width() <= 5
    assert "reused the result of step 3" in timeline.describe(cached)
    assert train.rect.width() > 100
