"""The analyst's KPI review, driven as an analyst would, on the read-only session: the KPI
with its deployments marked and labelled, the lagged cross-correlation with its band, the
impact of each deployment with confidence intervals, PNG and CSV exports — and nothing that
changes the store, in the view or through its session."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QAbstractButton

from tests.support.kpi_data import seed_review
from tests.support.store_setup import cast_store
from workbench.store import StoreReadOnlyError


@pytest.fixture
def cast(store_url: str):
    opened = cast_store(store_url)
    yield opened
    opened.close()


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


def _close(qtbot, window) -> None:  # noqa: ANN001
    window.close()
    qtbot.wait(700)  # debounced refreshes run out before the window is deleted
    qtbot.waitUntil(lambda: window.tasks.busy == 0, timeout=30_000)


def test_the_analyst_reviews_a_kpi_and_cannot_change_anything(qtbot, cast, settings, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    seed_review(cast)
    window = MainWindow(cast, "anna", settings=settings)
    qtbot.addWidget(window)
    window.show()
    assert window.current_role == "analyst"
    view = window.view("kpis")
    assert view.ctx.read_only
    qtbot.waitUntil(lambda: view.review is not None and view.review.impact.result is not None, timeout=30_000)
    assert (view.kpi_box.currentText(), view.model_box.currentText()) == ("revenue", "churn")

    assert len(view.kpi_curve.xData) == 120
    labels = [line.label.toPlainText() for line in view.deployment_lines]
    assert labels == ["churn v1", "churn v2"]
    assert all(line.angle == 90 for line in view.deployment_lines)
    correlation = view.review.correlation
    assert correlation.best_lag == 2 and correlation.significant
    assert [line.value() for line in view.band_lines] == pytest.approx([correlation.band, -correlation.band])
    assert view.bars.opts["height"].tolist() == pytest.approx(list(correlation.values))
    assert view.impact_table.rowCount() == 1 and view.impact_table.item(0, 0).text() == "churn v1"
    level = view.review.impact.result.events[0].level_change
    assert level.ci_low < 5 < level.ci_high
    assert view.impact_bars.opts["top"].tolist() == pytest.approx([level.ci_high - level.value])
    assert "churn v2: within 2 periods of churn v1" in view.note.text()

    png = view.export_png(tmp_path / "review.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    with view.export_csv(tmp_path / "review.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    sections = {r["section"] for r in rows}
    assert sections == {"kpi", "metric", "deployment", "cross_correlation", "impact_level", "impact_slope"}
    assert [r["name"] for r in rows if r["section"] == "deployment"] == ["churn v1", "churn v2"]
    assert sum(r["section"] == "kpi" for r in rows) == 120
    impact_row = next(r for r in rows if r["section"] == "impact_level")
    assert float(impact_row["ci_low"]) == pytest.approx(level.ci_low)

    # no enabled edit action: the only buttons that can be used are the exports
    usable = {b.text() for b in view.findChildren(QAbstractButton) if b.isVisible() and b.isEnabled()}
    assert usable == {"Export PNG…", "Export CSV…"}
    assert not view.can_import and not view.import_button.isVisible()
    kpi_file = tmp_path / "orders.csv"
    kpi_file.write_text("date,value\n2024-05-01,1\n2024-05-02,2\n", encoding="utf-8")
    view.import_csv(kpi_file)  # even when called, the view refuses
    from workbench.services.kpis import import_kpi_csv, list_kpis

    with pytest.raises(StoreReadOnlyError):  # and so does the session, whoever acts through it
        import_kpi_csv(view.ctx.store, "alice", kpi_file)
    with pytest.raises(StoreReadOnlyError), view.ctx.store.write("anna") as uow:
        uow.kpis.ensure("orders")
    assert [s.name for s in list_kpis(cast, "alice")] == ["revenue"]
    _close(qtbot, window)


def test_an_operator_imports_a_kpi_into_the_review(qtbot, cast, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.context import UiContext
    from workbench.ui.feed import ChangeFeedThread
    from workbench.ui.tasks import TaskRunner
    from workbench.ui.views.kpis import KpiView

    seed_review(cast)
    feed = ChangeFeedThread(cast)
    feed.start()
    tasks = TaskRunner()
    view = KpiView(UiContext(cast, "olga", ("operator",), feed, tasks))
    qtbot.addWidget(view)
    view.show()
    assert view.can_import and view.import_button.isVisible()
    qtbot.waitUntil(lambda: view.kpi_box.count() == 1, timeout=20_000)
    kpi_file = tmp_path / "orders.csv"
    kpi_file.write_text("date,value\n2024-05-01,1\n2024-05-02,2\n2024-05-03,4\n", encoding="utf-8")
    view.import_csv(kpi_file)
    qtbot.waitUntil(lambda: view.kpi_box.findText("orders") >= 0, timeout=20_000)
    view.choose(kpi="orders")
    qtbot.waitUntil(lambda: view.review is not None and view.review.kpi.name == "orders", timeout=20_000)
    assert view.kpi_curve.yData.tolist() == [1.0, 2.0, 4.0]
    assert "no impact" in view.note.text()  # the deployments are two years after this KPI
    qtbot.wait(700)
    qtbot.waitUntil(lambda: tasks.busy == 0, timeout=30_000)
    feed.stop()
