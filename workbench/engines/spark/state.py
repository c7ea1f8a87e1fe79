"""A step as it runs in the Spark driver (``SparkStep``), its cancellation, and how a Spark
failure reads in one line. The executors of every node kind share these."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.engines.runtime.spec import StepContext
from workbench.errors import InvalidInputError, WorkbenchError

__all__ = ["Cancelled", "SparkStep", "spark_error_message", "worker_error"]


class Cancelled(Exception):
    """The step was cancelled (or its cluster lost its workers) between Spark jobs."""


@dataclass
class SparkStep:
    """One running step: the runtime context plus the session and the engine's settings."""

    ctx: StepContext
    raw_spec: dict[str, Any]
    spark: Any
    target: str
    master: str
    data_root: str = ""
    group: str = ""
    cancelled: bool = False
    lost: str = ""
    seen_executor: bool = False
    no_executor_since: float | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def sc(self) -> Any:
        return self.spark.sparkContext

    @property
    def data_dir(self) -> Path:
        """Where distributed outputs go (``workbench.dataDir``, else ``<artifact root>/spark``)."""
        if self.data_root:
            return Path(self.data_root)
        if self.ctx.options.artifact_root is not None:
            return Path(self.ctx.options.artifact_root) / "spark"
        return Path(self.ctx.output_dir).parent / "spark-data"

    def check_cancel(self) -> None:
        if self.cancelled or self.lost:
            raise Cancelled(self.lost or "cancelled")


# ---------------------------------------------------------------------- errors
_LAST_ERROR = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt)): (.+)$")
_WORKBENCH = ("WorkbenchError", "InvalidInputError", "UnusableInputError", "TargetError",
              "ModelIntegrityError")


def spark_error_message(exc: BaseException) -> str:
    """The cause of a Spark failure in one line (a worker's Python exception by its last line)."""
    text = str(exc)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in reversed(lines):
        found = _LAST_ERROR.match(line)
        if found:
            name = found.group(1).rsplit(".", 1)[-1]
            message = found.group(2)
            return message if name in _WORKBENCH else f"{name}: {message}"
    first = lines[0] if lines else type(exc).__name__
    return first[:500]


def worker_error(exc: BaseException) -> WorkbenchError | None:
    """A WorkbenchError raised inside a Python worker, re-raised on the driver as one."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    for line in reversed(lines):
        found = _LAST_ERROR.match(line)
        if found:
            if found.group(1).rsplit(".", 1)[-1] in _WORKBENCH:
                return InvalidInputError(found.group(2))
            return None
    return None
