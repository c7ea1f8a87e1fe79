"""Alerts are episodes of a condition: repeats while it holds are counted on one row, a new
row only after the condition cleared — on SQLite and PostgreSQL, enforced by the database."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from workbench.store.repos.alerts import condition_of

SOURCE = "Credit default demo/canary"


def _message(window: int, value: float) -> str:
    return (f"canary: challenger diverges from champion (window {window}): histogram_rmse {value:.4f} "
            "over threshold 0.1 on 500 rows")


def test_repeats_of_a_holding_condition_count_on_one_alert(store) -> None:  # noqa: ANN001
    with store.write("admin") as uow:
        first = uow.alerts.raise_alert(SOURCE, "divergence", _message(0, 0.2189), at=1_000)
        for i, value in enumerate((0.2405, 0.2271, 0.2599), start=1):
            again = uow.alerts.raise_alert(SOURCE, "divergence", _message(i, value), at=1_000 + i)
    assert again.id == first.id
    with store.read() as uow:
        alerts = uow.alerts.all()
    assert len(alerts) == 1
    alert = alerts[0]
    assert (alert.count, alert.created_at, alert.last_seen_at, alert.cleared_at) == (4, 1_000, 1_003, None)
    assert "window 3" in alert.message  # the latest wording


def test_a_condition_raises_a_new_alert_only_after_it_cleared(store) -> None:  # noqa: ANN001
    with store.write("admin") as uow:
        first = uow.alerts.raise_alert(SOURCE, "divergence", _message(0, 0.3), at=10)
        other = uow.alerts.raise_alert(SOURCE, "drift", "data drift in 3 consecutive windows", at=11)
        assert uow.alerts.clear(SOURCE, "divergence", at=20) == [first.id]
        second = uow.alerts.raise_alert(SOURCE, "divergence", _message(1, 0.4), at=30)
        third = uow.alerts.raise_alert(SOURCE, "divergence", _message(2, 0.5), at=40)
    assert second.id != first.id and third.id == second.id
    with store.read() as uow:
        by_id = {a.id: a for a in uow.alerts.all()}
    assert by_id[first.id].cleared_at == 20 and by_id[first.id].count == 1
    assert by_id[second.id].count == 2 and by_id[second.id].created_at == 30
    assert by_id[other.id].cleared_at is None  # another kind of the same source still holds


def test_an_acknowledged_alert_keeps_counting_while_its_condition_holds(store) -> None:  # noqa: ANN001
    with store.write("admin") as uow:
        alert = uow.alerts.raise_alert(SOURCE, "divergence", _message(0, 0.3))
        uow.alerts.acknowledge(alert.id)
        again = uow.alerts.raise_alert(SOURCE, "divergence", _message(1, 0.3))
    assert again.id == alert.id and again.count == 2 and again.status == "acknowledged"


def test_the_database_refuses_a_second_holding_alert_of_one_condition(store) -> None:  # noqa: ANN001
    with store.write("admin") as uow:
        uow.alerts.raise_alert(SOURCE, "divergence", _message(0, 0.3))
    condition = condition_of(_message(0, 0.3))
    insert = text("INSERT INTO alerts (source, kind, message, status, created_at, acknowledged_by, condition, "
                  "count, last_seen_at) VALUES (:s, 'divergence', 'm', 'open', 1, '', :c, 1, 1)")
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(insert, {"s": SOURCE, "c": condition})


def test_conditions_mask_numbers_and_parenthesised_parts_only() -> None:
    assert condition_of(_message(0, 0.2189)) == condition_of(_message(4, 0.2704)) == condition_of(
        "canary: challenger diverges from champion (overall): histogram_rmse 0.2435 over threshold 0.1 "
        "on 500 rows")
    assert condition_of("day 73: canary divergence mean_abs_diff=0.104") == "day #: canary divergence mean_abs_diff=#"
    assert condition_of("feature_2 drifted") == "feature_2 drifted"
    assert condition_of("income drifted") != condition_of("age drifted")


def test_upgrading_keeps_every_alert_and_leaves_one_holding_per_condition(store_url: str) -> None:
    from workbench.store import Store, init_store, open_store
    from workbench.store.migrate import upgrade

    old = Store(store_url)
    upgrade(old, "0003")
    with old.engine.begin() as conn:
        for i, value in enumerate((0.2189, 0.2405, 0.2271)):
            conn.execute(text("INSERT INTO alerts (source, kind, message, status, created_at, acknowledged_by) "
                              "VALUES (:s, 'divergence', :m, 'open', :t, '')"),
                         {"s": SOURCE, "m": _message(i, value), "t": 100 + i})
        conn.execute(text("INSERT INTO alerts (source, kind, message, status, created_at, acknowledged_by) "
                          "VALUES (:s, 'drift', 'age drifted', 'open', 200, '')"), {"s": SOURCE})
    old.close()
    init_store(store_url, "admin")
    store = open_store(store_url)
    with store.read() as uow:
        alerts = uow.alerts.all()
    store.close()
    assert [a.id for a in alerts] == [1, 2, 3, 4]
    assert [a.cleared_at for a in alerts] == [100, 101, None, None]
    assert all(a.count == 1 and a.last_seen_at == a.created_at for a in alerts)


def test_writers_raising_one_condition_at_once_count_on_one_alert(store_url: str) -> None:
    import threading

    from workbench.store import init_store, open_store

    init_store(store_url, "admin")
    stores = [open_store(store_url) for _ in range(6)]
    start = threading.Barrier(len(stores))
    failures: list[BaseException] = []

    def raise_one(opened, i: int) -> None:  # noqa: ANN001
        try:
            start.wait()
            with opened.write("admin") as uow:
                uow.alerts.raise_alert(SOURCE, "divergence", _message(i, 0.2 + i / 100))
        except BaseException as exc:  # reported below
            failures.append(exc)

    threads = [threading.Thread(target=raise_one, args=(s, i)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with stores[0].read() as uow:
        alerts = uow.alerts.all()
    for opened in stores:
        opened.close()
    assert not failures, failures
    assert len(alerts) == 1 and alerts[0].count == len(stores)
