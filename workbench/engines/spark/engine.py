"""``SparkEngine``: steps on a Spark target, through one driver process per engine instance.

The orchestrator builds one engine per run and target, so one driver process
(``python -m workbench.engines.spark.driver``, its own process group, started on first use)
serves every step of a run on that target with one reused ``SparkSession``; ``close()`` stops
the session and the process. Steps go to the driver one at a time (they share its session and
cluster); branches on other targets still run alongside.

Before a driver starts, a ``spark://`` master's port is probed (``session.check_master``): an
unreachable master is a ``TargetError`` naming the target and the URL within seconds, raised
from ``run_step`` so that the orchestrator records only the failed step. A session that does
not start within ``workbench.sessionTimeout`` (180 s) or fails is a ``TargetError`` too.

A step: ``run`` is sent with the spec (``output_dir`` = ``<workdir>/out``, written by the
driver as the runtime would); the driver's stdout lines go through a ``LineRouter`` (log lines
and ``@@workbench`` events, its stderr too) until its ``result`` reply. Cancel and timeouts
send ``cancel`` (the driver cancels the step's Spark job group); a driver that does not answer
within ``GRACE_S`` is killed with its process group (SIGTERM, then SIGKILL). A driver that
dies fails only the current step, with a message saying so; the next step starts a new one.

Rules: no pyspark here (the GUI may import this module); ``probe()`` (``workbench targets
check``) reports the Spark and Python versions, master, default parallelism and live
executors, or a ``TargetError`` for an unreachable master.
"""

from __future__ import annotations

import itertools
import json
import os
import queue
import shutil
import subprocess
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

from workbench.engines.base import EVENT_PREFIX, LineRouter, StepLaunch, StepOutcome, read_result
from workbench.engines.errors import TargetError
from workbench.engines.local import stop_group
from workbench.engines.spark.protocol import reply_of, request
from workbench.engines.spark.session import PACKAGE_ROOT, SparkTarget, check_master

__all__ = ["SparkEngine"]

POLL_S = 0.1
GRACE_S = 15.0
CLOSE_S = 30.0
PROBE_S = 180.0


