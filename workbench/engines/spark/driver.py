"""``python -m workbench.engines.spark.driver``: the Spark driver process of one engine.

It owns one ``SparkSession`` (built on ``open``) and reuses it for every step it is sent
(protocol in ``protocol.py``). Each step runs in its own thread under the Spark job group
``workbench-step-<step id>`` (``interruptOnCancel=True``); the main thread keeps reading
requests, so ``cancel`` calls ``cancelJobGroup`` while the step runs.

A monitor thread, once a second, while a step runs:

* reports the progress of the group's running Spark jobs (tasks done / tasks of their stages)
  as ``{"progress": …, "message": …}`` events into the step's log;
* sends the step's resource figures (``runtime/resources.py``): the driver's process tree (its
  JVM included — in local mode the executors live there) and what Spark's status tracker says
  of the executors: ``spark_executors``, ``spark_running_tasks``, ``spark_storage_used_mb`` and
  ``spark_storage_total_mb`` (storage memory in use / available, summed over executors);
* on a cluster (any non-``local`` master) watches the live executors: when a job of the step is
  running and the application has had no executor for ``lost_workers_s`` seconds after having
  one — or none at all for ``executor_wait_s`` seconds since the step started — it cancels the
  job group and fails the step with "the Spark cluster lost its workers" (or "gave this
  application no executor"), naming the target.

Streams: the original stdout carries protocol replies, the step's log lines and its events
(written whole, line by line, under a lock); file descriptor 1 is pointed at stderr before the
JVM starts, so Spark's own output (log4j, Python worker output in local mode) reaches the
engine as stderr lines.

Rules: a failed step never ends the process (the session stays for the next step); only
``close``, end of input, or a kill does.
"""

from __future__ import annotations

import io
import json
import os
import platform
import shutil
import sys
import threading
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

from workbench.engines.runtime.events import emit
from workbench.engines.runtime.resources import ResourceSampler
from workbench.engines.spark.protocol import KEY
from workbench.engines.spark.session import SparkTarget, build_session
from workbench.engines.spark.state import Cancelled, SparkStep, spark_error_message
from workbench.engines.spark.steps import parse, run_spark_spec, write_error
from workbench.errors import WorkbenchError

__all__ = ["main"]

MONITOR_S = 1.0
PROGRESS_EVERY_S = 2.0


