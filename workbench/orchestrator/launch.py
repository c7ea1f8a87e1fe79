"""Starting runs in a detached worker process, and noticing runs whose worker died.

``create_run`` records a queued run of a saved graph version; ``spawn_worker`` starts
``python -m workbench.orchestrator.worker`` in its own session so that closing the terminal
or the window does not stop the run. ``reconcile`` finds runs left ``running`` (or waiting) by
a worker that is gone — its process no longer exists on this host, or its heartbeat stopped —
marks them and their unfinished steps ``interrupted``, and stops step processes they left
behind; ``workbench runs resume`` then finishes them, reusing the steps that succeeded.

A pid means something only on the host that recorded it: a run's worker pid (and its local
steps' pids) are looked at, and signalled, only when the run's ``worker_host`` is this host;
a run driven from another machine is judged by its heartbeat alone and no local process is
touched on its behalf.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from workbench.orchestrator.artifacts import ArtifactStore
from workbench.store import Store, now_ms
from workbench.store.entities import Run
from workbench.store.states import ACTIVE

STALE_HEARTBEAT_MS = 30_000
UNCLAIMED_GRACE_MS = 60_000


def create_run(store: Store, actor: str, *, graph_version_id: int, target: str = "local",
               trigger: str = "manual", params: dict[str, Any] | None = None) -> Run:
    with store.write(actor) as uow:
        version = uow.graphs.get(graph_version_id)
        return uow.runs.create(version.project_id, graph_version_id, target=target, trigger=trigger,
                               params=params or {})


def spawn_worker(store_url: str, run_id: int, *, extra_args: list[str] | None = None) -> int:
    """Start the detached orchestrator for ``run_id``; returns its pid."""
    log_dir = ArtifactStore.for_store(store_url).root / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if store_url.startswith("postgresql"):  # a password travels by environment, never on the command line
        from sqlalchemy.engine import make_url

        parsed = make_url(store_url)
        if parsed.password is not None:
            env["PGPASSWORD"] = str(parsed.password)
            from workbench.store.urls import without_password

            store_url = without_password(store_url)
    with open(log_dir / f"run-{run_id}.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "workbench.orchestrator.worker", "--store", store_url, "--run", str(run_id),
             *(extra_args or [])],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            env=env,
        )
    return proc.pid


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _zombie(pid: int) -> bool:
    """A killed process whose parent has not reaped it yet still answers ``kill(pid, 0)``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] in (["Z"], ["X"])


def process_alive(pid: int | None, marker: str) -> bool:
    """Is ``pid`` alive on this host and still the program we started (``marker`` in argv)?"""
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if _zombie(pid):
        return False
    cmdline = _cmdline(pid)
    return marker in cmdline if cmdline else not Path("/proc").is_dir()


def _stop_step_process(pid: int | None) -> None:
    if pid and process_alive(pid, "workbench.engines.runtime"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def on_this_host(run: Run) -> bool:
    """Was the run's worker (and so its local step processes) started on this machine?"""
    return bool(run.worker_host) and run.worker_host == socket.gethostname()


def worker_gone(run: Run, now: int | None = None) -> bool:
    now = now_ms() if now is None else now
    if run.worker_pid is None:
        return now - max(run.created_at, run.heartbeat_at or 0) > UNCLAIMED_GRACE_MS
    if on_this_host(run):
        return not process_alive(run.worker_pid, "workbench.orchestrator.worker")
    return run.heartbeat_at is None or now - run.heartbeat_at > STALE_HEARTBEAT_MS


def reconcile(store: Store, actor: str = "orchestrator") -> list[int]:
    """Mark runs whose worker is gone as interrupted; returns their ids."""
    with store.read() as uow:
        candidates = [r for status in ACTIVE for r in uow.runs.all(status=status, limit=10_000)]
    interrupted = []
    for run in candidates:
        if not worker_gone(run):
            continue
        with store.write(actor) as uow:
            current = uow.runs.get(run.id)
            if current.status not in ACTIVE or not worker_gone(current):
                continue
            local = on_this_host(current)  # another host's pids name unrelated processes here
            for step in uow.runs.latest_steps(run.id).values():
                if step.status in ACTIVE:
                    if step.target == "local" and local:
                        _stop_step_process(step.pid)
                    uow.runs.set_step_status(step.id, "interrupted",
                                             error="the orchestrator driving this run stopped")
            uow.runs.set_status(run.id, "interrupted",
                                error=f"the orchestrator (pid {run.worker_pid} on {run.worker_host or '?'}) stopped")
        interrupted.append(run.id)
    return interrupted
