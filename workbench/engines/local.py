"""The local engine: each step is its own process on this machine (CPU, or its GPU).

``python -m workbench.engines.runtime SPEC`` runs in a new process group, so a crash or a
``kill -9`` of the step takes down only the step; cancel and timeouts stop the whole group
(SIGTERM, then SIGKILL after a grace period). Output is streamed line by line.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from typing import IO

from workbench.engines.base import LineRouter, StepLaunch, StepOutcome, read_result

GRACE_S = 5.0
POLL_S = 0.1


def _pump(pipe: IO[str], stream: str, router: LineRouter, lock: threading.Lock) -> None:
    for line in iter(pipe.readline, ""):
        with lock:
            router.feed(stream, line)
    pipe.close()


def stop_group(proc: subprocess.Popen[str]) -> None:
    """SIGTERM the step's process group, then SIGKILL whatever is left after the grace period."""
    for sig, wait in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, GRACE_S)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


class LocalEngine:
    name = "local"

    def __init__(self, python: str | None = None):
        self.python = python or sys.executable

    def run_step(self, launch: StepLaunch) -> StepOutcome:
        output_dir = launch.workdir / "out"
        output_dir.mkdir(parents=True, exist_ok=True)
        spec = {**launch.spec, "output_dir": str(output_dir)}
        spec_path = launch.workdir / "spec.json"
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = subprocess.Popen(
            [self.python, "-m", "workbench.engines.runtime", str(spec_path)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True,
            bufsize=1, env=env, start_new_session=True, cwd=launch.workdir,
        )
        launch.on_start(proc.pid)
        router, lock = LineRouter(launch), threading.Lock()
        pumps = [threading.Thread(target=_pump, args=(pipe, name, router, lock), daemon=True)
                 for pipe, name in ((proc.stdout, "stdout"), (proc.stderr, "stderr"))]
        for pump in pumps:
            pump.start()
        deadline = None if launch.timeout_s is None else time.monotonic() + launch.timeout_s
        cancelled = timed_out = False
        while proc.poll() is None:
            if launch.should_cancel():
                cancelled = True
                stop_group(proc)
                break
            if deadline is not None and time.monotonic() > deadline:
                timed_out = True
                stop_group(proc)
                break
            time.sleep(POLL_S)
        proc.wait()
        for pump in pumps:
            pump.join(timeout=5)
        return StepOutcome(exit_code=proc.returncode, result=read_result(output_dir),
                           log_tail=tuple(router.tail), cancelled=cancelled, timed_out=timed_out)

    def close(self) -> None:
        return None
