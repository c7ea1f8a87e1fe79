"""Windowed monitoring: a stream of batches cut into windows, each compared to the profile.

``WindowedMonitor(profile, size=N)`` cuts the stream every ``N`` rows whatever the batch
boundaries; ``WindowedMonitor(profile, every="1h", time_column="ts")`` cuts it on fixed
time buckets (``floor(ts, every)``): a window closes when a row of a later bucket arrives,
so rows must come in time order — rows of a bucket already closed are dropped and counted
in ``late_rows``. ``update(batch)`` returns the windows it closed; ``flush()`` closes the
open one. Only the open window's rows are held.

Alerts: each (column, method) statistic — and the dataset verdict as column ``"*"``,
method ``"dataset"`` — raises an alert when it is over its threshold in ``consecutive``
windows in a row (3), and clears it after ``clear_after`` windows in a row under it (1).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from workbench.errors import InvalidInputError
from workbench.monitoring.deviation import DeviationSettings
from workbench.monitoring.drift import compare
from workbench.monitoring.profile import ReferenceProfile
from workbench.monitoring.report import DriftReport

DATASET = ("*", "dataset")


@dataclass(frozen=True)
class Alert:
    column: str
    method: str
    state: str  # "raised" or "cleared"
    window: int
    statistic: float | None
    threshold: float | None


@dataclass(frozen=True)
class WindowResult:
    index: int
    start: Any  # first row number, or the bucket's start time
    end: Any  # last row number + 1, or the bucket's end time
    n_rows: int
    report: DriftReport
    raised: tuple[Alert, ...]
    cleared: tuple[Alert, ...]
    active: tuple[tuple[str, str], ...]
    late_rows: int = 0


class WindowedMonitor:
    def __init__(
        self,
        profile: ReferenceProfile,
        *,
        size: int | None = None,
        every: str | pd.Timedelta | None = None,
        time_column: str | None = None,
        methods: str | Sequence[str] | Mapping[str, Any] | None = None,
        thresholds: Mapping[str, Any] | None = None,
        consecutive: int = 3,
        clear_after: int = 1,
        drift_share: float = 0.5,
        deviation: DeviationSettings | None = None,
    ):
        if not isinstance(profile, ReferenceProfile):
            raise InvalidInputError("WindowedMonitor needs a fitted ReferenceProfile")
        if (size is None) == (every is None):
            raise InvalidInputError("give exactly one of size= (rows) or every= (a time span)")
        if size is not None and int(size) < 1:
            raise InvalidInputError(f"window size must be at least 1 row, got {size!r}")
        if every is not None:
            if not time_column:
                raise InvalidInputError("time windows need time_column=")
            try:
                span = pd.Timedelta(every)
            except (ValueError, TypeError):
                raise InvalidInputError(
                    f"{every!r} is not a fixed time span", hint="e.g. '15min', '1h', '1D'"
                ) from None
            if span <= pd.Timedelta(0):
                raise InvalidInputError(f"the time span must be positive, got {every!r}")
            self._span: pd.Timedelta | None = span
        else:
            self._span = None
        if consecutive < 1 or clear_after < 1:
            raise InvalidInputError("consecutive and clear_after must be at least 1")
        self.profile = profile
        self.size = int(size) if size is not None else None
        self.time_column = time_column
        self.methods = methods
        self.thresholds = thresholds
        self.consecutive = consecutive
        self.clear_after = clear_after
        self.drift_share = drift_share
        self.deviation = deviation
        self.late_rows = 0
        self._late_since_window = 0
        self._parts: list[pd.DataFrame] = []
        self._buffered = 0
        self._rows_seen = 0
        self._bucket: pd.Timestamp | None = None
        self._index = 0
        self._over: dict[tuple[str, str], int] = {}
        self._under: dict[tuple[str, str], int] = {}
        self._active: set[tuple[str, str]] = set()

    @property
    def active_alerts(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self._active))

    # ------------------------------------------------------------------ feeding
    def update(self, batch: pd.DataFrame) -> list[WindowResult]:
        if not isinstance(batch, pd.DataFrame):
            raise InvalidInputError(f"a batch must be a DataFrame, not {type(batch).__name__}")
        if batch.empty:
            return []
        return self._by_count(batch) if self.size else self._by_time(batch)

    def flush(self) -> list[WindowResult]:
        """Close the open window, if it holds any row."""
        if not self._buffered:
            return []
        frame = pd.concat(self._parts, ignore_index=True)
        self._parts, self._buffered = [], 0
        if self.size:
            start = self._rows_seen - len(frame)
            return [self._close(frame, start, self._rows_seen)]
        bucket = self._bucket
        return [self._close(frame, bucket, bucket + self._span)]

    def _by_count(self, batch: pd.DataFrame) -> list[WindowResult]:
        assert self.size is not None
        out = []
        at = 0
        while at < len(batch):
            take = min(self.size - self._buffered, len(batch) - at)
            self._parts.append(batch.iloc[at : at + take])
            self._buffered += take
            self._rows_seen += take
            at += take
            if self._buffered == self.size:
                frame = pd.concat(self._parts, ignore_index=True)
                self._parts, self._buffered = [], 0
                out.append(self._close(frame, self._rows_seen - self.size, self._rows_seen))
        return out

    def _by_time(self, batch: pd.DataFrame) -> list[WindowResult]:
        assert self._span is not None and self.time_column is not None
        if self.time_column not in batch.columns:
            raise InvalidInputError(f"the batch has no time column {self.time_column!r}")
        stamps = pd.to_datetime(batch[self.time_column], errors="coerce")
        if stamps.isna().any():
            raise InvalidInputError(
                f"{int(stamps.isna().sum())} row(s) have no readable time",
                where=f"column {self.time_column!r}",
            )
        buckets = stamps.dt.floor(self._span)
        out = []
        for bucket in pd.unique(buckets):
            bucket = pd.Timestamp(bucket)
            rows = batch[(buckets == bucket).to_numpy()]
            if self._bucket is not None and bucket < self._bucket:
                self.late_rows += len(rows)
                self._late_since_window += len(rows)
                continue
            if self._bucket is not None and bucket > self._bucket:
                out += self.flush()
            self._bucket = bucket
            self._parts.append(rows)
            self._buffered += len(rows)
        return out

    # ------------------------------------------------------------------ alerts
    def _close(self, frame: pd.DataFrame, start: Any, end: Any) -> WindowResult:
        report = compare(
            self.profile,
            frame,
            self.methods,
            self.thresholds,
            drift_share=self.drift_share,
            deviation=self.deviation,
        )
        index = self._index
        self._index += 1
        states: dict[tuple[str, str], tuple[bool, float | None, float | None]] = {
            (r.column, r.method): (r.drifted, r.statistic, r.threshold) for r in report.results
        }
        states[DATASET] = (report.drifted, report.share_drifted, report.drift_share)
        raised, cleared = [], []
        for key, (over, statistic, threshold) in states.items():
            if over:
                self._over[key] = self._over.get(key, 0) + 1
                self._under[key] = 0
                if key not in self._active and self._over[key] >= self.consecutive:
                    self._active.add(key)
                    raised.append(Alert(*key, "raised", index, statistic, threshold))
            else:
                self._under[key] = self._under.get(key, 0) + 1
                self._over[key] = 0
                if key in self._active and self._under[key] >= self.clear_after:
                    self._active.discard(key)
                    cleared.append(Alert(*key, "cleared", index, statistic, threshold))
        late, self._late_since_window = self._late_since_window, 0
        return WindowResult(
            index=index,
            start=start,
            end=end,
            n_rows=len(frame),
            report=report,
            raised=tuple(raised),
            cleared=tuple(cleared),
            active=self.active_alerts,
            late_rows=late,
        )
