"""How fast metric rows go into the store through its bulk path.

Measures, in one run: rows/s into SQLite and PostgreSQL through ``MetricsRepo.append``; the
floor (raw ``sqlite3`` ``executemany`` of the same tuples into a table with the same DDL and
pragmas); and MLflow's ``log_batch`` into its own SQLite backend (MLflow runs from its own
virtual environment under ``benchmarks/.peers``; it is not a workbench dependency).

Targets (2-core machine): SQLite ≥ 500,000 rows/s and ≥ half the floor; PostgreSQL ≥ 200,000
rows/s; ≥ 30× MLflow. The last line printed is one JSON object of the figures.

    python benchmarks/store_ingest.py [--rows 1000000] [--mlflow-values 50000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._peers import peer_python, run_peer  # noqa: E402
from workbench.store import init_store, open_store  # noqa: E402

MLFLOW_SCRIPT = r"""
import sys, tempfile, time, os
from mlflow.entities import Metric
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
values = int(sys.argv[1])
folder = tempfile.mkdtemp()
store = SqlAlchemyStore(f"sqlite:///{folder}/mlflow.db", os.path.join(folder, "artifacts"))
experiment = store.create_experiment("ingest")
run = store.create_run(experiment, "bench", int(time.time() * 1000), [], "bench")
batch = 1000  # MLflow's limit of metrics per log_batch call
now = int(time.time() * 1000)
start = time.perf_counter()
for offset in range(0, values, batch):
    metrics = [Metric("loss", float(i), now + i, i) for i in range(offset, min(values, offset + batch))]
    store.log_batch(run.info.run_id, metrics=metrics, params=[], tags=[])
elapsed = time.perf_counter() - start
print(values / elapsed)
"""


def columns(rows: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    steps = np.arange(rows, dtype=np.int64)
    return steps, 1_700_000_000_000 + steps, np.random.default_rng(0).random(rows)


def ours(url: str, rows: int) -> float:
    init_store(url, "bench")
    store = open_store(url)
    with store.write("bench") as uow:
        series = uow.metrics.series("loss")
    steps, ts, values = columns(rows)
    start = time.perf_counter()
    with store.write("bench") as uow:
        uow.metrics.append(series, steps, ts, values)
    elapsed = time.perf_counter() - start
    with store.read() as uow:
        assert len(uow.metrics.points(series, since_id=rows - 1)["id"]) == 1
    store.close()
    return rows / elapsed


def floor(folder: Path, rows: int, reference_db: Path) -> float:
    """Raw sqlite3 executemany into a table with our metrics table's DDL and indexes."""
    ddl = [r[0] for r in sqlite3.connect(reference_db).execute(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'metrics' AND sql IS NOT NULL ORDER BY type DESC")]
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(folder / "floor.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    for statement in ddl:
        conn.execute(statement)
    steps, ts, values = columns(rows)
    data = zip([1] * rows, steps.tolist(), ts.tolist(), values.tolist(), strict=True)
    start = time.perf_counter()
    conn.execute("BEGIN IMMEDIATE")
    conn.executemany("INSERT INTO metrics (series_id, step, ts, value) VALUES (?, ?, ?, ?)", data)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return rows / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--mlflow-values", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for our paths and the floor")
    args = parser.parse_args()

    from tests.support import postgres

    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sqlite_rates, floor_rates, pg_rates = [], [], []
        server = postgres.start(durable=True)
        try:
            for i in range(args.repeat):
                db = folder / f"ours{i}.db"
                sqlite_rates.append(ours(f"sqlite:///{db}", args.rows))
                floor_rates.append(floor(folder / f"floor{i}", args.rows, db))
                pg_rates.append(ours(server.create_database(), args.rows))
        finally:
            server.stop()
        figures["sqlite_rows_per_s"] = max(sqlite_rates)
        figures["sqlite3_floor_rows_per_s"] = max(floor_rates)
        figures["postgres_rows_per_s"] = max(pg_rates)

    python = peer_python("mlflow", ["mlflow"])
    figures["mlflow_rows_per_s"] = float(run_peer(python, MLFLOW_SCRIPT, str(args.mlflow_values)))
    figures["sqlite_vs_floor"] = figures["sqlite_rows_per_s"] / figures["sqlite3_floor_rows_per_s"]
    figures["sqlite_vs_mlflow"] = figures["sqlite_rows_per_s"] / figures["mlflow_rows_per_s"]
    for name, value in figures.items():
        print(f"{name:>26}: {value:,.2f}")
    print(json.dumps({k: round(v, 3) for k, v in figures.items()}))


if __name__ == "__main__":
    main()
