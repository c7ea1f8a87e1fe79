"""A Spark target's settings and the ``SparkSession`` built from them.

Target params (``workbench targets add spark NAME --master URL --conf k=v``): ``master`` (any
master URL: ``local[*]``, ``spark://host:port[,host2:port2]``, ``yarn``, ``k8s://…``), ``conf``
(Spark configuration, applied last so it overrides the defaults below), and optionally
``python`` (the interpreter of the driver and of the Python workers; default: this one).
``conf`` keys starting with ``workbench.`` are the engine's own settings, never given to Spark:

* ``workbench.lostWorkersTimeout`` (s, default 20) — a running step fails once the cluster
  has had no live executor for this long after it had one ("the Spark cluster lost its
  workers"); the orchestrator's retry policy then applies;
* ``workbench.executorWaitTimeout`` (s, default 120) — how long a step waits at its start for
  a first executor;
* ``workbench.sessionTimeout`` (s, default 180) — how long starting the driver may take;
* ``workbench.dataDir`` — where distributed outputs (spark-parquet directories, Spark ML model
  folders) are written; default ``<artifact root>/spark``. It must be reachable under the same
  path by the workbench machine and every executor (a shared file system);
* ``workbench.initSql`` — SQL statements (separated by ``;``) run once when the session
  starts, e.g. ``CREATE TABLE sales USING parquet LOCATION '/data/sales'`` for an in-memory
  catalog.

Defaults: ``spark.ui.enabled=false`` and no console progress bar (the engine reports stage
progress itself), ``spark.sql.session.timeZone=UTC`` (naive times are UTC, as in the
runtime), Arrow for pandas conversion in batches of 100,000 rows (the runtime's scoring
chunk), pandas' nanosecond Parquet timestamps read as longs (``datasets.restore_nanos`` makes
them timestamps again); for ``local`` masters and masters on 127.0.0.1 or localhost the
driver binds to 127.0.0.1. Python workers run ``python`` (``PYSPARK_PYTHON``).

Rules: pyspark is imported only in ``build_session`` (the driver process); ``check_master``
probes a ``spark://`` master's port(s) with a plain socket first, so an unreachable master is a
``TargetError`` naming the target and the URL within seconds, with nothing started.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.engines.errors import TargetError

__all__ = ["SparkTarget", "build_session", "check_master", "code_bundle", "session_conf"]

CONNECT_TIMEOUT_S = 5.0
_LOCAL = re.compile(r"^local(\[[^\]]*\])?$|^local-cluster\[.*\]$")
_LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
PACKAGE_ROOT = Path(__file__).resolve().parents[2]  # .../workbench
BUNDLED = ("__init__.py", "errors.py", "engines/__init__.py", "engines/errors.py",
           "engines/runtime", "engines/spark", "monitoring")


def _number(conf: dict[str, str], key: str, default: float, name: str) -> float:
    raw = conf.get(key)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise TargetError(f"target {name!r}: {key}={raw!r} is not a number of seconds") from None
    if value <= 0:
        raise TargetError(f"target {name!r}: {key} must be positive, not {raw!r}")
    return value


@dataclass(frozen=True)
class SparkTarget:
    name: str
    master: str
    conf: dict[str, str] = field(default_factory=dict)  # Spark's own keys only
    python: str = sys.executable
    lost_workers_s: float = 20.0
    executor_wait_s: float = 120.0
    session_timeout_s: float = 180.0
    data_dir: str = ""
    init_sql: str = ""

    @classmethod
    def from_params(cls, name: str, params: dict[str, Any]) -> SparkTarget:
        master = str(params.get("master") or "").strip()
        if not master:
            raise TargetError(f"target {name!r} has no Spark master URL",
                              hint=f"workbench targets add spark {name} --master spark://HOST:PORT")
        raw = params.get("conf") or {}
        if not isinstance(raw, dict):
            raise TargetError(f"target {name!r}: conf must be a mapping of Spark settings")
        conf = {str(k): str(v) for k, v in raw.items()}
        own = {k: v for k, v in conf.items() if k.startswith("workbench.")}
        known = {"workbench.lostWorkersTimeout", "workbench.executorWaitTimeout",
                 "workbench.sessionTimeout", "workbench.dataDir", "workbench.initSql"}
        unknown = sorted(set(own) - known)
        if unknown:
            raise TargetError(f"target {name!r}: unknown engine setting {unknown[0]!r}",
                              hint=f"known: {', '.join(sorted(known))}")
        return cls(
            name=name,
            master=master,
            conf={k: v for k, v in conf.items() if k not in own},
            python=str(params.get("python") or sys.executable),
            lost_workers_s=_number(own, "workbench.lostWorkersTimeout", 20.0, name),
            executor_wait_s=_number(own, "workbench.executorWaitTimeout", 120.0, name),
            session_timeout_s=_number(own, "workbench.sessionTimeout", 180.0, name),
            data_dir=own.get("workbench.dataDir", ""),
            init_sql=own.get("workbench.initSql", ""),
        )

    def to_params(self) -> dict[str, Any]:
        """What the driver process is given (plain JSON)."""
        return {"name": self.name, "master": self.master, "conf": self.conf,
                "python": self.python, "lost_workers_s": self.lost_workers_s,
                "executor_wait_s": self.executor_wait_s, "data_dir": self.data_dir,
                "init_sql": self.init_sql}

    @property
    def is_local(self) -> bool:
        return bool(_LOCAL.match(self.master))

    @property
    def on_loopback(self) -> bool:
        if self.is_local:
            return True
        return all(host in _LOOPBACK for host, _ in master_endpoints(self.master))


def master_endpoints(master: str) -> list[tuple[str, int]]:
    """``(host, port)`` of each master of a ``spark://`` URL (several for a standby setup)."""
    if not master.startswith("spark://"):
        return []
    out = []
    for part in master[len("spark://"):].split(","):
        host, _, port = part.strip().rpartition(":")
        try:
            out.append((host.strip("[]") or part, int(port)))
        except ValueError:
            out.append((part, 7077))
    return out


