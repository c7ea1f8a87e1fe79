"""The change feed wakes a waiting reader when another process writes: by LISTEN/NOTIFY on
PostgreSQL, by polling on SQLite; nothing is missed and nothing is read twice."""

from __future__ import annotations

import subprocess
import sys
import time

from tests.support.cli import ROOT
from workbench.store.feed import ChangeFeed

WRITER = """
import sys
from workbench.store import open_store
store = open_store(sys.argv[1])
with store.write("writer") as uow:
    uow.comments.add("run", 7, "from another process")
store.close()
"""


def test_a_write_by_another_process_wakes_the_feed(store) -> None:
    feed = ChangeFeed(store, topics=("comments",))
    assert feed.wait(timeout=0.2) == []
    writer = subprocess.Popen([sys.executable, "-c", WRITER, store.url], cwd=ROOT)
    started = time.monotonic()
    changes: list = []
    while not changes and time.monotonic() - started < 30:
        changes = feed.wait(timeout=1.0)
    writer.wait(timeout=30)
    assert [(c.topic, c.key, c.actor) for c in changes] == [("comments", "run:7", "writer")]
    assert feed.poll() == []  # not read twice
    feed.close()


def test_feed_latency_after_a_commit(store) -> None:
    feed = ChangeFeed(store)
    with store.write("admin") as uow:
        uow.comments.add("run", 1, "x")
    started = time.monotonic()
    changes = feed.wait(timeout=5)
    assert changes and time.monotonic() - started < 0.5
    feed.close()
