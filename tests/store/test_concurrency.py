"""Four processes × 2,000 mixed writes against one store: nothing lost, nothing doubled, and
the audit chain verifies — on SQLite and on PostgreSQL."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import select

from tests.support.store_workers import METRIC_ROWS_PER_WRITE, mixed_writes
from workbench.store.schema import MetricRow, MetricSeriesRow, RunRow

PROCESSES = 4
WRITES = 2_000


def test_concurrent_mixed_writes(store) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(PROCESSES) as pool:
        done = pool.starmap(mixed_writes, [(store.url, p, WRITES) for p in range(PROCESSES)])
    assert done == [WRITES] * PROCESSES

    expected_runs = {f"p{p}-{i}" for p in range(PROCESSES) for i in range(0, WRITES, 3)}
    expected_audit = {f"p{p}-{i}" for p in range(PROCESSES) for i in range(2, WRITES, 3)}
    with store.read() as uow:
        triggers = uow.session.scalars(select(RunRow.trigger)).all()
        assert len(triggers) == len(expected_runs) and set(triggers) == expected_runs
        for p in range(PROCESSES):
            series = uow.session.scalar(select(MetricSeriesRow.id).where(MetricSeriesRow.key == f"load/{p}"))
            steps = uow.session.scalars(select(MetricRow.step).where(MetricRow.series_id == series)).all()
            expected = {s for i in range(1, WRITES, 3)
                        for s in range(i * METRIC_ROWS_PER_WRITE, (i + 1) * METRIC_ROWS_PER_WRITE)}
            assert len(steps) == len(expected) and set(steps) == expected
        entries = uow.audit.all(limit=100_000)
        written = [e.subject for e in entries if e.action == "test.write"]
        assert len(written) == len(expected_audit) and set(written) == expected_audit
        assert sum(e.action == "runs.create" for e in entries) == len(expected_runs)
        verification = uow.audit.verify()
        assert verification.ok, verification.problem
        assert verification.entries == len(entries)
        ids = [c.id for c in uow.changes.since(0, limit=1_000_000)]
        assert ids == sorted(ids) and len(ids) == len(set(ids))