class SparkEngine:
    name = "spark"

    def __init__(self, name: str, params: dict[str, Any]):
        self.target = SparkTarget.from_params(name, params)
        self._proc: subprocess.Popen[str] | None = None
        self._cwd: Path | None = None
        self._lock = threading.Lock()  # one request at a time
        self._io = threading.Lock()
        self._router: LineRouter | None = None
        self._idle: deque[str] = deque(maxlen=40)
        self._replies: queue.Queue[dict[str, Any]] = queue.Queue()
        self._ids = itertools.count(1)
        self._pumps: list[threading.Thread] = []

    # -- the driver process ---------------------------------------------------------------
    def _feed(self, stream: str, line: str) -> None:
        if stream == "stdout" and line.startswith(EVENT_PREFIX):
            try:
                event = json.loads(line[len(EVENT_PREFIX):])
            except ValueError:
                event = None
            reply = reply_of(event) if isinstance(event, dict) else None
            if reply is not None:
                self._replies.put(reply)
                return
        with self._io:
            router = self._router
            if router is None:
                self._idle.append(f"[{stream}] {line.rstrip()}")
        if router is not None:
            router.feed(stream, line)

    def _pump(self, pipe: IO[str], stream: str) -> None:
        for line in iter(pipe.readline, ""):
            self._feed(stream, line)
        pipe.close()

    def _send(self, text: str) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        self._proc.stdin.write(text)
        self._proc.stdin.flush()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _last_output(self) -> str:
        lines = [line for line in self._idle if line.strip()]
        return f" (last output: {lines[-1]})" if lines else ""

    def _wait(self, kind: str, request_id: Any = None, timeout: float = POLL_S
              ) -> dict[str, Any] | None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                reply = self._replies.get(timeout=max(0.0, min(POLL_S, deadline - time.monotonic())))
            except queue.Empty:
                reply = None
            if reply is not None and reply.get("spark_driver") in (kind, "failed") and (
                    request_id is None or reply.get("id") in (request_id, None)):
                return reply
            if time.monotonic() >= deadline or (reply is None and not self._alive()):
                return None

    def _start(self) -> None:
        check_master(self.target)
        python = self.target.python
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYSPARK_PYTHON": python,
               "PYSPARK_DRIVER_PYTHON": python,
               "PYTHONPATH": os.pathsep.join(p for p in (str(PACKAGE_ROOT.parent),
                                                         os.environ.get("PYTHONPATH")) if p)}
        if self.target.on_loopback:
            env["SPARK_LOCAL_IP"] = "127.0.0.1"
        self._cwd = Path(tempfile.mkdtemp(prefix="workbench-spark-driver-"))
        self._replies = queue.Queue()
        self._idle.clear()
        try:
            self._proc = subprocess.Popen(
                [python, "-u", "-m", "workbench.engines.spark.driver"], stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1, env=env,
                start_new_session=True, cwd=self._cwd)
        except OSError as exc:
            raise TargetError(f"target {self.target.name!r}: cannot start the Spark driver "
                              f"with {python}: {exc.strerror}") from None
        assert self._proc.stdout is not None and self._proc.stderr is not None
        self._pumps = [threading.Thread(target=self._pump, args=(pipe, name), daemon=True)
                       for pipe, name in ((self._proc.stdout, "stdout"),
                                          (self._proc.stderr, "stderr"))]
        for pump in self._pumps:
            pump.start()
        self._send(request("open", target=self.target.to_params()))
        reply = self._wait("ready", timeout=self.target.session_timeout_s)
        if reply is not None and reply.get("spark_driver") == "ready":
            return
        self._stop_process()
        if reply is not None:
            raise TargetError(str(reply.get("error")))
        raise TargetError(f"target {self.target.name!r}: the Spark session on "
                          f"{self.target.master} did not start within "
                          f"{self.target.session_timeout_s:.0f} s{self._last_output()}")

    def _ensure(self) -> None:
        if not self._alive():
            self._stop_process()
            self._start()

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                stop_group(proc)
            for pump in self._pumps:
                pump.join(timeout=5)
        if self._cwd is not None:
            shutil.rmtree(self._cwd, ignore_errors=True)
            self._cwd = None

    # -- the engine interface -------------------------------------------------------------
    def run_step(self, launch: StepLaunch) -> StepOutcome:
        with self._lock:
            self._ensure()  # a TargetError here: nothing ran, the orchestrator records it
            output_dir = launch.workdir / "out"
            output_dir.mkdir(parents=True, exist_ok=True)
            spec = {**launch.spec, "output_dir": str(output_dir)}
            request_id = next(self._ids)
            router = LineRouter(launch)
            with self._io:
                self._router = router
            try:
                assert self._proc is not None
                launch.on_start(self._proc.pid)
                self._send(request("run", id=request_id, spec=spec))
                return self._follow(launch, router, request_id, output_dir)
            finally:
                with self._io:
                    self._router = None

    def _follow(self, launch: StepLaunch, router: LineRouter, request_id: int,
                output_dir: Path) -> StepOutcome:
        deadline = None if launch.timeout_s is None else time.monotonic() + launch.timeout_s
        while True:
            reply = self._wait("result", request_id)
            if reply is not None:
                break
            if not self._alive():
                return self._driver_died(router)
            cancel = launch.should_cancel()
            late = deadline is not None and time.monotonic() > deadline
            if cancel or late:
                self._send(request("cancel", id=request_id))
                reply = self._wait("result", request_id, timeout=GRACE_S)
                if reply is None:
                    router.feed("stderr", f"the Spark driver did not stop the step within "
                                          f"{GRACE_S:.0f} s; killing it")
                    self._stop_process()
                return StepOutcome(exit_code=-15 if reply is None else 1,
                                   result=read_result(output_dir), log_tail=tuple(router.tail),
                                   cancelled=cancel, timed_out=late and not cancel)
        time.sleep(0.05)  # let the pumps hand over lines written just before the reply
        result = read_result(output_dir)
        if reply.get("status") == "cancelled":
            return StepOutcome(exit_code=1, result=result, log_tail=tuple(router.tail),
                               cancelled=True)
        if reply.get("status") != "ok" and not (result or {}).get("error"):
            result = {**(result or {}), "error": reply.get("error") or "the step failed"}
        return StepOutcome(exit_code=int(reply.get("exit_code") or 0), result=result,
                           log_tail=tuple(router.tail),
                           info={"spark_master": self.target.master})

    def _driver_died(self, router: LineRouter) -> StepOutcome:
        assert self._proc is not None
        code = self._proc.wait()
        how = f"killed by signal {-code}" if code < 0 else f"exit status {code}"
        message = (f"target {self.target.name!r}: the Spark driver process ended unexpectedly "
                   f"({how}) while running the step; a new driver starts for the next step")
        router.feed("stderr", message)
        self._stop_process()
        return StepOutcome(exit_code=code or 1, result={"error": message},
                           log_tail=tuple(router.tail))

    def probe(self) -> dict[str, Any]:
        """Spark and Python versions, master, parallelism and live executors of the target."""
        with self._lock:
            self._ensure()
            request_id = next(self._ids)
            self._send(request("probe", id=request_id))
            reply = self._wait("probe", request_id, timeout=PROBE_S)
        if reply is None:
            raise TargetError(f"target {self.target.name!r}: the Spark driver did not answer "
                              f"the check within {PROBE_S:.0f} s{self._last_output()}")
        if reply.get("error"):
            raise TargetError(f"target {self.target.name!r}: {reply['error']}")
        return dict(reply.get("details") or {})

    def close(self) -> None:
        with self._lock:
            if self._alive():
                try:
                    self._send(request("close"))
                    assert self._proc is not None
                    self._proc.wait(timeout=CLOSE_S)
                except (OSError, subprocess.TimeoutExpired):
                    pass
            self._stop_process()
