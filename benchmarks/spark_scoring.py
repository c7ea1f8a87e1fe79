"""Distributed batch scoring on a local Spark standalone cluster vs the local engine.

One synthetic numeric dataset of ``--rows`` rows (default 5,000,000; 10 float64 features and
a binary label) is written as a Parquet file; a small scikit-learn model (``--model``: a
20-tree, depth-8 random forest, or a logistic regression) is trained locally by the runtime's
``train_sklearn`` on a 100,000-row sample. Then the same ``inference`` step scores every row:

* local — the local engine (``LocalEngine``: ``python -m workbench.engines.runtime`` in a
  subprocess, as a run does it), reading the Parquet file;
* spark — the Spark engine on a standalone cluster started here (one master, one worker with
  ``--cores`` cores, on 127.0.0.1), reading the same rows as a spark-parquet dataset that a
  Spark ``data_source`` step wrote first (so the session and the executors are warm: the
  figure is the scoring step, its session start is reported apart).

Both steps do all of an inference step's work: read, score, write the predictions, and
compute the prediction windows (``window_rows`` rows each). Times are the engine's
``run_step`` wall time. The last line printed is one JSON object: ``spark_rows_per_s``,
``local_rows_per_s`` and the details.

    python benchmarks/spark_scoring.py [--rows 5000000] [--cores 2] [--model forest|logistic]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.engines.base import StepLaunch  # noqa: E402
from workbench.engines.local import LocalEngine  # noqa: E402
from workbench.engines.runtime.artifacts import sha256_file  # noqa: E402

FEATURES = 10
MODELS = {
    "forest": ("sklearn.ensemble.RandomForestClassifier",
               {"n_estimators": 20, "max_depth": 8, "n_jobs": 1}),
    "logistic": ("sklearn.linear_model.LogisticRegression", {"max_iter": 1000}),
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_data(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    columns = {"row_id": np.arange(rows, dtype=np.int64)}
    weights = rng.normal(size=FEATURES)
    logit = np.zeros(rows)
    for i in range(FEATURES):
        values = rng.normal(size=rows)
        columns[f"x{i}"] = values
        logit += weights[i] * values
    columns["target"] = (logit + rng.normal(size=rows) > 0).astype(np.int64)
    pd.DataFrame(columns).to_parquet(path, index=False)


class Store:
    """A content-addressed folder, as the orchestrator keeps artifacts."""

    def __init__(self, root: Path):
        self.root = root

    def put(self, source: Path, kind: str, meta: dict[str, Any]) -> dict[str, Any]:
        sha = sha256_file(source)
        target = self.root / sha[:2] / sha
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        return {"path": str(target), "sha256": sha, "kind": kind, "meta": meta}


def run(engine: Any, store: Store, work: Path, node: str, kind: str, params: dict[str, Any],
        inputs: dict[str, list[dict[str, Any]]]) -> tuple[dict[str, Any], dict[str, Any], float]:
    workdir = work / node
    workdir.mkdir(parents=True)
    spec = {"node": {"id": node, "kind": kind, "params": params}, "inputs": inputs,
            "options": {"seed": 0, "device": "cpu", "artifact_root": str(store.root)},
            "run": {"run_id": 1, "step_id": abs(hash(node)) % 10**6}}
    started = time.perf_counter()
    outcome = engine.run_step(StepLaunch(spec=spec, workdir=workdir))
    elapsed = time.perf_counter() - started
    if not outcome.ok:
        raise SystemExit(f"{node} failed: {outcome.describe_failure()}\n" + "\n".join(outcome.log_tail))
    result = outcome.result or {}
    stored = {port: [store.put(workdir / "out" / e["file"], e["kind"], e["meta"]) for e in entries]
              for port, entries in result["outputs"].items()}
    return result, stored, elapsed


class Cluster:
    def __init__(self, root: Path, cores: int, memory: str):
        import pyspark

        self.root, self.cores, self.memory = root, cores, memory
        self.home = Path(pyspark.__file__).parent
        self.port, self.web = free_port(), free_port()
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def _spawn(self, *args: str, log: str) -> None:
        env = {**os.environ, "SPARK_HOME": str(self.home), "SPARK_LOCAL_IP": "127.0.0.1",
               "PYSPARK_PYTHON": sys.executable}
        handle = open(self.root / log, "ab")  # noqa: SIM115 - the JVM keeps writing to it
        self.procs.append(subprocess.Popen([str(self.home / "bin" / "spark-class"), *args],
                                           env=env, stdout=handle, stderr=subprocess.STDOUT))

    def start(self) -> float:
        started = time.perf_counter()
        self._spawn("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                    str(self.port), "--webui-port", str(self.web), log="master.log")
        self._spawn("org.apache.spark.deploy.worker.Worker", self.url, "--host", "127.0.0.1",
                    "--webui-port", str(free_port()), "--cores", str(self.cores), "--memory",
                    self.memory, "--work-dir", str(self.root / "work"), log="worker.log")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.web}/json/", timeout=5) as r:
                    if any(w["state"] == "ALIVE" for w in json.loads(r.read())["workers"]):
                        return time.perf_counter() - started
            except OSError:
                pass
            time.sleep(0.5)
        raise SystemExit("the Spark worker did not register")

    def stop(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--model", choices=sorted(MODELS), default="forest")
    parser.add_argument("--window-rows", type=int, default=500)
    parser.add_argument("--dir", default=None, help="scratch folder (default: a temp folder)")
    args = parser.parse_args()
    if shutil.which("java") is None:
        raise SystemExit("Java is needed for Spark")
    from workbench.engines.spark.engine import SparkEngine

    work = Path(tempfile.mkdtemp(prefix="wb-spark-bench-", dir=args.dir))
    store = Store(work / "artifacts")
    figures: dict[str, Any] = {"rows": args.rows, "model": args.model, "cores": args.cores,
                               "python": platform.python_version()}
    cluster = Cluster(work, args.cores, "4g")
    engine = None
    try:
        t = time.perf_counter()
        data_path = work / "data.parquet"
        make_data(data_path, args.rows)
        sample = work / "sample.parquet"
        pd.read_parquet(data_path).sample(100_000, random_state=0).to_parquet(sample, index=False)
        print(f"data: {args.rows:,} rows x {FEATURES} features ({data_path.stat().st_size / 2**20:.0f} "
              f"MiB) in {time.perf_counter() - t:.1f} s")
        local = LocalEngine()
        meta = {"target": "target", "rows": args.rows, "source_sha256": None, "source": "bench"}
        data = store.put(data_path, "dataset", meta)
        train_in = store.put(sample, "dataset", {**meta, "rows": 100_000})
        estimator, params = MODELS[args.model]
        _, trained, took = run(local, store, work / "steps", "train", "train_sklearn",
                               {"estimator": estimator, "estimator_params": params},
                               {"data": [train_in]})
        print(f"trained {estimator} locally in {took:.1f} s")
        scoring = {"window_rows": args.window_rows}
        result, _, local_s = run(local, store, work / "steps", "score_local", "inference", scoring,
                                 {"data": [data], "model": trained["model"]})
        figures["local_step_s"] = round(local_s, 2)
        figures["local_rows_per_s"] = round(args.rows / local_s)
        figures["windows"] = len(result["records"]["prediction_windows"])
        print(f"local engine: {local_s:.1f} s, {args.rows / local_s:,.0f} rows/s")

        figures["cluster_start_s"] = round(cluster.start(), 1)
        engine = SparkEngine("bench", {"master": cluster.url, "conf": {
            "spark.executor.memory": "3g", "spark.driver.memory": "2g"}})
        _, spread, data_s = run(engine, store, work / "steps", "spark_data", "data_source",
                                {"format": "parquet", "path": str(data_path)}, {})
        figures["spark_session_and_data_s"] = round(data_s, 1)
        print(f"spark: cluster up in {figures['cluster_start_s']} s; session + data source "
              f"({spread['data'][0]['meta']['rows']:,} rows) in {data_s:.1f} s")
        result, _, spark_s = run(engine, store, work / "steps", "score_spark", "inference", scoring,
                                 {"data": spread["data"], "model": trained["model"]})
        figures["spark_step_s"] = round(spark_s, 2)
        figures["spark_rows_per_s"] = round(args.rows / spark_s)
        figures["spark_master"] = cluster.url
        figures["spark_phases_s"] = result["info"].get("spark", {}).get("phases")
        assert len(result["records"]["prediction_windows"]) == figures["windows"]
        print(f"spark engine ({args.cores} cores): {spark_s:.1f} s, {args.rows / spark_s:,.0f} rows/s")
    finally:
        if engine is not None:
            engine.close()
        cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
