"""The operator's live monitoring, driven as an operator would: plots fill from the store,
a row written by another process appears on the open plot by itself, drawn incrementally
(the speed, 1 s on SQLite and 0.3 s on PostgreSQL, is measured by
``benchmarks/monitoring_plots.py``, not here), a million-point series stays interactive, and alerts are acknowledged by the
operator but never by the analyst."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from tests.support.cli import ROOT
from tests.support.store_setup import cast_store
from workbench.services.monitoring import labels_source

DAY_MS = 86_400_000
T0 = 1_700_000_000_000
SOURCE = "shop/drift"
# A row must show up while the operator watches, with no refresh pressed; the generous bound
# only tells "live" from "never". How fast is a figure of benchmarks/monitoring_plots.py: a
# loaded 2-core machine once stalled the first draw for 0.85 s, which says nothing of the view.
LIVE_BOUND_S = 5.0

WRITER = f"""
import sys, time
from workbench.store import open_store
store = open_store(sys.argv[1])
for i in range(int(sys.argv[3])):
    time.sleep(0.4)
    start = {T0} + (10 + i) * {DAY_MS}
    with store.write("bob") as uow:
        uow.results.add_drift(sys.argv[2], start, start + {DAY_MS},
                              [{{"column": "age", "method": "psi", "statistic": 0.3 + i / 100,
                                 "p_value": None, "threshold": 0.2, "drifted": True}}])
    print(time.time(), flush=True)
time.sleep(1.0)  # measured draws are not slowed by this process shutting down
store.close()
"""


@pytest.fixture
def cast(store_url: str):
    opened = cast_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def _window(qtbot, store, user: str, settings: QSettings):  # noqa: ANN001, ANN202
    from workbench.ui.main_window import MainWindow

    window = MainWindow(store, user, settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _close(qtbot, window) -> None:  # noqa: ANN001
    """Close, then let debounced refreshes run out before the test ends: a task finishing
    after its window is deleted trips TaskRunner's bookkeeping (reported, not ours to fix)."""
    window.close()
    qtbot.wait(600)
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=30_000)


def seed(store) -> None:  # noqa: ANN001
    rng = np.random.default_rng(3)
    for w in range(3):
        start, end = T0 + w * DAY_MS, T0 + (w + 1) * DAY_MS
        with store.write("bob") as uow:
            rows = []
            for column, psi in (("age", 0.05 + 0.1 * w), ("income", 0.02)):
                rows.append({"column": column, "method": "psi", "statistic": psi, "p_value": None,
                             "threshold": 0.2, "drifted": psi > 0.2})
                rows.append({"column": column, "method": "ks", "statistic": 0.1, "p_value": 0.5 / (w + 1),
                             "threshold": 0.05, "drifted": False})
            rows.append({"column": "*", "method": "dataset", "statistic": 0.5 * (w == 2), "p_value": None,
                         "threshold": 0.5, "drifted": w == 2})
            uow.results.add_drift(SOURCE, start, end, rows)
            uow.results.add_divergence(SOURCE, start, end, "histogram_rmse", 0.02 * (w + 1), 0.05, w == 2)
            scores = rng.uniform(0, 1, 400)
            counts, edges = np.histogram(scores, bins=20, range=(0, 1))
            predicted = np.where(scores >= 0.5, "yes", "no")
            uow.predictions.log(SOURCE, None, [(f"{w}-{i}", start + i, float(s), predicted[i], {})
                                               for i, s in enumerate(scores)])
            uow.predictions.log(labels_source(SOURCE), None,
                                [(f"{w}-{i}", start + i, None, "yes" if rng.uniform() < s else "no", {})
                                 for i, s in enumerate(scores)])
            uow.predictions.add_window(SOURCE, None, start, end, 400 + 100 * w,
                                       {"count": 400, "positive_rate": float((scores >= 0.5).mean()),
                                        "score_histogram": {"edges": edges.tolist(), "counts": counts.tolist()},
                                        "latency_ms": {"p50": 2.0 + w, "p99": 9.0 + w},
                                        "expectations": {"violations": [
                                            {"column": "income", "rule": "max_null_rate",
                                             "expectation": "a null rate of at most 1%",
                                             "found": "a null rate of 7%"}] if w == 2 else []}})
    with store.write("bob") as uow:
        uow.alerts.raise_alert(SOURCE, "drift", "the dataset drifted in window 3")


def _open_view(qtbot, store, settings):  # noqa: ANN001, ANN202
    window = _window(qtbot, store, "olga", settings)
    assert window.current_role == "operator"
    view = window.view("monitoring")
    qtbot.waitUntil(lambda: view.source == SOURCE, timeout=10_000)
    qtbot.waitUntil(lambda: view.drift_curve("age") is not None and len(view.drift_curve("age").xData) == 3,
                    timeout=10_000)
    return window, view


