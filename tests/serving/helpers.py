"""HTTP and store helpers shared by the serving tests."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.cli import ROOT
from workbench.store import Store


@dataclass(frozen=True)
class Built:
    folder: Path

    @property
    def db(self) -> Path:
        return self.folder / "store.db"

    @property
    def artifacts(self) -> Path:
        return self.folder / "store-artifacts"


@dataclass
class Served:
    """A private copy of the built store, and the graph files and data that go with it."""

    url: str
    store: Store
    folder: Path
    canary: Path
    dataset: Path  # the training data as Parquet: row_id, features, target
    csv: Path

    def graph_with(self, name: str, node_id: str, **params: Any) -> Path:
        """A copy of the canary graph with ``params`` set on ``node_id``."""
        from workbench.graph import load, save

        graph = load(self.canary)
        for key, value in params.items():
            graph.set_param(node_id, key, value)
        path = self.folder / name
        save(graph, path)
        return path


def call(url: str, method: str, path: str, body: Any = None, raw: bytes | None = None
         ) -> tuple[int, Any]:
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        payload = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        connection.request(method, path, payload, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def wait_for(predicate: Any, timeout: float = 30, every: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError("timed out waiting")


def logged_counts(store: Store, *sources: str) -> dict[str, int]:
    with store.read() as uow:
        return {s: len(uow.predictions.logged(s)) for s in sources}


class ServeProcess:
    """``workbench serve`` in a subprocess on a free port, as a user runs it; ``stop()`` sends
    SIGTERM and returns (exit code, everything it printed)."""

    def __init__(self, served: Served, node: str, *extra: str, user: str = "bob",
                 graph: Path | None = None):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_STORE": served.url}
        self.errors = served.folder / f"serve-{node}.err"
        with open(self.errors, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workbench", "--user", user, "serve",
                 str(graph or served.canary), "--node", node, "--port", "0", *extra],
                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.first = self.lines.get(timeout=90) or ""
        match = re.search(r" on (http://127\.0\.0\.1:\d+)", self.first)
        if not match:
            self.process.kill()
            raise AssertionError(f"the service did not start: {self.first!r} "
                                 f"{self.errors.read_text()}")
        self.url = match.group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stop(self) -> tuple[int, str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise
        out = self.first + "".join(iter(lambda: self.lines.get(timeout=10) or "", ""))
        return self.process.returncode, out
