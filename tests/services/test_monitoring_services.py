"""Monitoring reads for the views: incremental by id on SQLite and PostgreSQL, alerts that
only operators and engineers acknowledge, and label-free performance estimates that track the
realised accuracy once true labels arrive."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.store_setup import cast_store
from workbench.errors import PermissionDeniedError
from workbench.services import monitoring as mon
from workbench.store import StoreReadOnlyError, open_store

DAY_MS = 86_400_000
T0 = 1_700_000_000_000


@pytest.fixture
def cast(store_url: str):
    opened = cast_store(store_url)
    yield opened
    opened.close()


def _drift(store, source: str, window: int, values: dict[str, float], threshold: float = 0.2) -> None:
    with store.write("bob") as uow:
        uow.results.add_drift(source, T0 + window * DAY_MS, T0 + (window + 1) * DAY_MS,
                              [{"column": c, "method": "psi", "statistic": v, "p_value": None,
                                "threshold": threshold, "drifted": v > threshold} for c, v in values.items()])


def test_sources_list_every_monitored_source_once(cast) -> None:
    _drift(cast, "shop/drift", 0, {"age": 0.1})
    _drift(cast, "shop/drift", 1, {"age": 0.3})
    with cast.write("bob") as uow:
        uow.results.add_divergence("shop/canary", T0, T0 + DAY_MS, "histogram_rmse", 0.01, 0.05, False)
        uow.predictions.add_window("shop/serve", None, T0, T0 + 1000, 10, {"count": 10})
        uow.predictions.log(mon.labels_source("shop/serve"), None, [("r1", T0, None, "yes", {})])
    assert mon.monitoring_sources(cast, "anna") == ["shop/canary", "shop/drift", "shop/serve"]
    with cast.read() as uow:
        assert uow.results.sources() == ["shop/canary", "shop/drift", "shop/serve"]


def test_reads_return_only_rows_after_the_last_seen_id(cast) -> None:
    _drift(cast, "shop/drift", 0, {"age": 0.1, "income": 0.05})
    _drift(cast, "other/drift", 0, {"age": 0.9})
    first = mon.drift_rows(cast, "olga", "shop/drift")
    assert [(r.column, r.statistic) for r in first.rows] == [("age", 0.1), ("income", 0.05)]
    again = mon.drift_rows(cast, "olga", "shop/drift", first.last_id)
    assert again.rows == () and again.last_id == first.last_id
    _drift(cast, "shop/drift", 1, {"age": 0.4})
    later = mon.drift_rows(cast, "olga", "shop/drift", first.last_id)
    assert [(r.column, r.drifted) for r in later.rows] == [("age", True)]

    with cast.write("bob") as uow:
        uow.results.add_divergence("shop/drift", T0, T0 + DAY_MS, "histogram_rmse", 0.08, 0.05, True)
        uow.predictions.add_window("shop/drift", None, T0, T0 + 60_000, 500,
                                   {"count": 500, "score_mean": 0.4, "positive_rate": 0.3,
                                    "latency_ms": {"p50": 3.5, "p99": 12.0}})
        uow.predictions.add_window("shop/drift", None, T0 + 60_000, T0 + 120_000, 250, {"latency_ms": 4})
        uow.alerts.raise_alert("shop/drift", "drift", "age drifted in 2 windows")
        uow.alerts.raise_alert("elsewhere", "drift", "not ours")
    found = mon.updates(cast, "olga", "shop/drift")
    assert len(found.drift) == 3 and len(found.divergence) == 1 and len(found.alerts) == 1
    assert [(w.count, w.latency_ms) for w in found.windows] == [(500, {"p50": 3.5, "p99": 12.0}),
                                                               (250, {"mean": 4.0})]
    assert found.windows[0].score_mean == 0.4 and found.windows[1].positive_rate is None
    assert mon.updates(cast, "olga", "shop/drift", found.cursor).empty
    _drift(cast, "shop/drift", 2, {"income": 0.5})
    newer = mon.updates(cast, "olga", "shop/drift", found.cursor)
    assert [r.column for r in newer.drift] == ["income"] and not newer.windows and not newer.alerts
    assert newer.cursor.windows == found.cursor.windows and newer.cursor.drift > found.cursor.drift


def test_operators_and_engineers_acknowledge_alerts_analysts_cannot(cast) -> None:
    with cast.write("bob") as uow:
        first = uow.alerts.raise_alert("shop/drift", "drift", "age drifted")
        second = uow.alerts.raise_alert("shop/canary", "divergence", "challenger disagrees")
    assert [a.id for a in mon.list_alerts(cast, "anna")] == [first.id, second.id]
    with pytest.raises(PermissionDeniedError, match="may not acknowledge alerts"):
        mon.acknowledge_alert(cast, "anna", first.id)
    done = mon.acknowledge_alert(cast, "olga", first.id)
    assert done.status == "acknowledged" and done.acknowledged_by == "olga"
    assert mon.acknowledge_alert(cast, "bob", second.id).acknowledged_by == "bob"
    assert mon.list_alerts(cast, "anna") == []
    assert len(mon.list_alerts(cast, "anna", status=None)) == 2
    with cast.read() as uow:
        assert [e.actor for e in uow.audit.all(limit=100) if e.action == "alerts.acknowledge"] == ["olga", "bob"]
    read_only = open_store(cast.url, read_only=True)
    try:
        with cast.write("bob") as uow:
            third = uow.alerts.raise_alert("shop/drift", "drift", "again")
        with pytest.raises(StoreReadOnlyError):
            mon.acknowledge_alert(read_only, "olga", third.id)
    finally:
        read_only.close()


def _score_windows(store, source: str, windows: int, rows: int, truth_of, labelled: set[int], seed: int = 0):
    """Windows of a binary classifier whose positive-class probability is ``truth_of(score)``."""
    rng = np.random.default_rng(seed)
    for w in range(windows):
        scores = rng.uniform(0, 1, rows)
        actual = rng.uniform(0, 1, rows) < truth_of(scores)
        start = T0 + w * DAY_MS
        stamps = start + np.arange(rows) * 1000
        counts, edges = np.histogram(scores, bins=20, range=(0.0, 1.0))
        predicted = np.where(scores >= 0.5, "yes", "no")
        with store.write("bob") as uow:
            uow.predictions.log(source, None, [(f"w{w}-{i}", int(stamps[i]), float(scores[i]), predicted[i], {})
                                               for i in range(rows)])
            uow.predictions.add_window(source, None, int(stamps[0]), int(stamps[-1]), rows,
                                       {"count": rows, "score_mean": float(scores.mean()),
                                        "positive_rate": float((scores >= 0.5).mean()),
                                        "score_histogram": {"edges": edges.tolist(), "counts": counts.tolist()}})
            if w in labelled:
                uow.predictions.log(mon.labels_source(source), None,
                                    [(f"w{w}-{i}", int(stamps[i]) + 5000, None, "yes" if actual[i] else "no", {})
                                     for i in range(rows)])


def test_label_free_estimates_follow_the_realised_accuracy(cast) -> None:
    # Over-confident scores: the true probability is score - 0.3 (clipped), so trusting the raw
    # scores says 0.75 while the model is right ~70% of the time; calibration fixes that.
    def truth(s):  # noqa: ANN001, ANN202
        return np.clip(s - 0.3, 0, 1)

    _score_windows(cast, "shop/serve", 4, 2000, truth, labelled={0, 3})
    result = mon.performance(cast, "anna", "shop/serve", reference_rows=2000)
    assert result.calibration == "isotonic" and result.reference_rows == 2000
    assert result.positive_class == "yes"
    assert [p.n_labelled for p in result.points] == [2000, 0, 0, 2000]
    assert result.points[1].realised_accuracy is None
    for p in result.points:
        assert p.estimated_accuracy == pytest.approx(0.705, abs=0.025)
    last = result.points[3]  # not part of the calibration reference
    assert abs(last.estimated_accuracy - last.realised_accuracy) < 0.03
    newer = mon.performance(cast, "anna", "shop/serve", since_id=result.points[1].window_id)
    assert [p.window_id for p in newer.points] == [p.window_id for p in result.points[2:]]


def test_without_labels_the_raw_scores_are_trusted(cast) -> None:
    _score_windows(cast, "shop/serve", 2, 1000, lambda s: s, labelled=set())
    with cast.write("bob") as uow:  # a regressor's window: no estimate
        uow.predictions.add_window("shop/serve", None, T0, T0 + 1, 3, {"count": 3, "positive_rate": None})
    result = mon.performance(cast, "anna", "shop/serve")
    assert result.calibration == "none" and result.reference_rows == 0 and result.positive_class is None
    assert [p.estimated_accuracy is None for p in result.points] == [False, False, True]
    for p in result.points[:2]:  # E[max(s, 1 - s)] for uniform scores
        assert p.estimated_accuracy == pytest.approx(0.75, abs=0.02)
        assert p.realised_accuracy is None