def test_the_plots_show_the_source(qtbot, cast, settings) -> None:  # noqa: ANN001
    seed(cast)
    window, view = _open_view(qtbot, cast, settings)
    assert [view.method_box.itemText(i) for i in range(view.method_box.count())] == ["psi", "ks", "dataset"]
    assert view.method == "psi"
    assert view.drift_curve("age").yData.tolist() == pytest.approx([0.05, 0.15, 0.25])
    assert view.drift_line.isVisible() and view.drift_line.value() == pytest.approx(0.2)
    assert view.drift_band.getRegion() == pytest.approx((0.0, 0.2))
    assert view.heatmap.image.shape == (3, 2)  # windows × features
    assert view.heatmap.image[2, 0] == pytest.approx(0.25)
    findings = [[view.findings.item(r, c).text() for c in (1, 2, 3)] for r in range(view.findings.rowCount())]
    assert ["drift", "age", "psi"] in findings and ["drift", "*", "dataset"] in findings
    assert ["alert: drift", "", ""] in findings
    assert ["expectation", "income", "max_null_rate"] in findings  # a window's broken expectation
    broken = next(r for r in range(view.findings.rowCount()) if view.findings.item(r, 1).text() == "expectation")
    assert "expected a null rate of at most 1%; found a null rate of 7%" in view.findings.item(broken, 6).text()
    view.method_box.setCurrentIndex(view.method_box.findText("ks"))  # a test: p-values, drifted below
    qtbot.waitUntil(lambda: view.drift_curve("age") is not None and view.drift_curve("age").scene() is not None)
    assert view.drift_curve("age").yData.tolist() == pytest.approx([0.5, 0.25, 0.5 / 3])
    assert view.drift_curve("age", "psi").scene() is None
    assert view.drift_line.value() == pytest.approx(0.05)
    canary = view._curves[id(view.canary_plot)]["histogram_rmse"]
    assert canary.yData.tolist() == pytest.approx([0.02, 0.04, 0.06])
    assert view.canary_line.value() == pytest.approx(0.05) and view.diverged.yData.tolist() == pytest.approx([0.06])
    assert view.volume_curve.yData.tolist() == [400, 500, 600]
    assert view._curves[id(view.latency_plot)]["p99"].yData.tolist() == [9.0, 10.0, 11.0]
    qtbot.waitUntil(lambda: view.performance is not None and len(view.performance.points) == 3, timeout=20_000)
    estimated, realised = view.estimated_curve.yData, view.realised_curve.yData
    assert np.all(np.isfinite(estimated)) and np.all(np.isfinite(realised))
    assert np.abs(estimated - realised).max() < 0.1
    assert "threshold 0.5" in view.performance_note.text() and "labelled predictions" in view.performance_note.text()

    with cast.write("bob") as uow:  # a new source appears in the chooser; switching reads it afresh
        uow.results.add_drift("shop/new", T0, T0 + DAY_MS, [{"column": "age", "method": "psi", "statistic": 0.7,
                                                             "p_value": None, "threshold": 0.2, "drifted": True}])
    qtbot.waitUntil(lambda: view.source_box.findText("shop/new") >= 0, timeout=10_000)
    view.source_box.setCurrentIndex(view.source_box.findText("shop/new"))
    qtbot.waitUntil(lambda: view.drift_curve("age") is not None and view.drift_curve("age").yData.tolist() == [0.7],
                    timeout=10_000)
    assert view.findings.rowCount() == 1
    assert view.volume_curve.yData is None or len(view.volume_curve.yData) == 0  # the old source is gone
    view.set_source(SOURCE)
    qtbot.waitUntil(lambda: view.drift_curve("age") is not None and len(view.drift_curve("age").xData) == 3,
                    timeout=10_000)
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=30_000)
    assert view.drift_curve("age").yData.tolist() == pytest.approx([0.05, 0.15, 0.25])  # nothing read twice
    _close(qtbot, window)


