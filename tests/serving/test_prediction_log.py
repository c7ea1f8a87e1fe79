"""The prediction logger on its own, on SQLite and a real PostgreSQL: batched rows, windows in
the batch format, a bounded queue that drops the oldest rows when the store is away."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.engines.runtime.models import Predictor
from workbench.engines.runtime.serving import window_summary
from workbench.serving.prediction_log import LogEntry, PredictionLogger
from workbench.serving.validation import FeatureSpec
from workbench.serving.windows import summarise
from workbench.store import Store

PREDICTOR = Predictor(framework="sklearn", task="classification", features=("a", "b", "c"),
                      classes=(0, 1))
SCHEMA = {"a": FeatureSpec("number"), "b": FeatureSpec("number", nullable=True),
          "c": FeatureSpec("string")}


def _entry(k: int, source: str = "g/node") -> LogEntry:
    rows = [{"a": float(k), "b": None if k % 3 == 0 else k / 2, "c": "xy"[k % 2]}]
    return LogEntry(source, None, 1_000 + k, [f"req-{k}"], [k % 2], [k / 1000], rows,
                    PREDICTOR, SCHEMA)


def test_window_summaries_match_batch_inference() -> None:
    rng = np.random.default_rng(1)
    rows = [{"a": float(v), "b": None if v > 1.5 else float(v) * 2, "c": "xyz"[i % 3]}
            for i, v in enumerate(rng.normal(size=300))]
    labels = [int(v > 0) for v in rng.normal(size=300)]
    scores = rng.random(300).tolist()
    ours = summarise(rows, labels, scores, PREDICTOR, SCHEMA)
    batch = window_summary(pd.DataFrame.from_records(rows), np.asarray(labels, dtype=object),
                           np.asarray(scores), PREDICTOR)
    assert ours.keys() == batch.keys() and list(ours["features"]) == ["a", "b", "c"]
    for name in ("a", "b"):
        for key, value in batch["features"][name].items():
            assert ours["features"][name][key] == pytest.approx(value), (name, key)
    assert ours["features"]["c"] == batch["features"]["c"] == {"missing": 0, "distinct": 3}
    assert ours["score_histogram"] == batch["score_histogram"]
    assert ours["class_rates"] == batch["class_rates"]


def test_rows_are_written_in_batches_with_windows(store: Store) -> None:
    logger = PredictionLogger(store, "admin", flush_s=0.05, window_rows=40)
    logger.start()
    for k in range(100):
        logger.submit(_entry(k))
    deadline = time.monotonic() + 20
    while logger.stats().logged < 100 and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = logger.close()
    assert (stats.logged, stats.dropped, stats.write_errors) == (100, 0, 0)
    with store.read() as uow:
        logged = uow.predictions.logged("g/node")
        windows = uow.predictions.windows("g/node")
    assert [r["request_id"] for r in logged] == [f"req-{k}" for k in range(100)]
    assert logged[3]["label"] == "1" and logged[3]["score"] == pytest.approx(0.003)
    assert [w.count for w in windows] == [40, 40, 20]  # the last one at close
    assert windows[0].window_start == 1_000 and windows[0].window_end == 1_039
    assert windows[0].summary["features"]["b"]["missing"] == 14


def test_a_full_queue_drops_the_oldest_rows_and_never_blocks(tmp_path: Path) -> None:
    unreachable = Store(f"sqlite:///{tmp_path / 'gone' / 'store.db'}")
    (tmp_path / "gone").rmdir()  # the store's folder is gone: every connection fails
    logger = PredictionLogger(unreachable, "admin", max_rows=50, flush_s=0.02,
                              close_timeout_s=0.2)
    logger.start()
    started = time.perf_counter()
    for k in range(1_000):
        logger.submit(_entry(k))
    assert time.perf_counter() - started < 0.5  # submitting never waits on the store
    time.sleep(0.3)
    stats = logger.stats()
    assert stats.queued_rows <= 50 and stats.dropped >= 1_000 - 50 - 50
    assert stats.write_errors >= 1 and stats.last_error and stats.logged == 0
    final = logger.close()
    assert final.dropped == 1_000 and final.queued_rows == 0
    unreachable.close()
