"""Every plot of the operator's, engineer's and analyst's views on the store the demo built:
each shows data or says why it has none, series run forward in time, the drift method is
never cut off, and no view asks for more room than a 1366×768 screen has."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QScrollArea

from workbench.store import open_store
from workbench.ui.views.plot_frame import PlotFrame

MAX_MIN_SIZE = (1300, 600)  # every view stays usable at 1366×768


@pytest.fixture
def demo(demo_store: str):
    store = open_store(demo_store)
    yield store
    store.close()


def _context(store, roles: tuple[str, ...]):  # noqa: ANN001, ANN202
    from workbench.ui.context import UiContext
    from workbench.ui.feed import ChangeFeedThread
    from workbench.ui.tasks import TaskRunner

    return UiContext(store, "newcomer", roles, ChangeFeedThread(store), TaskRunner())


def _settle(qtbot, view) -> None:  # noqa: ANN001
    qtbot.waitUntil(lambda: view.ctx.tasks.busy == 0, timeout=30_000)
    qtbot.wait(100)  # a frame of the 25 Hz timer


def _data_or_message(frames: list[PlotFrame]) -> list[str]:
    """The frames that show neither data nor a message (titles, for the failure report)."""
    return [f.plot.getPlotItem().titleLabel.text for f in frames if not (f.has_data() or f.message())]


def _assert_fits(view) -> None:  # noqa: ANN001
    hint = view.minimumSizeHint()
    assert hint.width() <= MAX_MIN_SIZE[0] and hint.height() <= MAX_MIN_SIZE[1], hint


def _curves_in_time_order(frame: PlotFrame) -> None:
    for item in frame.plot.getPlotItem().listDataItems():
        if isinstance(item, pg.PlotDataItem) and item.xData is not None and len(item.xData) > 1:
            assert np.all(np.diff(item.xData) >= 0), item.name()


def test_every_monitoring_plot_of_every_demo_source_has_data_or_says_why(qtbot, demo) -> None:  # noqa: ANN001
    from workbench.ui.views.monitoring import MonitoringView

    view = MonitoringView(_context(demo, ("operator",)))
    qtbot.addWidget(view)
    view.resize(900, 640)
    view.show()
    qtbot.waitUntil(lambda: view.source_box.count() > 0 and view.source is not None, timeout=20_000)
    assert view.source == "Credit default demo/live drift"  # a drift monitor first
    sources = [view.source_box.itemText(i) for i in range(view.source_box.count())]
    seen: dict[str, dict[str, bool]] = {}
    for source in sources:
        view.set_source(source)
        qtbot.waitUntil(lambda: view._read_once and view.performance is not None
                        and view.performance.source == view.source, timeout=30_000)
        _settle(qtbot, view)
        assert _data_or_message(view.frames()) == [], source
        for frame in view.frames():
            _curves_in_time_order(frame)
            if not frame.has_data():
                assert source in frame.message() and "…" not in frame.message()  # says why, not "reading"
        seen[source] = {name: getattr(view, f"{name}_frame").has_data()
                        for name in ("drift", "heatmap", "canary", "performance", "volume", "latency")}
        _assert_fits(view)

    drift = seen["Credit default demo/live drift"]
    assert drift["drift"] and drift["heatmap"] and not drift["canary"] and not drift["volume"]
    assert seen["Credit default demo/live canary"]["canary"]
    assert seen["Credit default demo/champion"]["volume"] and seen["Credit default demo/champion"]["performance"]
    view.set_source("Credit default demo/live drift")
    qtbot.waitUntil(lambda: view._read_once and view.drift_frame.has_data(), timeout=20_000)
    _settle(qtbot, view)
    assert "such as 'Credit default demo/" in view.canary_frame.message()  # points at a source that has it
    assert "such as 'Credit default demo/" in view.volume_frame.message()
    assert "no latency" in view.latency_frame.message() or "No prediction windows" in view.latency_frame.message()

    # the champion's windows were written out of time order (days replayed after live batches)
    view.set_source("Credit default demo/champion")
    qtbot.waitUntil(lambda: view._read_once and view.volume_frame.has_data(), timeout=20_000)
    _settle(qtbot, view)
    assert np.all(np.diff(view.volume_curve.xData) >= 0)
    assert "carry no latency" in view.latency_frame.message()
    view.ctx.feed.stop()


def test_the_drift_method_is_never_cut_off_and_the_threshold_comes_from_the_results(qtbot, demo) -> None:  # noqa: ANN001
    from workbench.ui.views.monitoring import MonitoringView

    view = MonitoringView(_context(demo, ("operator",)))
    qtbot.addWidget(view)
    view.resize(700, 600)  # narrow: the source chooser gives way, the method does not
    view.show()
    qtbot.waitUntil(lambda: view.method_box.count() == 3, timeout=20_000)
    _settle(qtbot, view)
    box = view.method_box
    metrics = QFontMetrics(box.font())
    longest = max(metrics.horizontalAdvance(box.itemText(i)) for i in range(box.count()))
    assert box.minimumWidth() >= longest and box.width() >= longest + 20  # text plus the arrow
    assert box.isEnabled()
    with demo.read() as uow:
        stored = {r.method: r.threshold for r in uow.results.drift("Credit default demo/live drift")}
    for method in ("wasserstein", "jensenshannon"):
        box.setCurrentIndex(box.findText(method))
        qtbot.wait(100)
        assert view.drift_line.value() == pytest.approx(stored[method])
        viewbox = view.drift_plot.getPlotItem().getViewBox().sceneBoundingRect()
        assert viewbox.contains(view.drift_line.label.sceneBoundingRect())
    axis = view.drift_plot.getAxis("bottom")
    (step, values), = axis.tickValues(*view.drift_plot.getPlotItem().getViewBox().viewRange()[0], axis.width())
    labels = axis.tickStrings(values, 1.0, step)
    assert len(labels) >= 2 and all(len(label.split()) == 2 for label in labels)  # "22 Sep"
    view.set_source("Credit default demo/canary")
    qtbot.waitUntil(lambda: view._read_once, timeout=20_000)
    assert not box.isEnabled() and box.count() == 0  # no drift here: nothing to choose
    view.ctx.feed.stop()


def test_the_run_page_draws_the_metrics_of_a_run_or_says_why(qtbot, demo) -> None:  # noqa: ANN001
    from workbench.ui.views.runs import RunsView

    view = RunsView(_context(demo, ("engineer",)))
    qtbot.addWidget(view)
    view.resize(700, 760)
    view.show()
    qtbot.waitUntil(lambda: view.runs.rowCount() == 5, timeout=20_000)
    assert "Select a run" in view.metrics_frame.message() and not view.metrics_frame.has_data()
    rows = {view.runs.item(r, 0).text(): view.runs.item(r, 1).text() for r in range(view.runs.rowCount())}
    newest = max((int(run) for run, status in rows.items() if status == "succeeded"))
    for row in range(view.runs.rowCount()):
        if view.runs.item(row, 0).text() == str(newest):
            view.runs.selectRow(row)
    qtbot.waitUntil(lambda: view.metrics_frame.has_data(), timeout=20_000)
    assert view.metrics_frame.message() == "" and view.metrics_frame.isVisible()
    assert view.metrics_frame.height() >= 150
    bars = [i for i in view.plot.getPlotItem().items if isinstance(i, pg.BarGraphItem)]
    assert len(bars) == 1  # the demo's training records final values: one bar per metric
    names = [text for _, text in view.plot.getAxis("left")._tickLevels[0]]
    assert "validation_accuracy" in names and len(names) == len(bars[0].opts["width"])
    assert all(0.0 < w < 1.0 for w in bars[0].opts["width"])

    rejected = max(int(run) for run, status in rows.items() if status == "rejected")
    for row in range(view.runs.rowCount()):
        if view.runs.item(row, 0).text() == str(rejected):
            view.runs.selectRow(row)
    qtbot.waitUntil(lambda: f"Run {rejected} recorded no metrics" in view.metrics_frame.message(), timeout=20_000)
    assert not view.metrics_frame.has_data()
    _assert_fits(view)
    _settle(qtbot, view)
    view.ctx.feed.stop()


def test_a_run_with_metrics_per_epoch_draws_curves(qtbot, demo) -> None:  # noqa: ANN001
    from workbench.ui.views.runs import RunsView

    view = RunsView(_context(demo, ("engineer",)))
    qtbot.addWidget(view)
    view.show()
    view._show_metrics(7, {"loss": {"step": np.array([2, 0, 1]), "value": np.array([0.3, 0.9, 0.5])},
                           "accuracy": {"step": np.array([0]), "value": np.array([0.8])}})
    assert view.metrics_frame.has_data() and view.metrics_frame.message() == ""
    loss = view._curves["loss"]
    assert loss.xData.tolist() == [0.0, 1.0, 2.0] and loss.yData.tolist() == [0.9, 0.5, 0.3]
    assert "by step" in view.plot.toolTip()
    view._show_metrics(7, {})
    assert not view.metrics_frame.has_data() and "Run 7 recorded no metrics" in view.metrics_frame.message()
    _settle(qtbot, view)
    view.ctx.feed.stop()


def test_the_kpi_review_fits_a_small_screen_without_growing_the_window(qtbot, demo, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    window = MainWindow(demo, "newcomer", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.switch_role("analyst")
    view = window.view("kpis")
    qtbot.waitUntil(lambda: view.review is not None, timeout=30_000)
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=30_000)
    qtbot.wait(100)
    assert window.width() <= 1366
    _assert_fits(view)
    assert view.minimumSizeHint().width() <= 700  # room for the view beside it
    assert _data_or_message(view.frames()) == []
    assert view.kpi_frame.has_data()
    for box in (view.kpi_box, view.model_box):
        assert box.toolTip() == box.currentText() != ""
    window.switch_role("operator")  # here the review sits in the side column, about 400 pixels wide
    monitoring = window.view("monitoring")
    _assert_fits(monitoring)
    _assert_fits(window.view("runs"))
    side = window.view("kpis")
    window.role_window().docks["kpis"].raise_()  # the operator's own dock (each role has its own)
    qtbot.waitUntil(lambda: side.review is not None and side.isVisible(), timeout=30_000)
    qtbot.wait(200)
    assert window.width() <= 1366
    scroll = side.parentWidget().parentWidget()
    assert isinstance(scroll, QScrollArea) and side.width() < 760
    assert not scroll.horizontalScrollBar().isVisible() and not scroll.verticalScrollBar().isVisible()
    plot = side.kpi_plot
    drawn = plot.getPlotItem().sceneBoundingRect()  # the plot is drawn inside its widget, not past it
    assert drawn.right() <= plot.width() + 1 and side.kpi_frame.has_data()
    assert plot.toolTip().startswith("profit per application and deployments of")
    window.close()
    qtbot.wait(700)
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=30_000)
