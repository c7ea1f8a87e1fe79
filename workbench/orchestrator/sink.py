"""Buffers a running step's log lines, metric points and progress, and writes them to the
store in small batches (every ``interval`` seconds) so that streaming never slows the step
and a live view sees lines within about a second."""

from __future__ import annotations

import threading
import time
from typing import Any

from workbench.store import Store, now_ms

MAX_LINE = 4000


class StepSink:
    def __init__(self, store: Store, actor: str, run_id: int, step_id: int):
        self.store, self.actor, self.run_id, self.step_id = store, actor, run_id, step_id
        self._lines: list[tuple[str, str]] = []
        self._metrics: dict[str, list[tuple[int, int, float]]] = {}
        self._progress: dict[str, Any] | None = None
        self._series: dict[str, int] = {}
        self._lock = threading.Lock()

    def line(self, stream: str, text: str) -> None:
        with self._lock:
            self._lines.append((stream, text[:MAX_LINE]))

    def event(self, event: dict[str, Any]) -> None:
        with self._lock:
            if "metric" in event and "value" in event:
                try:
                    point = (int(event.get("step", 0)), now_ms(), float(event["value"]))
                except (TypeError, ValueError):
                    self._lines.append(("stdout", f"(unreadable metric event {event!r})"))
                    return
                self._metrics.setdefault(str(event["metric"]), []).append(point)
            elif "progress" in event:
                self._progress = {"progress": event.get("progress"), "message": event.get("message", "")}

    def flush(self) -> None:
        with self._lock:
            lines, self._lines = self._lines, []
            metrics, self._metrics = self._metrics, {}
            progress, self._progress = self._progress, None
        if not (lines or metrics or progress):
            return
        with self.store.write(self.actor) as uow:
            if lines:
                uow.runs.append_logs(self.step_id, lines)
            for key, points in metrics.items():
                if key not in self._series:
                    self._series[key] = uow.metrics.series(key, run_id=self.run_id, step_id=self.step_id)
                steps, stamps, values = zip(*points, strict=True)
                uow.metrics.append(self._series[key], list(steps), list(stamps), list(values))
            if progress:
                step = uow.runs.get_step(self.step_id)
                uow.runs.set_step_status(self.step_id, step.status, info=progress)


class SinkFlusher:
    """One background thread that flushes every registered sink periodically."""

    def __init__(self, interval: float = 0.5):
        self.interval = interval
        self._sinks: set[StepSink] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="sink-flusher", daemon=True)
        self._thread.start()

    def add(self, sink: StepSink) -> None:
        with self._lock:
            self._sinks.add(sink)

    def remove(self, sink: StepSink) -> None:
        with self._lock:
            self._sinks.discard(sink)
        sink.flush()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                sinks = list(self._sinks)
            for sink in sinks:
                try:
                    sink.flush()
                except Exception:  # a full disk or a dropped connection must not kill the run
                    time.sleep(self.interval)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            sinks = list(self._sinks)
        for sink in sinks:
            sink.flush()