def test_a_row_written_by_another_process_appears_by_itself(qtbot, cast, settings, request) -> None:  # noqa: ANN001
    seed(cast)
    window, view = _open_view(qtbot, cast, settings)
    qtbot.waitUntil(lambda: view.performance is not None and window.tasks.busy == 0, timeout=30_000)
    base = view.rows_drawn
    writes = 5
    writer = subprocess.Popen([sys.executable, "-c", WRITER, cast.url, SOURCE, str(writes)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    curve = view.drift_curve("age")
    qtbot.waitUntil(lambda: len(curve.xData) == 3 + writes, timeout=60_000)
    out, _ = writer.communicate(timeout=30)
    committed = [float(line) for line in out.split()]
    assert len(committed) == writes and writer.returncode == 0
    assert view.rows_drawn == base + writes
    latencies = []
    for i, at in enumerate(committed, start=1):
        drawn = next(wall for wall, total in view.draw_log if total >= base + i)
        latencies.append(drawn - at)
    dialect = cast.dialect
    print(f"\n{dialect}: commit → drawn latency over {writes} writes: "
          f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms")
    request.node.user_properties.append((f"latency_max_s_{dialect}", max(latencies)))
    print("latencies (ms):", [round(v * 1000) for v in latencies])
    assert all(lat > 0 for lat in latencies)
    assert max(latencies) < LIVE_BOUND_S
    assert curve.yData[-1] == pytest.approx(0.34)
    _close(qtbot, window)


def test_a_million_point_series_stays_interactive(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.context import UiContext
    from workbench.ui.feed import ChangeFeedThread
    from workbench.ui.tasks import TaskRunner
    from workbench.ui.views.monitoring import MonitoringView

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    feed = ChangeFeedThread(store)
    view = MonitoringView(UiContext(store, "olga", ("operator",), feed, TaskRunner()))
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    n = 1_000_000
    x = T0 / 1000 + np.arange(n, dtype=float)
    y = np.sin(np.arange(n) / 5000.0) + np.random.default_rng(0).normal(0, 0.1, n)
    started = time.perf_counter()
    view.add_drift_points("psi", "big", x, y, threshold=0.5)
    qtbot.waitUntil(lambda: view.drift_curve("big") is not None and view.drift_curve("big").xData.size == n)
    view.drift_plot.grab()
    first = time.perf_counter() - started
    curve = view.drift_curve("big")
    shown = curve.getData()[0].size
    assert shown < n / 20  # peak downsampling: what is drawn is a few points per pixel
    timings = []
    for lo in (0.1, 0.4, 0.7):  # pan and zoom into a tenth of the series
        started = time.perf_counter()
        view.drift_plot.setXRange(x[int(lo * n)], x[int((lo + 0.1) * n)], padding=0)
        view.drift_plot.grab()
        timings.append(time.perf_counter() - started)
        visible = curve.getData()[0]
        assert visible.size < n / 20 and visible.min() >= x[int(lo * n)] - (x[1] - x[0]) * n / 100
    print(f"\n1,000,000 points: first draw {first * 1000:.0f} ms, pan/zoom repaints "
          f"{', '.join(f'{t * 1000:.0f}' for t in timings)} ms")
    view.add_drift_points("psi", "big", x[-1:] + 1, y[-1:])
    qtbot.waitUntil(lambda: curve.xData.size == n + 1 and view.ctx.tasks.busy == 0)
    feed.stop()
    store.close()


def test_the_operator_acknowledges_an_alert_the_analyst_cannot(qtbot, cast, settings) -> None:  # noqa: ANN001
    from workbench.ui.context import UiContext
    from workbench.ui.tasks import TaskRunner
    from workbench.ui.views.alerts import AlertsView

    with cast.write("bob") as uow:
        alert = uow.alerts.raise_alert(SOURCE, "drift", "age drifted in 3 windows")
    window = _window(qtbot, cast, "olga", settings)
    view = window.view("alerts")
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    assert view.acknowledge_button.isVisible() and not view.acknowledge_button.isEnabled()
    view.select(alert.id)
    assert view.acknowledge_button.isEnabled()
    view.acknowledge_button.click()
    qtbot.waitUntil(lambda: view.table.rowCount() == 0, timeout=10_000)
    assert view.count_label.text() == "0 open"
    with cast.read() as uow:
        assert uow.alerts.all()[0].acknowledged_by == "olga"
    view.show_all.setChecked(True)
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=10_000)
    view.select(alert.id)
    assert not view.acknowledge_button.isEnabled()  # already acknowledged

    with cast.write("bob") as uow:
        second = uow.alerts.raise_alert(SOURCE, "drift", "income drifted")
    analyst = window.context(read_only=True)  # the analyst's read-only session
    anna = AlertsView(UiContext(analyst.store, "anna", ("analyst",), analyst.feed, TaskRunner()))
    qtbot.addWidget(anna)
    anna.show()
    qtbot.waitUntil(lambda: anna.table.rowCount() == 1, timeout=10_000)
    anna.select(second.id)
    assert not anna.acknowledge_button.isVisible() and not anna.acknowledge_button.isEnabled()
    anna.acknowledge(second.id)  # even when forced, the store and the role both refuse
    qtbot.waitUntil(lambda: anna.last_error != "", timeout=10_000)
    assert "read-only" in anna.last_error
    with cast.read() as uow:
        assert uow.alerts.all(status="open")[0].id == second.id
    qtbot.waitUntil(lambda: anna.ctx.tasks.busy == 0, timeout=30_000)
    _close(qtbot, window)
