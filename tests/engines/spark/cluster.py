"""A real Spark standalone cluster for tests: one master and one worker (2 cores) on
127.0.0.1 and free ports, started from the pyspark package's own ``spark-class``; stopped by
the pids this module started (the JVMs themselves, and the executors their worker forked)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.postgres import free_port

FAST_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def available() -> tuple[bool, str]:
    if shutil.which("java") is None:
        return False, "Java is not installed (Spark needs a JDK 17)"
    try:
        import pyarrow  # noqa: F401
        import pyspark  # noqa: F401
    except ImportError as exc:
        return False, f"pyspark/pyarrow missing: {exc}"
    return True, ""


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def env() -> dict[str, str]:
    return {**os.environ, "SPARK_HOME": str(spark_home()), "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": sys.executable, "SPARK_DAEMON_JAVA_OPTS": FAST_JVM,
            "SPARK_NO_DAEMONIZE": "1"}


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(entry.name))
    return out


def _kill(pid: int, sig: int = signal.SIGKILL) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


@dataclass
class SparkCluster:
    root: Path
    port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    master: subprocess.Popen[bytes] | None = None
    worker: subprocess.Popen[bytes] | None = None
    executors: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _spawn(self, *args: str, log: str) -> subprocess.Popen[bytes]:
        handle = open(self.root / log, "ab")  # noqa: SIM115 - the JVM keeps writing to it
        return subprocess.Popen([str(spark_home() / "bin" / "spark-class"), *args], env=env(),
                                stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def start(self) -> None:
        self.master = self._spawn("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
                                  "--port", str(self.port), "--webui-port", str(self.web_port),
                                  log="master.log")
        self.start_worker()

    def start_worker(self, timeout: float = 120) -> None:
        (self.root / "work").mkdir(exist_ok=True)
        self.worker = self._spawn("org.apache.spark.deploy.worker.Worker", self.url, "--host",
                                  "127.0.0.1", "--webui-port", str(free_port()), "--cores", "2",
                                  "--memory", "2g", "--work-dir", str(self.root / "work"),
                                  log="worker.log")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive_workers() >= 1:
                return
            if self.worker.poll() is not None or (self.master and self.master.poll() is not None):
                break
            time.sleep(0.5)
        raise RuntimeError(f"the Spark worker did not register with {self.url}: "
                           f"{(self.root / 'worker.log').read_text()[-2000:]}")

    def status(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.web_port}/json/", timeout=5) as r:
            return json.loads(r.read().decode())

    def alive_workers(self) -> int:
        try:
            return sum(1 for w in self.status().get("workers", []) if w.get("state") == "ALIVE")
        except OSError:
            return 0

    def kill_worker(self) -> None:
        """SIGKILL the worker JVM (by its pid), as a crashed machine would; its executors then
        lose their worker and exit on their own (killed here too if they linger)."""
        assert self.worker is not None
        self.executors |= set(children(self.worker.pid))
        self.worker.kill()
        self.worker.wait(timeout=30)

    def stop(self) -> None:
        for proc in (self.worker, self.master):
            if proc is not None and proc.poll() is None:
                self.executors |= set(children(proc.pid))
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=10)
        for pid in self.executors:
            _kill(pid)


def start_cluster() -> SparkCluster:
    cluster = SparkCluster(Path(tempfile.mkdtemp(prefix="wb-spark-")))
    try:
        cluster.start()
    except BaseException:
        cluster.stop()
        raise
    return cluster
