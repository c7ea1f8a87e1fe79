"""Adaptive micro-batching of ``POST /predict``: concurrent requests share one model call.

A request's rows wait in :class:`MicroBatcher` until the event loop has run every request that
arrived with it; then one ``InferenceService.predict_many`` scores them all. An idle service
adds no wait (the batch closes on the next loop turn); under load, requests that arrive while
others are in flight are grouped — up to ``max_wait_s`` longer and ``max_rows`` rows, so the
wait stays bounded. Batches of more than ``inline_rows`` rows score on a worker thread, so
``/health`` keeps answering while they run. Each request gets exactly its own answer or error.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from workbench.serving.service import InferenceService, ScoringError

__all__ = ["MicroBatcher"]


class MicroBatcher:
    def __init__(self, service: InferenceService, *, max_rows: int = 256, max_wait_s: float = 0.002,
                 inline_rows: int = 64):
        self.service, self.max_rows, self.max_wait_s = service, max_rows, max_wait_s
        self.inline_rows = inline_rows
        self._pending: list[tuple[Any, str | None, asyncio.Future[Any]]] = []
        self._rows = 0
        self._first_at = 0.0
        self._scheduled = False
        self.in_flight = 0  # requests received and not yet answered (the app counts them)

    async def predict(self, rows: Any, request_id: str | None) -> dict[str, Any]:
        """The answer for this request alone (raises its ``RequestInvalid``/``ScoringError``)."""
        size = len(rows) if isinstance(rows, list) else 1
        if size > self.inline_rows:  # a large batch of its own, off the loop
            answer = (await asyncio.to_thread(self.service.predict_many, [(rows, request_id)]))[0]
            return self._unwrap(answer)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if not self._pending:
            self._first_at = time.monotonic()
        self._pending.append((rows, request_id, future))
        self._rows += size
        if self._rows >= self.max_rows:
            self._flush()
        elif not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._maybe_flush)
        return self._unwrap(await future)

    @staticmethod
    def _unwrap(answer: Any) -> dict[str, Any]:
        if isinstance(answer, Exception):
            raise answer
        return answer

    def _maybe_flush(self) -> None:
        """Close the batch now, unless more requests are on their way and the wait is short."""
        self._scheduled = False
        if not self._pending:
            return
        waited = time.monotonic() - self._first_at
        others = self.in_flight - len(self._pending)
        if others > 0 and waited < self.max_wait_s:
            self._scheduled = True
            asyncio.get_running_loop().call_later(self.max_wait_s / 4, self._maybe_flush)
            return
        self._flush()

    def _flush(self) -> None:
        batch, self._pending, self._rows = self._pending, [], 0
        if not batch:
            return
        try:
            answers = self.service.predict_many([(rows, rid) for rows, rid, _ in batch])
        except Exception as exc:  # a bug, not a request's fault: every waiting request hears it
            answers = [ScoringError(f"the service failed to score: {type(exc).__name__}: {exc}")] * len(batch)
        for (_, _, future), answer in zip(batch, answers, strict=True):
            if not future.done():
                future.set_result(answer)
