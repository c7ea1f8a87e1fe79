"""Logging served predictions into the store without slowing requests.

Owns :class:`PredictionLogger` (a bounded in-memory queue and one background writer) and
:class:`LogStats` (what ``/health`` shows).

Rules:

* ``submit`` is the only call on the request path: it appends one entry (a request's rows
  for one source) to a queue under a lock and returns. It never blocks on the store and
  never raises.
* The writer thread flushes every ``flush_s`` (0.5 s) or as soon as ``batch_rows`` (1,000)
  rows wait, in one transaction per flush through ``PredictionsRepo.log`` (the bulk path):
  ``(request_id, ts, score, label, features)`` per row.
* The queue is bounded at ``max_rows`` rows. When it is full — the store is down or slower
  than the traffic — the oldest entries are dropped and counted (``dropped``); a failed
  flush puts its rows back at the front and the writer backs off (0.5 s doubling to 5 s).
* After rows are written they are cut into prediction windows per source and model version:
  ``window_rows`` (500) rows, or whatever arrived in ``window_s`` (60 s); each window is
  written with ``add_window`` and the summary of batch inference (``windows.summarise``:
  count, score mean/std/histogram, class rates, per-feature summaries), so monitoring reads
  REST and batch windows alike. A window that cannot be written is dropped and counted.
* A window whose entries carry window expectations (``expectations.window_spec`` of the served
  node's spec: rows per window, null rates, uniqueness) is checked against them when it is
  written; its summary's ``expectations`` holds the rules checked and each violation, and in
  the same transaction every violation raises (or repeats) a ``deviation`` alert whose
  condition is the column and rule (``deviation.expectation_condition``), while every rule
  the window meets clears that condition's open episode.
* ``close`` stops the writer after a last flush of everything queued, including partial
  windows; what still cannot be written within ``close_timeout_s``, or arrives after, is
  counted as dropped. ``flush`` and the open windows belong to the writer thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench.engines.runtime.models import Predictor
from workbench.engines.runtime.serving import WINDOW_ROWS
from workbench.serving.validation import FeatureSpec
from workbench.serving.windows import summarise
from workbench.store import Store

__all__ = ["LogEntry", "LogStats", "PredictionLogger"]

log = logging.getLogger("workbench.serving")

WINDOW_S = 60.0
BACKOFF_MIN_S, BACKOFF_MAX_S = 0.5, 5.0


@dataclass
class LogEntry:
    """One request's rows scored by one model, for one source."""

    source: str
    model_version_id: int | None
    ts: int
    request_ids: Sequence[str]
    labels: Sequence[Any]
    scores: Sequence[float | None]
    rows: Sequence[dict[str, Any]]
    predictor: Predictor | None = None
    schema: Mapping[str, FeatureSpec] | None = None
    expectations: Mapping[str, Any] | None = None  # window rules (expectations.window_spec)

    def __len__(self) -> int:
        return len(self.request_ids)


@dataclass(frozen=True)
class LogStats:
    enabled: bool
    queued_rows: int
    max_rows: int
    logged: int
    dropped: int
    windows: int
    windows_dropped: int
    write_errors: int
    last_error: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Window:
    predictor: Predictor | None
    schema: Mapping[str, FeatureSpec] | None = None
    expectations: Mapping[str, Any] | None = None
    started: float = field(default_factory=time.monotonic)
    entries: list[LogEntry] = field(default_factory=list)
    count: int = 0


