"""The traffic replayer: send a dataset's rows to a running inference service, for demos,
tests and load measurements.

Owns :func:`replay`, :func:`load_rows` and :class:`ReplayReport`.

Rules: plain ``http.client`` keep-alive connections, one per worker thread (no extra
dependency). The dataset (Parquet, recognised by its magic number, else CSV; or a DataFrame) is cut to the service's features,
learnt from ``GET /model`` (so ``row_id``, the target and other columns are dropped; a missing
feature is an error before anything is sent). Request ``k`` carries rows ``k·batch …`` of the
dataset (wrapping around when ``count`` asks for more) and the request id
``<prefix>-<k>``, so a replay is reproducible, the canary split included. ``rate`` (requests
per second, all workers together) schedules request ``k`` at ``k / rate`` seconds after the
start; without it the workers send as fast as the service answers. A latency is measured from
sending a request to reading its whole answer. A service that wants a bearer token gets
``token`` in every request's ``Authorization`` header; an ``https://`` URL is checked against
the system's trusted certificates, or only against ``cafile`` when one is given.
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError, UnusableInputError

__all__ = ["ReplayReport", "fetch_json", "load_rows", "replay"]

MAX_ERRORS_KEPT = 5


@dataclass(frozen=True)
class ReplayReport:
    sent: int
    answered: int
    failed: int
    seconds: float
    latencies_ms: tuple[float, ...] = ()
    statuses: dict[str, int] = field(default_factory=dict)
    variants: dict[str, int] = field(default_factory=dict)
    errors: tuple[str, ...] = ()

    @property
    def rps(self) -> float:
        return self.answered / self.seconds if self.seconds > 0 else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        return float(np.percentile(np.asarray(self.latencies_ms), q))

    @property
    def p50_ms(self) -> float | None:
        return self.percentile(50)

    @property
    def p99_ms(self) -> float | None:
        return self.percentile(99)

    def as_dict(self) -> dict[str, Any]:
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {"sent": self.sent, "answered": self.answered, "failed": self.failed,
                "seconds": round(self.seconds, 3), "rps": round(self.rps, 1),
                "p50_ms": rounded(self.p50_ms), "p99_ms": rounded(self.p99_ms),
                "statuses": dict(self.statuses), "variants": dict(self.variants),
                "errors": list(self.errors)}

    def summary(self) -> str:
        text = (f"sent {self.sent} request(s) in {self.seconds:.2f} s: {self.answered} answered, "
                f"{self.failed} failed; {self.rps:.1f} requests/s")
        if self.latencies_ms:
            text += f"; latency p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms"
        if self.variants:
            text += "; answered by " + ", ".join(f"{k} {v}" for k, v in sorted(self.variants.items()))
        return text


@dataclass(frozen=True)
class _Target:
    host: str
    port: int
    base: str
    context: ssl.SSLContext | None  # None: plain HTTP

    def connect(self, timeout: float) -> http.client.HTTPConnection:
        if self.context is None:
            return http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        return http.client.HTTPSConnection(self.host, self.port, timeout=timeout, context=self.context)


def _target(url: str, cafile: str | None = None) -> _Target:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = -1
    if parts.scheme not in ("http", "https") or not parts.hostname or port < 0:
        raise UnusableInputError(f"cannot replay to {url!r}: give an http://HOST:PORT or "
                                 "https://HOST:PORT URL")
    context = None
    if parts.scheme == "https":
        try:
            context = ssl.create_default_context(cafile=cafile)
        except (OSError, ssl.SSLError) as exc:
            raise UnusableInputError(f"cannot read the CA certificate {cafile}: {exc}") from None
    return _Target(parts.hostname, port, parts.path.rstrip("/"), context)


class _Refused(UnusableInputError):
    """The service answered, and refused: waiting will not help."""


def _headers(token: str | None) -> dict[str, str]:
    return {} if not token else {"Authorization": f"Bearer {token}"}


def fetch_json(url: str, path: str, timeout: float = 30.0, *, token: str | None = None,
               cafile: str | None = None) -> Any:
    """``GET`` ``url`` + ``path`` as JSON; a clear error when the service is not there."""
    target = _target(url, cafile)
    connection = target.connect(timeout)
    try:
        connection.request("GET", target.base + path, headers=_headers(token))
        response = connection.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        raise UnusableInputError(f"no inference service answers at {url}: {exc}") from None
    finally:
        connection.close()
    if response.status == 401:
        raise _Refused(f"{url}{path} answered HTTP 401: the service needs a valid bearer token",
                       hint="pass it with $WORKBENCH_SERVE_TOKEN (or --token); "
                            "'workbench serve tokens add NAME' makes one")
    if response.status != 200:
        raise UnusableInputError(f"{url}{path} answered HTTP {response.status}")
    return json.loads(body)


def _wait_for_service(url: str, timeout: float, wait_s: float = 10.0, **auth: Any) -> Any:
    """The service's ``/model``, waiting up to ``wait_s`` for a service that is still starting
    (``workbench serve … &`` followed at once by a replay)."""
    deadline = time.monotonic() + wait_s
    while True:
        try:
            return fetch_json(url, "/model", timeout, **auth)
        except _Refused:
            raise
        except UnusableInputError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.25)


def load_rows(dataset: str | Path | pd.DataFrame, features: list[str] | None = None) -> list[dict[str, Any]]:
    """The dataset's rows as JSON-ready dicts of ``features`` (all columns when None)."""
    if isinstance(dataset, pd.DataFrame):
        frame = dataset
    else:
        path = Path(dataset)
        if not path.is_file():
            raise UnusableInputError(f"no dataset file {str(path)!r}")
        with open(path, "rb") as handle:
            parquet = handle.read(4) == b"PAR1"  # Parquet's magic number, whatever the name
        try:
            frame = pd.read_parquet(path) if parquet else pd.read_csv(path)
        except Exception as exc:
            raise UnusableInputError(f"cannot read {str(path)!r} as "
                                     f"{'Parquet' if parquet else 'CSV'}: {exc}") from None
    if features is not None:
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise InvalidInputError(
                f"the dataset lacks {len(missing)} feature(s) the service needs: "
                f"{', '.join(missing[:10])}", hint="replay data with the training columns")
        frame = frame.loc[:, features]
    if frame.empty:
        raise InvalidInputError("the dataset has no rows to replay")
    frame = frame.astype(object).where(frame.notna(), None)
    return [{str(k): (v.item() if isinstance(v, np.generic) else v) for k, v in row.items()}
            for row in frame.to_dict("records")]


