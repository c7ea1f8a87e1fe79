"""Waiting for changes: every open workbench learns what changed since the id it last saw,
without re-reading old rows."""

from __future__ import annotations

import time
from typing import Any

from workbench.store.db import NOTIFY_CHANNEL, Store
from workbench.store.entities import Change


class ChangeFeed:
    """The change-feed events after ``since_id`` (default: from now on). On PostgreSQL a
    dedicated connection LISTENs on the change channel and wakes as soon as a writer commits
    (the NOTIFY is sent in the writer's transaction); on SQLite the feed is polled every
    ``poll_s``. Both return the same ``Change`` rows, in id order."""

    def __init__(self, store: Store, *, since_id: int | None = None, topics: tuple[str, ...] | None = None,
                 poll_s: float = 0.2):
        self.store, self.topics, self.poll_s = store, topics, poll_s
        if since_id is None:
            with store.read() as uow:
                since_id = uow.changes.latest_id()
        self.last_id = since_id
        self._listener: Any = None

    def _listen(self) -> Any:
        if self._listener is None and self.store.dialect == "postgresql":
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(self.store.url).set(drivername="postgresql")
            self._listener = psycopg.connect(url.render_as_string(hide_password=False), autocommit=True)
            self._listener.execute(f"LISTEN {NOTIFY_CHANNEL}")
        return self._listener

    def poll(self, limit: int = 10_000) -> list[Change]:
        """Changes after the last seen id (possibly none), advancing the last seen id."""
        with self.store.read() as uow:
            every = uow.changes.since(self.last_id, limit=limit)
        if every:
            self.last_id = every[-1].id
        return [c for c in every if self.topics is None or c.topic in self.topics]

    def wait(self, timeout: float = 1.0) -> list[Change]:
        """Block up to ``timeout`` seconds for new changes; returns them (maybe empty)."""
        deadline = time.monotonic() + timeout
        changes = self.poll()
        if changes:
            return changes
        listener = self._listen()
        while time.monotonic() < deadline:
            remaining = max(0.0, deadline - time.monotonic())
            if listener is not None:
                for _ in listener.notifies(timeout=remaining, stop_after=1):
                    break
            else:
                time.sleep(min(self.poll_s, remaining))
            changes = self.poll()
            if changes:
                return changes
        return []

    def close(self) -> None:
        """Stop listening (PostgreSQL) and release the connection."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
