"""Worker processes for the store's concurrency tests (importable, so ``spawn`` works)."""

from __future__ import annotations

METRIC_ROWS_PER_WRITE = 10


def mixed_writes(url: str, proc: int, count: int) -> int:
    """``count`` write transactions by one process: runs, metric batches and audit entries in turn."""
    from workbench.store import open_store

    store = open_store(url)
    actor = f"writer{proc}"
    with store.read() as uow:
        project_id = uow.projects.get("default").id
    with store.write(actor) as uow:
        series = uow.metrics.series(f"load/{proc}")
    for i in range(count):
        tag = f"p{proc}-{i}"
        with store.write(actor) as uow:
            if i % 3 == 0:
                uow.runs.create(project_id, None, trigger=tag)
            elif i % 3 == 1:
                steps = list(range(i * METRIC_ROWS_PER_WRITE, (i + 1) * METRIC_ROWS_PER_WRITE))
                uow.metrics.append(series, steps, steps, [float(s) for s in steps])
            else:
                uow.audit.append("test.write", tag, {"proc": proc, "i": i})
    store.close()
    return count