class PredictionLogger:
    def __init__(self, store: Store | None, actor: str, *, enabled: bool = True,
                 max_rows: int = 100_000, batch_rows: int = 1_000, flush_s: float = 0.5,
                 window_rows: int = WINDOW_ROWS, window_s: float = WINDOW_S,
                 close_timeout_s: float = 10.0):
        self.store, self.actor = store, actor
        self.enabled = enabled and store is not None
        self.max_rows, self.batch_rows, self.flush_s = max_rows, batch_rows, flush_s
        self.window_rows, self.window_s, self.close_timeout_s = window_rows, window_s, close_timeout_s
        self._queue: deque[LogEntry] = deque()
        self._rows = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._windows: dict[tuple[str, int | None], _Window] = {}  # the writer thread's
        self._closed = False
        self.logged = self.dropped = self.windows = self.windows_dropped = self.write_errors = 0
        self.last_error = ""

    # -- the request path ----------------------------------------------------------------
    def submit(self, entry: LogEntry) -> None:
        if not self.enabled:
            return
        size = len(entry)
        if self._closed:  # a request that finished after shutdown: nothing will write it
            self.dropped += size
            return
        with self._lock:
            self._queue.append(entry)
            self._rows += size
            self._trim()
            full = self._rows >= self.batch_rows
        if full:
            self._wake.set()

    def _trim(self) -> None:
        """Drop the oldest entries beyond ``max_rows`` (the caller holds the lock)."""
        while self._rows > self.max_rows and self._queue:
            gone = self._queue.popleft()
            self._rows -= len(gone)
            self.dropped += len(gone)

    # -- status --------------------------------------------------------------------------
    def stats(self) -> LogStats:
        return LogStats(self.enabled, self._rows, self.max_rows, self.logged, self.dropped,
                        self.windows, self.windows_dropped, self.write_errors, self.last_error)

    # -- the writer ----------------------------------------------------------------------
    def start(self) -> None:
        if self.enabled and self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name="serving-prediction-log",
                                            daemon=True)
            self._thread.start()

    def close(self) -> LogStats:
        """Flush what is queued (and partial windows), then stop the writer."""
        if self._thread is not None:
            self._stop.set()
            self._wake.set()
            self._thread.join(timeout=self.close_timeout_s + 5)
            self._thread = None
            self._closed = True
        return self.stats()

    def _loop(self) -> None:
        backoff, retry_at = 0.0, 0.0
        while True:
            self._wake.wait(self.flush_s)
            self._wake.clear()
            if self._stop.is_set():
                break
            if time.monotonic() < retry_at:  # backing off: a full queue does not hurry it
                continue
            if self.flush():
                backoff = 0.0
            else:
                backoff = min(BACKOFF_MAX_S, max(BACKOFF_MIN_S, backoff * 2))
                retry_at = time.monotonic() + backoff
            self._close_windows(only_due=True)
        self._final_flush()

    def _final_flush(self) -> None:
        deadline = time.monotonic() + self.close_timeout_s
        while self._rows:
            if self.flush():
                continue
            if time.monotonic() + BACKOFF_MIN_S >= deadline:
                break
            time.sleep(BACKOFF_MIN_S)
        with self._lock:
            self.dropped += self._rows
            self._queue.clear()
            self._rows = 0
        self._close_windows(only_due=False)

    def _take(self) -> list[LogEntry]:
        limit = max(self.batch_rows * 5, 1)
        taken: list[LogEntry] = []
        count = 0
        with self._lock:
            while self._queue and count < limit:
                entry = self._queue.popleft()
                taken.append(entry)
                count += len(entry)
            self._rows -= count
        return taken

    def _put_back(self, entries: list[LogEntry]) -> None:
        with self._lock:
            self._queue.extendleft(reversed(entries))
            self._rows += sum(len(e) for e in entries)
            self._trim()

    def flush(self) -> bool:
        """Write what is queued now; False when the store refused it (rows go back)."""
        entries = self._take()
        if not entries:
            return True
        groups: dict[tuple[str, int | None], list[tuple[str, int, float | None, str | None,
                                                        dict[str, Any]]]] = {}
        for entry in entries:
            rows = groups.setdefault((entry.source, entry.model_version_id), [])
            for rid, label, score, features in zip(entry.request_ids, entry.labels, entry.scores,
                                                   entry.rows, strict=True):
                rows.append((rid, entry.ts, score, None if label is None else str(label)[:200],
                             features))
        assert self.store is not None
        try:
            with self.store.write(self.actor) as uow:
                for (source, version_id), rows in groups.items():
                    uow.predictions.log(source, version_id, rows)
        except Exception as exc:  # the store is down or refused: keep the rows, try later
            self.write_errors += 1
            self.last_error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}"
            if self.write_errors == 1 or self.write_errors % 20 == 0:
                log.warning("prediction log: cannot write to the store (%s); %d rows queued",
                            self.last_error, self._rows + sum(len(e) for e in entries))
            self._put_back(entries)
            return False
        self.logged += sum(len(e) for e in entries)
        self.last_error = ""
        for entry in entries:
            self._add_to_window(entry)
        return True

    # -- prediction windows --------------------------------------------------------------
    def _add_to_window(self, entry: LogEntry) -> None:
        key = (entry.source, entry.model_version_id)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = _Window(entry.predictor, entry.schema,
                                                  entry.expectations)
        window.entries.append(entry)
        window.count += len(entry)
        if window.count >= self.window_rows:
            self._write_window(key, self._windows.pop(key))

    def _close_windows(self, *, only_due: bool) -> None:
        now = time.monotonic()
        for key in list(self._windows):
            window = self._windows[key]
            if not only_due or now - window.started >= self.window_s:
                self._write_window(key, self._windows.pop(key))

    def _write_window(self, key: tuple[str, int | None], window: _Window) -> None:
        if not window.entries or window.predictor is None or self.store is None:
            return
        source, version_id = key
        try:
            rows = [r for e in window.entries for r in e.rows]
            labels = [v for e in window.entries for v in e.labels]
            scores = [s for e in window.entries for s in e.scores]
            stamps = [e.ts for e in window.entries]
            summary = summarise(rows, labels, scores, window.predictor, window.schema)
            checked = _check_window(rows, window.expectations) if window.expectations else None
            if checked is not None:
                summary["expectations"] = checked
            with self.store.write(self.actor) as uow:
                added = uow.predictions.add_window(source, version_id, min(stamps), max(stamps),
                                                   len(rows), summary)
                if checked is not None:
                    _record_alerts(uow, source, added, checked)
            self.windows += 1
        except Exception as exc:
            self.windows_dropped += 1
            self.last_error = f"window of {source}: {type(exc).__name__}: {exc}"[:400]
            log.warning("prediction log: %s", self.last_error)


def _check_window(rows: Sequence[Mapping[str, Any]], spec: Mapping[str, Any]) -> dict[str, Any]:
    """The window rules checked on ``rows`` and the violations (the summary's ``expectations``)."""
    import pandas as pd

    from workbench.monitoring.expectations import violations, window_rules

    frame = pd.DataFrame.from_records(list(rows))
    return {"checked": [[column, rule] for column, rule in window_rules(spec)],
            "violations": [v.to_dict() for v in violations(frame, spec)]}


def _record_alerts(uow: Any, source: str, window: Any, checked: Mapping[str, Any]) -> None:
    """Raise a deviation alert per violation of the window; clear the rules it met."""
    from workbench.monitoring.deviation import expectation_alerts

    alerts = expectation_alerts(checked, f"prediction window {window.id} ({window.count} rows)")
    for condition in alerts.cleared:
        uow.alerts.clear(source, "deviation", condition, at=window.window_end)
    for condition, message in alerts.raised:
        uow.alerts.raise_alert(source, "deviation", message, condition=condition,
                               at=window.window_end)
