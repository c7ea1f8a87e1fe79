"""From a target in the store to the engine that runs steps there."""

from __future__ import annotations

from typing import Any

from workbench.engines.base import Engine
from workbench.engines.errors import TargetError


def build_engine(name: str, kind: str, params: dict[str, Any]) -> Engine:
    if kind == "local":
        from workbench.engines.local import LocalEngine

        return LocalEngine(python=params.get("python") or None)
    if kind == "ssh":
        from workbench.engines.ssh.connection import SshParams
        from workbench.engines.ssh.engine import SshEngine

        return SshEngine(SshParams.from_target(name, params))
    if kind == "spark":
        try:
            from workbench.engines.spark.engine import SparkEngine
        except ImportError as exc:
            raise TargetError(f"target {name!r}: the Spark engine needs pyspark "
                              f"(pip install 'mlops-workbench[spark]'): {exc}") from None
        return SparkEngine(name, params)
    raise TargetError(f"target {name!r} has the unknown kind {kind!r}")
