"""Telling a live orchestrator from a dead one: a killed but unreaped (zombie) process, a
reused pid running another program, and a live worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from workbench.orchestrator.launch import process_alive


def test_a_killed_unreaped_process_is_dead() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", "workbench.orchestrator.worker"])
    try:
        deadline = time.monotonic() + 20  # until the child has exec'd, /proc shows the parent's argv
        while not process_alive(proc.pid, "workbench.orchestrator.worker") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert process_alive(proc.pid, "workbench.orchestrator.worker")
        os.kill(proc.pid, signal.SIGKILL)
        time.sleep(0.3)  # not waited for: the process is a zombie now
        assert not process_alive(proc.pid, "workbench.orchestrator.worker")
    finally:
        proc.wait()
    assert not process_alive(proc.pid, "workbench.orchestrator.worker")


def test_a_pid_running_another_program_is_not_our_worker() -> None:
    assert not process_alive(os.getpid(), "workbench.orchestrator.worker")
    assert not process_alive(None, "workbench.orchestrator.worker")
