"""Issue 13, finding 14: ``reconcile`` signals only processes of runs recorded on this host,
and only after the acting user is known. Real child processes stand in for the worker and its
step process (named as the workbench names them), so a wrong signal would really kill them."""

from __future__ import annotations

import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.cli import no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.errors import PermissionDeniedError
from workbench.orchestrator.launch import process_alive
from workbench.services.runs import list_runs, resume_run, show_run
from workbench.store import Store, now_ms


def _stand_in(marker: str) -> subprocess.Popen[bytes]:
    """A process that looks like ours (``marker`` in its argv), leading its own process group."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", marker], start_new_session=True)
    deadline = time.monotonic() + 20  # until the child has exec'd, /proc shows the parent's argv
    while not process_alive(proc.pid, marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert process_alive(proc.pid, marker)
    return proc


def _running_run(store: Store, host: str, worker_pid: int, step_pid: int) -> tuple[int, int]:
    with store.write("bob") as uow:
        project = uow.projects.ensure()
        run = uow.runs.create(project.id, None)
        uow.runs.claim(run.id, host, worker_pid)
        uow.runs.set_status(run.id, "running")
        step = uow.runs.add_step(run.id, "train")
        uow.runs.set_step_status(step.id, "running", pid=step_pid)
    return run.id, step.id


def _stale_heartbeat(db: Path, run_id: int) -> None:
    with sqlite3.connect(db) as conn:  # the other host's worker stopped beating a minute ago
        conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (now_ms() - 60_000, run_id))


def _status(store: Store, run_id: int) -> tuple[str, str]:
    with store.read() as uow:
        run = uow.runs.get(run_id)
        return run.status, uow.runs.latest_steps(run_id)["train"].status


def test_finding_14_reconcile_never_signals_a_pid_recorded_on_another_host(tmp_path: Path) -> None:
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    worker = _stand_in("workbench.orchestrator.worker")
    step = _stand_in("workbench.engines.runtime")
    try:
        run_id, _ = _running_run(store, "another-machine.example.org", worker.pid, step.pid)
        _stale_heartbeat(tmp_path / "store.db", run_id)
        list_runs(store, "bob")
        assert _status(store, run_id) == ("interrupted", "interrupted")  # its heartbeat stopped
        time.sleep(0.3)
        assert worker.poll() is None and step.poll() is None  # the local pids were left alone
    finally:
        for proc in (worker, step):
            proc.kill()
            proc.wait()
        store.close()


def test_finding_14_an_unknown_user_touches_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    store = cast_store(url)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a worker of this host that has exited
    step = _stand_in("workbench.engines.runtime")
    try:
        run_id, _ = _running_run(store, socket.gethostname(), gone.pid, step.pid)
        for call in (lambda: list_runs(store, "mallory"), lambda: show_run(store, "mallory", run_id),
                     lambda: resume_run(store, "mallory", run_id, detach=False)):  # the Python API, the GUI
            with pytest.raises(PermissionDeniedError, match="'mallory' is not a user") as refused:
                call()
            assert refused.value.exit_code == 3
            assert _status(store, run_id) == ("running", "running")
            assert step.poll() is None
        env = {"WORKBENCH_USER": ""}
        for args in (["runs", "list"], ["runs", "show", str(run_id)], ["runs", "resume", str(run_id)]):
            refused = workbench("--store", url, "--user", "mallory", *args, env=env)
            assert refused.returncode == 3 and no_traceback(refused), refused.stderr
            assert "'mallory' is not a user" in refused.stderr
            assert _status(store, run_id) == ("running", "running")
            assert step.poll() is None
        # the analyst only reads: listing shows the run as it is recorded and writes nothing
        listed = workbench("--store", url, "--user", "anna", "runs", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        assert _status(store, run_id) == ("running", "running") and step.poll() is None
        # a user of the store who may act on runs notices the dead worker and stops what it left behind
        listed = workbench("--store", url, "--user", "olga", "runs", "list", env=env)
        assert listed.returncode == 0, listed.stderr
        assert _status(store, run_id) == ("interrupted", "interrupted")
        assert step.wait(timeout=10) is not None
    finally:
        step.kill()
        step.wait()
        store.close()