def replay(dataset: str | Path | pd.DataFrame | list[dict[str, Any]], url: str,
           rate: float | None = None, count: int | None = None, concurrency: int = 4,
           batch: int = 1, *, request_prefix: str = "replay", timeout: float = 30.0,
           token: str | None = None, cafile: str | None = None) -> ReplayReport:
    """Send the dataset to the service at ``url``; see the module rules."""
    if concurrency < 1 or batch < 1:
        raise InvalidInputError("concurrency and batch must be at least 1")
    if rate is not None and rate <= 0:
        raise InvalidInputError(f"rate must be positive, got {rate}")
    target = _target(url, cafile)
    if isinstance(dataset, list):
        rows = dataset
    else:
        described = _wait_for_service(url, timeout, token=token, cafile=cafile)
        rows = load_rows(dataset, list(described["features"]))
    if not rows:
        raise InvalidInputError("the dataset has no rows to replay")
    total = count if count is not None else math.ceil(len(rows) / batch)
    if total < 0:
        raise InvalidInputError(f"count must not be negative, got {total}")

    def body(k: int) -> bytes:
        start = (k * batch) % len(rows)
        chunk = [rows[(start + j) % len(rows)] for j in range(batch)]
        return json.dumps({"rows": chunk, "request_id": f"{request_prefix}-{k}"},
                          separators=(",", ":")).encode()

    counter = itertools.count()
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    variants: Counter[str] = Counter()
    errors: list[str] = []
    headers = {"Content-Type": "application/json", "Connection": "keep-alive", **_headers(token)}
    started = time.perf_counter()

    def worker() -> None:
        connection = target.connect(timeout)
        try:
            while True:
                with lock:
                    k = next(counter)
                if k >= total:
                    return
                if rate is not None:
                    delay = started + k / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                payload = body(k)
                sent = time.perf_counter()
                try:
                    connection.request("POST", target.base + "/predict", payload, headers)
                    response = connection.getresponse()
                    data = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    connection.close()
                    connection = target.connect(timeout)
                    with lock:
                        statuses["error"] += 1
                        if len(errors) < MAX_ERRORS_KEPT:
                            errors.append(f"request {k}: {type(exc).__name__}: {exc}")
                    continue
                latencies.append((time.perf_counter() - sent) * 1000.0)
                with lock:
                    statuses[str(response.status)] += 1
                if response.status == 200:
                    answer = json.loads(data)
                    first = (answer.get("predictions") or [{}])[0]
                    with lock:
                        variants[str(first.get("variant", ""))] += 1
                elif len(errors) < MAX_ERRORS_KEPT:
                    with lock:
                        errors.append(f"request {k}: HTTP {response.status}: {data[:300]!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, name=f"replay-{i}", daemon=True)
               for i in range(min(concurrency, max(total, 1)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    answered = statuses.get("200", 0)
    return ReplayReport(sent=total, answered=answered, failed=total - answered, seconds=seconds,
                        latencies_ms=tuple(latencies), statuses=dict(statuses),
                        variants=dict(variants), errors=tuple(errors))
