"""``workbench serve --workers N``: several serving processes on one listening socket.

The parent checks the security settings, binds the socket once and starts ``N`` workers —
each a ``workbench serve`` of its own, handed the socket's descriptor — so the kernel spreads
connections over them. Each worker loads the models, follows promotions and logs the requests
it answered into the store, so every row is logged once, by the worker that scored it; its
``/health`` counts its own requests. The parent prints one ready line when all are up, stops
them all on Ctrl-C / SIGTERM (each flushes its log) or when one dies, and sums their log
figures. A store password travels to the workers by environment, never on a command line.
POSIX only: Windows cannot hand a socket to a child this way.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from workbench.errors import UnusableInputError
from workbench.serving.guard import Security, resolve_security
from workbench.serving.server import _url, bind_socket
from workbench.store import Store

__all__ = ["run_workers"]

READY_S = 180.0
_STOPPED = re.compile(r"stopped: (\d+) prediction row\(s\) logged, (\d+) dropped")


@dataclass
class _Worker:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    ready: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if " on http" in line:
                self.ready.set()
        self.ready.set()  # ended: whoever waits looks at the exit code

    def stats(self) -> tuple[int, int] | None:
        for line in reversed(self.lines):
            found = _STOPPED.search(line)
            if found:
                return int(found.group(1)), int(found.group(2))
        return None


def _child_env(store_url: str) -> tuple[str, dict[str, str]]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if store_url.startswith("postgresql"):
        from sqlalchemy.engine import make_url

        from workbench.store.urls import without_password

        parsed = make_url(store_url)
        if parsed.password is not None:
            env["PGPASSWORD"] = str(parsed.password)
            store_url = without_password(store_url)
    return store_url, env


def run_workers(store: Store, actor: str, graph_path: str, node_id: str, workers: int, *,
                host: str = "127.0.0.1", port: int = 8765, security: Security | None = None,
                child_args: list[str] | None = None,
                on_ready: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Serve with ``workers`` processes until stopped; returns the summed log figures."""
    if os.name != "posix":
        raise UnusableInputError("--workers needs Linux or macOS (a listening socket cannot be "
                                 "handed to a worker process on this system)", hint="serve with one worker")
    security = resolve_security(store, host, security or Security())
    sock = bind_socket(host, port)
    url, env = _child_env(store.url)
    command = [sys.executable, "-m", "workbench", "--store", url, "--user", actor, "serve",
               graph_path, "--node", node_id, "--host", host, "--listen-fd", str(sock.fileno()),
               *(child_args or [])]
    started: list[_Worker] = []
    stop = threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda _s, _f: stop.set())
    try:
        for _ in range(workers):
            worker = _Worker(subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                              text=True, env=env, pass_fds=(sock.fileno(),)))
            threading.Thread(target=worker.read, daemon=True).start()
            started.append(worker)
        for number, worker in enumerate(started, 1):
            if not worker.ready.wait(READY_S) or worker.process.poll() is not None:
                said = "\n".join(worker.lines[-5:])
                raise UnusableInputError(f"serving worker {number} of {workers} did not start"
                                         + (f": {said}" if said else " (its errors are above)"))
        if on_ready is not None:
            on_ready(_url(sock, security.tls), workers)
        while not stop.is_set() and all(w.process.poll() is None for w in started):
            stop.wait(0.5)
    finally:
        for worker in started:
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
        for worker in started:
            try:
                worker.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    figures = [w.stats() for w in started]
    logged = sum(f[0] for f in figures if f)
    dropped = sum(f[1] for f in figures if f)
    return {"enabled": any(f is not None for f in figures), "logged": logged, "dropped": dropped,
            "workers": [{"pid": w.process.pid, "exit_code": w.process.returncode,
                         "logged": f[0] if f else None, "dropped": f[1] if f else None}
                        for w, f in zip(started, figures, strict=True)]}
