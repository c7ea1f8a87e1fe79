"""KPI services: a CSV import that checks every line before writing anything, deployments
labelled with their versions, a model metric from prediction windows, and the analyses
(lagged cross-correlation, deployment impact) on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.support.kpi_data import seed_review
from tests.support.store_setup import cast_store
from workbench.errors import InvalidInputError, PermissionDeniedError, UnusableInputError
from workbench.services import kpis
from workbench.store import StoreReadOnlyError, open_store

DAY_MS = 86_400_000


@pytest.fixture
def cast(store_url: str):
    opened = cast_store(store_url)
    yield opened
    opened.close()


def _csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_a_kpi_csv(cast, tmp_path: Path) -> None:
    file = _csv(tmp_path / "revenue.csv", "date,value\n2024-05-02,11.5\n2024-05-01,10\n2024-05-03, 12\n")
    done = kpis.import_kpi_csv(cast, "olga", file, unit="EUR")
    assert (done.series.name, done.points, done.series.unit) == ("revenue", 3, "EUR")
    assert done.first_ts == int(pd.Timestamp("2024-05-01", tz="UTC").value // 1_000_000)
    points = kpis.kpi_points(cast, "anna", "revenue")
    assert points.values.tolist() == [10.0, 11.5, 12.0] and np.all(np.diff(points.ts) == DAY_MS)
    again = _csv(tmp_path / "again.csv", "when,orders\n1714608000,99\n1714694400000,13\n")
    kpis.import_kpi_csv(cast, "bob", again, name="revenue", time_column="when")
    assert kpis.kpi_points(cast, "anna", "revenue").values.tolist() == [10.0, 99.0, 13.0]
    assert [s.name for s in kpis.list_kpis(cast, "anna")] == ["revenue"]


@pytest.mark.parametrize(("text", "message"), [
    ("date,value\n2024-05-01,1\n2024-05-02,2\n2024-05-03,lots\n", r"bad\.csv:4: column 'value': 'lots' is not a number"),
    ("date,value\n2024-05-01,1\nyesterday,2\n", r"bad\.csv:3: column 'date': 'yesterday' is not a time"),
    ("date,value\n2024-05-01,1\n2024-05-01,2\n", r"bad\.csv:3: column 'date': time '2024-05-01' also on line 2"),
    ("date,a,b\n2024-05-01,1,2\n", r"bad\.csv: which column is the KPI\? a, b"),
    ("date,value\n", r"bad\.csv: the KPI file has a header but no rows"),
    ("date,value\n2024-05-01,\n", r"bad\.csv:2: column 'value': '' is not a number"),
])
def test_a_bad_csv_names_the_line_and_column_and_writes_nothing(cast, tmp_path: Path, text: str,
                                                                message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        kpis.import_kpi_csv(cast, "olga", _csv(tmp_path / "bad.csv", text))
    assert kpis.list_kpis(cast, "anna") == []


def test_import_needs_the_role_and_a_writable_store(cast, tmp_path: Path) -> None:
    file = _csv(tmp_path / "k.csv", "date,value\n2024-05-01,1\n")
    with pytest.raises(UnusableInputError, match="no such KPI file"):
        kpis.import_kpi_csv(cast, "olga", tmp_path / "missing.csv")
    with pytest.raises(PermissionDeniedError, match="may not import KPIs"):
        kpis.import_kpi_csv(cast, "anna", file)
    read_only = open_store(cast.url, read_only=True)
    try:
        with pytest.raises(StoreReadOnlyError):
            kpis.import_kpi_csv(read_only, "alice", file)
    finally:
        read_only.close()
    assert kpis.list_kpis(cast, "anna") == []


def test_deployments_metric_and_analyses(cast) -> None:
    seeded = seed_review(cast)
    assert kpis.deployed_models(cast, "anna") == ["churn"]
    marks = kpis.deployments(cast, "anna", "churn")
    assert [(m.label, m.old_version, m.node_id) for m in marks] == [("churn v1", None, "churn/serve"),
                                                                    ("churn v2", 1, "churn/serve")]
    metric = kpis.model_metric(cast, "anna", "churn")
    assert metric.values == pytest.approx(seeded["metric"])  # empty windows are left out
    assert metric.ts.tolist() == (seeded["days"].asi8 // 1_000_000).tolist()
    volume = kpis.model_metric(cast, "anna", "churn", metric="count")
    assert set(volume.values.tolist()) == {400.0}
    with pytest.raises(InvalidInputError, match="unknown model metric"):
        kpis.model_metric(cast, "anna", "churn", metric="latency")

    correlation = kpis.cross_correlation(cast, "anna", "revenue", "churn")
    assert correlation.best_lag == 2 and correlation.significant and correlation.best_value > 0.5
    assert correlation.band == pytest.approx(1.959964 / np.sqrt(correlation.n))

    impact = kpis.impact(cast, "anna", "revenue", "churn")
    assert impact.error == "" and [m.label for m in impact.events] == ["churn v1"]
    assert impact.skipped == ("churn v2: within 2 periods of churn v1",)
    level = impact.result.events[0].level_change
    assert level.ci_low < 5.0 < level.ci_high and level.ci_low > 0


def test_review_says_why_an_analysis_is_missing(cast) -> None:
    seed_review(cast, days_before=60, days_after=-30)  # the KPI ends a month before the deployments
    review = kpis.kpi_review(cast, "anna", "revenue", "churn")
    assert review.correlation is not None and len(review.deployments) == 2
    assert review.impact.result is None and review.impact.error == "no deployment falls inside the KPI series"
    assert review.impact.skipped[0].startswith("churn v1 deployed ")
    assert "outside the KPI, after the KPI's last period (" in review.impact.skipped[0]
    empty = kpis.kpi_review(cast, "anna", "revenue", "")
    assert empty.correlation is None and empty.correlation_error == "choose a model"