def check_master(target: SparkTarget, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Raise a ``TargetError`` when no master of a ``spark://`` URL accepts a connection."""
    endpoints = master_endpoints(target.master)
    if not endpoints:
        return
    problems = []
    for host, port in endpoints:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return
        except OSError as exc:
            problems.append(f"{host}:{port}: {exc.strerror or exc}")
    raise TargetError(
        f"target {target.name!r}: the Spark master {target.master} cannot be reached "
        f"({'; '.join(problems)})",
        hint=f"start the master, or fix the URL; check with 'workbench targets check {target.name}'")


def session_conf(target: SparkTarget) -> dict[str, str]:
    """The Spark configuration of the target's session (defaults, then the target's conf)."""
    conf = {
        "spark.app.name": f"workbench:{target.name}",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
        "spark.sql.legacy.parquet.nanosAsLong": "true",
        "spark.pyspark.python": target.python,
        "spark.python.worker.reuse": "true",
    }
    if target.on_loopback:
        conf["spark.driver.host"] = "127.0.0.1"
        conf["spark.driver.bindAddress"] = "127.0.0.1"
    conf.update(target.conf)
    return conf


def split_sql(text: str) -> list[str]:
    """Statements of ``text`` split at ``;`` outside quotes and backticks."""
    out, current, quote = [], [], ""
    for char in text:
        if quote:
            current.append(char)
            if char == quote:
                quote = ""
        elif char in "'\"`":
            quote = char
            current.append(char)
        elif char == ";":
            out.append("".join(current))
            current = []
        else:
            current.append(char)
    out.append("".join(current))
    return [s.strip() for s in out if s.strip()]


def build_session(target: SparkTarget) -> Any:
    """The target's ``SparkSession`` with the workbench code shipped to the executors."""
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = target.python  # what SparkContext gives the Python workers
    builder = SparkSession.builder.master(target.master)
    for key, value in session_conf(target).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    data, digest = code_bundle()
    path = Path(tempfile.gettempdir()) / f"workbench-spark-{digest[:16]}.zip"
    if not path.is_file() or path.stat().st_size != len(data):
        partial = path.with_suffix(f".partial-{os.getpid()}")
        partial.write_bytes(data)
        os.replace(partial, path)
    spark.sparkContext.addPyFile(str(path))
    for statement in split_sql(target.init_sql):
        spark.sql(statement)
    return spark


@lru_cache(maxsize=1)
def code_bundle() -> tuple[bytes, str]:
    """A zip of the modules Python workers need (deterministic), and its sha256."""
    files: list[Path] = []
    for part in BUNDLED:
        path = PACKAGE_ROOT / part
        files += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(str(Path("workbench") / path.relative_to(PACKAGE_ROOT)),
                                   (2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    return data, hashlib.sha256(data).hexdigest()
