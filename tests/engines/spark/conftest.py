"""Real Spark for the Spark engine tests: one local[2] engine, and one standalone master +
worker on 127.0.0.1 with one engine on it, each shared by the whole session (a Spark session
takes seconds to start on two cores). Missing Java or pyspark skips locally and fails under
``WORKBENCH_REQUIRE_ALL=1``."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.engines.spark import cluster as spark_cluster
from tests.engines.support import Chain, Step
from tests.support.components import need
from workbench.engines.base import StepLaunch, StepOutcome

FAST = {"spark.driver.extraJavaOptions": spark_cluster.FAST_JVM,
        "spark.executor.extraJavaOptions": spark_cluster.FAST_JVM,
        "spark.sql.shuffle.partitions": "4", "spark.default.parallelism": "2"}


class KeepOpen:
    """An engine shared by several runs: ``RunDriver`` closes its engines at the end of a run;
    this one is closed by its fixture instead."""

    def __init__(self, engine: Any):
        self.engine = engine
        self.name = engine.name

    def run_step(self, launch: StepLaunch) -> StepOutcome:
        return self.engine.run_step(launch)

    def close(self) -> None:
        return None


class SparkChain:
    """Runs steps on a Spark engine the way the orchestrator does and stores their outputs
    content-addressed next to a runtime ``Chain`` (same artifact root), so Spark and local
    steps feed each other."""

    def __init__(self, chain: Chain, engine: Any):
        self.chain, self.engine = chain, engine
        self.lines: list[tuple[str, str]] = []
        self.events: list[dict[str, Any]] = []

    def launch(self, node_id: str, kind: str, params: dict[str, Any] | None = None,
               inputs: dict[str, list[dict[str, Any]]] | None = None, **extra: Any
               ) -> tuple[dict[str, Any], StepOutcome]:
        spec = self.chain.spec(node_id, kind, params, inputs)
        workdir = self.chain.root / "spark-work" / node_id
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        self.lines, self.events = [], []
        outcome = self.engine.run_step(StepLaunch(
            spec=spec, workdir=workdir, on_line=lambda s, line: self.lines.append((s, line)),
            on_event=self.events.append, **extra))
        spec["output_dir"] = str(workdir / "out")
        return spec, outcome

    def run(self, node_id: str, kind: str, params: dict[str, Any] | None = None,
            inputs: dict[str, list[dict[str, Any]]] | None = None) -> Step:
        spec, outcome = self.launch(node_id, kind, params, inputs)
        assert outcome.ok, (outcome.describe_failure(), outcome.log_tail[-10:])
        return self.chain.store(spec, outcome.result or {})


@pytest.fixture(scope="session")
def spark_ready() -> None:
    ok, why = spark_cluster.available()
    need(ok, why)


@pytest.fixture(scope="session")
def local_engine(spark_ready: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from workbench.engines.spark.engine import SparkEngine

    tables = tmp_path_factory.mktemp("tables")
    import pandas as pd

    pd.DataFrame({"id": [1, 2, 3], "amount": [10.0, 20.5, 31.0], "label": [0, 1, 1]}).to_parquet(
        tables / "sales.parquet", index=False)
    engine = SparkEngine("spark-local", {"master": "local[2]", "conf": {
        **FAST, "workbench.initSql":
            f"CREATE TEMPORARY VIEW sales USING parquet OPTIONS (path '{tables / 'sales.parquet'}')"}})
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def standalone(spark_ready: None) -> Iterator[spark_cluster.SparkCluster]:
    try:
        started = spark_cluster.start_cluster()
    except RuntimeError as exc:
        need(False, f"cannot start a Spark standalone cluster: {exc}")
        raise
    yield started
    started.stop()
    shutil.rmtree(started.root, ignore_errors=True)


def cluster_params(cluster: spark_cluster.SparkCluster, **conf: str) -> dict[str, Any]:
    return {"master": cluster.url, "conf": {**FAST, "workbench.lostWorkersTimeout": "8",
                                            **conf}}


@pytest.fixture(scope="session")
def cluster_engine(standalone: spark_cluster.SparkCluster) -> Iterator[Any]:
    from workbench.engines.spark.engine import SparkEngine

    engine = SparkEngine("cluster", cluster_params(standalone))
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def spark_chain_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("spark-chain"))


@pytest.fixture(scope="session")
def local_chain(spark_chain_root: Path) -> Chain:
    return Chain(spark_chain_root)


@pytest.fixture(scope="session")
def on_spark(local_chain: Chain, local_engine: Any) -> SparkChain:
    return SparkChain(local_chain, local_engine)


def wait_for(predicate: Any, timeout: float, what: str, poll: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def known_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "workbench_known_hosts"
    monkeypatch.setenv("WORKBENCH_KNOWN_HOSTS", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return path


@pytest.fixture
def store(tmp_path: Path, known_hosts: Path) -> Iterator[Any]:
    from tests.support.store_setup import cast_store

    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()