class _Lines(io.TextIOBase):
    """A thread-safe line writer: each thread's text goes out in whole lines."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.lock = threading.Lock()
        self.local = threading.local()

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        buffered = getattr(self.local, "buffer", "") + text
        *lines, rest = buffered.split("\n")
        self.local.buffer = rest
        if lines:
            with self.lock:
                for line in lines:
                    self.stream.write(line + "\n")
                self.stream.flush()
        return len(text)


def _versions() -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version(), "host": platform.node()}
    for name, dist in (("pyarrow", "pyarrow"), ("pandas", "pandas"), ("numpy", "numpy"),
                       ("sklearn", "scikit-learn"), ("torch", "torch"), ("pyspark", "pyspark")):
        try:
            out[name] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


class Driver:
    def __init__(self) -> None:
        self.spark: Any = None
        self.target: SparkTarget | None = None
        self.current: SparkStep | None = None
        self.current_id: Any = None
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self._last_progress: tuple[Any, ...] = ()
        self._last_progress_at = 0.0
        self.sampler: ResourceSampler | None = None

    # -- requests -------------------------------------------------------------------------
    def open(self, params: dict[str, Any]) -> bool:
        self.target = SparkTarget(**params)
        try:
            self.spark = build_session(self.target)
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            emit({KEY: "failed", "error": f"target {self.target.name!r}: cannot start a Spark "
                  f"session on {self.target.master}: {spark_error_message(exc)}"})
            return False
        sc = self.spark.sparkContext
        emit({KEY: "ready", "version": self.spark.version, "master": self.target.master,
              "app_id": sc.applicationId})
        threading.Thread(target=self._monitor, name="spark-monitor", daemon=True).start()
        return True

    def run(self, request_id: Any, spec: dict[str, Any]) -> None:
        with self.lock:
            busy = self.current is not None
        if busy:
            emit({KEY: "result", "id": request_id, "status": "error", "exit_code": 1,
                  "error": "the Spark driver is already running a step"})
            return
        threading.Thread(target=self._run, args=(request_id, spec), name="spark-step",
                         daemon=True).start()

    def cancel(self, request_id: Any) -> None:
        with self.lock:
            state = self.current if self.current_id == request_id else None
        if state is not None:
            state.cancelled = True
            self.spark.sparkContext.cancelJobGroup(state.group)

    def probe(self, request_id: Any) -> None:
        def work() -> None:
            try:
                emit({KEY: "probe", "id": request_id, "details": self._probe()})
            except Exception as exc:
                emit({KEY: "probe", "id": request_id, "error": spark_error_message(exc)})
        threading.Thread(target=work, name="spark-probe", daemon=True).start()

    # -- a step ---------------------------------------------------------------------------
    def _run(self, request_id: Any, spec: dict[str, Any]) -> None:
        started = time.perf_counter()
        assert self.target is not None
        status, error = "ok", None
        state: SparkStep | None = None
        try:
            ctx = parse(spec)
            step_id = (spec.get("run") or {}).get("step_id", request_id)
            state = SparkStep(ctx=ctx, raw_spec=spec, spark=self.spark, target=self.target.name,
                              master=self.target.master, data_root=self.target.data_dir,
                              group=f"workbench-step-{step_id}")
            sc = self.spark.sparkContext
            sc.setJobGroup(state.group, f"{ctx.node_id} ({ctx.spec.kind})",
                           interruptOnCancel=True)
            sampler = ResourceSampler(step_id if isinstance(step_id, int) else None, cpu_from_zero=True)
            with self.lock:
                self.current, self.current_id, self.sampler = state, request_id, sampler
            self._sample(sampler)
            run_spark_spec(state)
            self._sample(sampler)
        except BaseException as exc:  # the step fails; the driver lives on
            status, error = self._failure(state, exc)
            output_dir = state.ctx.output_dir if state is not None else spec.get("output_dir")
            if status == "error" and output_dir:
                try:
                    write_error(Path(output_dir), error, started)
                except OSError:
                    print(f"cannot write the result of the failed step to {output_dir}",
                          file=sys.stderr, flush=True)
        finally:
            with self.lock:
                self.current, self.current_id, self.sampler = None, None, None
            sys.stdout.flush()
            emit({KEY: "result", "id": request_id, "status": status,
                  "exit_code": 0 if status == "ok" else 1, "error": error})

    def _failure(self, state: SparkStep | None, exc: BaseException) -> tuple[str, str]:
        if state is not None and state.lost:
            return "error", state.lost
        if state is not None and state.cancelled:
            return "cancelled", "cancelled"
        if isinstance(exc, WorkbenchError):
            return "error", str(exc)
        if isinstance(exc, Cancelled):
            return "cancelled", "cancelled"
        traceback.print_exc(file=sys.stderr)
        return "error", spark_error_message(exc)

    # -- watching -------------------------------------------------------------------------
    def _executors(self) -> int:
        count = int(self.spark.sparkContext._jsc.sc().getExecutorMemoryStatus().size())
        return count if self.target is not None and self.target.is_local else count - 1

    def _monitor(self) -> None:
        while not self.stopped.wait(MONITOR_S):
            state, sampler = self.current, self.sampler
            if state is None or self.spark is None:
                continue
            try:
                if sampler is not None:
                    self._sample(sampler)
                running = self._progress(state)
                if self.target is not None and not self.target.is_local:
                    self._watch_executors(state, running)
            except Exception:  # the session may be stopping; try again next second
                continue

    def _sample(self, sampler: ResourceSampler) -> None:
        sampler.sample()
        try:
            infos = self.spark.sparkContext._jsc.sc().statusTracker().getExecutorInfos()
            infos = [infos[i] for i in range(len(infos))]
        except Exception:  # the session may be stopping
            return
        local = self.target is None or self.target.is_local
        executors = len(infos) if local else max(0, len(infos) - 1)  # the driver is listed too
        used = sum(i.usedOnHeapStorageMemory() + i.usedOffHeapStorageMemory() for i in infos)
        total = sum(i.totalOnHeapStorageMemory() + i.totalOffHeapStorageMemory() for i in infos)
        sampler.send("spark_executors", executors)
        sampler.send("spark_running_tasks", sum(i.numRunningTasks() for i in infos))
        sampler.send("spark_storage_used_mb", used / 2**20)
        sampler.send("spark_storage_total_mb", total / 2**20)

    def _progress(self, state: SparkStep) -> bool:
        tracker = self.spark.sparkContext.statusTracker()
        done = total = 0
        running = []
        for job_id in tracker.getJobIdsForGroup(state.group):
            job = tracker.getJobInfo(job_id)
            if job is None or job.status != "RUNNING":
                continue
            running.append(job_id)
            for stage_id in job.stageIds:
                stage = tracker.getStageInfo(stage_id)
                if stage is not None:
                    done += stage.numCompletedTasks
                    total += stage.numTasks
        now = time.monotonic()
        key = (tuple(running), done, total)
        if running and total and key != self._last_progress \
                and now - self._last_progress_at >= PROGRESS_EVERY_S:
            self._last_progress, self._last_progress_at = key, now
            emit({"progress": done / total,
                  "message": f"Spark job(s) {', '.join(map(str, running))}: {done}/{total} tasks"})
        return bool(running)

    def _watch_executors(self, state: SparkStep, running: bool) -> None:
        assert self.target is not None
        live = self._executors()
        now = time.monotonic()
        if live > 0:
            state.seen_executor, state.no_executor_since = True, None
            return
        if not running:
            return
        if state.no_executor_since is None:
            state.no_executor_since = now
            return
        waited = now - state.no_executor_since
        if state.seen_executor and waited >= self.target.lost_workers_s:
            state.lost = (f"target {self.target.name!r}: the Spark cluster lost its workers (no live "
                          f"executor for {self.target.lost_workers_s:.0f} s while a job ran on "
                          f"{self.target.master}); the step's Spark jobs were cancelled")
        elif not state.seen_executor and waited >= self.target.executor_wait_s:
            state.lost = (f"target {self.target.name!r}: the Spark cluster {self.target.master} gave "
                          f"this application no executor within {self.target.executor_wait_s:.0f} s "
                          "(are its workers alive, with free cores and memory?)")
        if state.lost:
            print(state.lost, file=sys.stderr, flush=True)
            self.spark.sparkContext.cancelJobGroup(state.group)

    # -- probe ----------------------------------------------------------------------------
    def _probe(self) -> dict[str, Any]:
        assert self.target is not None
        sc = self.spark.sparkContext
        deadline = time.monotonic() + min(self.target.executor_wait_s, 60.0)
        while not self.target.is_local and self._executors() == 0 \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        executors = self._executors()
        details: dict[str, Any] = {
            **_versions(), "spark": self.spark.version, "master": self.target.master,
            "app_id": sc.applicationId, "default_parallelism": sc.defaultParallelism,
            "executors": executors, "cpus": sc.defaultParallelism, "gpus": [],
        }
        try:
            details["free_disk_gb"] = round(shutil.disk_usage(
                self.target.data_dir or os.getcwd()).free / 2**30, 1)
        except OSError:
            details["free_disk_gb"] = None
        if executors > 0:
            sc.setJobGroup("workbench-probe", "targets check", interruptOnCancel=True)
            remote = sc.parallelize([0], 1).map(lambda _: _versions()).collect()[0]
            details["executor_python"] = remote["python"]
            details["executor_pyarrow"] = remote["pyarrow"]
            details["executor_host"] = remote["host"]
        return details

    def close(self) -> None:
        self.stopped.set()
        if self.spark is not None:
            try:
                self.spark.stop()
            except Exception:
                traceback.print_exc(file=sys.stderr)


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # the JVM and any C library write to stderr from here on
    sys.stdout = _Lines(protocol)
    driver = Driver()
    for raw in sys.stdin:
        try:
            message = json.loads(raw)
        except ValueError:
            print(f"unreadable request: {raw[:200]!r}", file=sys.stderr, flush=True)
            continue
        op = message.get("op")
        if op == "open":
            if not driver.open(message.get("target") or {}):
                return 3
        elif op == "run":
            driver.run(message.get("id"), message.get("spec") or {})
        elif op == "cancel":
            driver.cancel(message.get("id"))
        elif op == "probe":
            driver.probe(message.get("id"))
        elif op == "close":
            break
    driver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
