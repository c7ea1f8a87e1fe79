"""Running one step in the Spark driver: the executor per node kind, and the result file.

``run_spark_spec(state, spec)`` is the driver's ``run_spec``: it parses the spec with the
runtime's ``StepSpec``, runs the kind's executor below and writes ``<output_dir>/result.json``
in the runtime's shape (``info.device`` is ``"spark"``, ``info.spark`` names the version,
master, application and live executors), so the orchestrator ingests it unchanged. A
``WorkbenchError`` becomes ``{"error": message}`` (exit status 1); any other failure too,
with the traceback in the step's log and the message shortened to its cause (a Python
worker's exception is named by its last line).

Where each kind runs on a Spark target:

* ``data_source`` — csv / parquet (a file, a directory or any URL Spark reads), ``table``
  (``spark.table(query)``) and ``sql`` without a ``url`` (``spark.sql(query)``) are read by
  Spark and written as a spark-parquet manifest (``datasets``) with ``row_id`` (kept when the
  source has unique integers, else 0..n-1 in source order) and the runtime's meta
  (``source_sha256`` hashes a local file's bytes, or a local directory's files; other sources
  have none); ``builtin`` and ``sql`` with a ``url`` run the runtime's executor on the driver
  (one Parquet file, exactly the runtime's output);
* ``train_sklearn`` / ``train_torch`` — the runtime's own executor inside ONE Spark task on
  the cluster: the input files travel to the task in a broadcast (a spark-parquet input is
  first gathered into one Parquet file: this is for data that fits one machine), the task runs
  ``run_spec`` in a temporary folder and returns its output files and log, which the driver
  writes into the step's folder and replays into the step's log (training curves arrive when
  the task ends). The model file and its meta are those a local run makes;
* ``train_spark`` — Spark MLlib (``mllib``); ``inference`` — ``scoring``; ``drift_monitor``
  — ``drift``;
* ``evaluate``, ``ensemble``, ``comparator``, ``kpi_source`` — the runtime's executor on the
  driver (their inputs are files; spark-parquet inputs are read through the manifest).

Rules: pyspark is imported inside functions; executors call ``state.check_cancel()`` between
Spark jobs so a cancel is honoured even when no job is running.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.engines.runtime.artifacts import ROW_ID, read_table, sha256_file, verify_inputs
from workbench.engines.runtime.events import log
from workbench.engines.runtime.metrics import scalar_metrics
from workbench.engines.runtime.spec import (
    RECORD_KINDS,
    OutputArtifact,
    StepContext,
    StepOutcome,
    StepSpec,
)
from workbench.engines.runtime.step import runtime_info, write_result
from workbench.engines.spark.datasets import (
    MANIFEST_META_FORMAT,
    is_distributed,
    restore_nanos,
    write_manifest,
)
from workbench.engines.spark.drift import run_drift_monitor
from workbench.engines.spark.frames import POS, with_positions
from workbench.engines.spark.mllib import run_train_spark
from workbench.engines.spark.scoring import run_inference
from workbench.engines.spark.state import SparkStep, spark_error_message
from workbench.errors import InvalidInputError, UnusableInputError, WorkbenchError

__all__ = ["executor_for", "parse", "run_spark_spec", "write_error"]

ON_DRIVER = frozenset({"evaluate", "ensemble", "comparator", "kpi_source", "ab_test"})
IN_TASK = frozenset({"train_sklearn", "train_torch", "transform"})
SPARK_FORMATS = frozenset({"csv", "parquet", "table"})


# ---------------------------------------------------------------------- the result file
def _empty_records() -> dict[str, Any]:
    return {kind: [] for kind in RECORD_KINDS}


def _spark_info(state: SparkStep) -> dict[str, Any]:
    try:
        executors = int(state.sc._jsc.sc().getExecutorMemoryStatus().size())
        if not state.master.startswith("local"):
            executors -= 1  # the driver's own block manager
        return {"version": state.spark.version, "master": state.master,
                "app_id": state.sc.applicationId, "executors": executors,
                "default_parallelism": state.sc.defaultParallelism}
    except Exception:
        return {"master": state.master}


def _result(state: SparkStep, outcome: StepOutcome, started: float) -> dict[str, Any]:
    ctx = state.ctx
    outputs: dict[str, list[dict[str, Any]]] = {}
    for port, artifacts in outcome.outputs.items():
        for artifact in artifacts:
            if not (ctx.output_dir / artifact.file).is_file():
                raise RuntimeError(f"executor of {ctx.where} declared {artifact.file!r} "
                                   "but did not write it")
        outputs[port] = [a.to_dict() for a in artifacts]
    info = {"device": "spark", "gpu": None, "rows": None, **runtime_info(),
            **outcome.info, "spark": {**_spark_info(state), **state.info}}
    info["duration_ms"] = int((time.perf_counter() - started) * 1000)
    return {"outputs": outputs, "metrics": scalar_metrics(dict(outcome.metrics)), "info": info,
            "records": {**_empty_records(), **outcome.records},
            "signals": dict(outcome.signals), "error": None}


def write_error(output_dir: Path, message: str, started: float) -> None:
    info = {"device": "spark", "gpu": None, "rows": None, **runtime_info(),
            "duration_ms": int((time.perf_counter() - started) * 1000)}
    output_dir.mkdir(parents=True, exist_ok=True)
    write_result(output_dir, {"outputs": {}, "metrics": {}, "info": info,
                              "records": _empty_records(), "signals": {}, "error": message})


def run_spark_spec(state: SparkStep) -> dict[str, Any]:
    """Run the step on Spark; write and return its result (errors propagate, see the driver)."""
    started = time.perf_counter()
    ctx = state.ctx
    try:
        ctx.output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnusableInputError(f"cannot create the output folder: {exc.strerror}",
                                 where=str(ctx.output_dir)) from None
    verify_inputs(ctx.spec.inputs, ctx.where)
    outcome = executor_for(ctx.spec.kind, ctx.where)(state)
    result = _result(state, outcome, started)
    write_result(ctx.output_dir, result)
    return result


def parse(spec: dict[str, Any]) -> StepContext:
    return StepContext(StepSpec.from_dict(spec))


# ---------------------------------------------------------------------- data_source
def _source_hash(raw: str) -> str | None:
    path = Path(raw).expanduser()
    if path.is_file():
        return sha256_file(path)
    if path.is_dir():
        import hashlib

        digest = hashlib.sha256()
        for file in sorted(p for p in path.rglob("*") if p.is_file()
                           and not p.name.startswith((".", "_"))):
            digest.update(f"{file.relative_to(path)}\0{sha256_file(file)}\n".encode())
        return digest.hexdigest()
    return None


def _with_row_ids(frame: Any, where: str) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if ROW_ID not in frame.columns:
        numbered = with_positions(frame).withColumnRenamed(POS, ROW_ID)
        return numbered.select(ROW_ID, *[c for c in frame.columns])
    dtype = frame.schema[ROW_ID].dataType
    stats = frame.agg(F.count(F.col(ROW_ID)), F.count(F.lit(1)),
                      F.countDistinct(F.col(ROW_ID))).first()
    if not isinstance(dtype, T.IntegralType) or stats[0] != stats[1] or stats[2] != stats[1]:
        raise InvalidInputError(
            "the source's 'row_id' column must hold unique integers", where=where,
            hint="rename the column, or drop it so that row ids are assigned")
    return frame.withColumn(ROW_ID, F.col(ROW_ID).cast("long"))


def run_data_source(state: SparkStep) -> StepOutcome:
    ctx = state.ctx
    fmt = str(ctx.param("format", "builtin")).strip().lower()
    query = str(ctx.param("query", "")).strip()
    on_spark = fmt in SPARK_FORMATS or (fmt == "sql" and not str(ctx.param("url", "")).strip())
    if not on_spark:
        from workbench.engines.runtime.data import run_data_source as runtime_data_source

        log(f"format {fmt!r}: read on the Spark driver the runtime's way (one Parquet file)")
        return runtime_data_source(ctx)
    spark = state.spark
    sha: str | None = None
    try:
        if fmt == "table":
            if not query:
                raise InvalidInputError("format 'table' needs the table name in 'query'",
                                        where=ctx.where)
            frame, source = spark.table(query), f"table:{query}"
        elif fmt == "sql":
            if not query:
                raise InvalidInputError("format 'sql' needs a 'query'", where=ctx.where)
            frame, source = spark.sql(query), f"spark-sql:{query}"
        else:
            raw = str(ctx.param("path", "")).strip()
            if not raw:
                raise InvalidInputError(f"format {fmt!r} needs a 'path'", where=ctx.where)
            local = "://" not in raw
            if local and not Path(raw).expanduser().exists():
                raise UnusableInputError(f"data file {raw!r} does not exist", where=ctx.where,
                                         hint="check the node's 'path' parameter")
            target = str(Path(raw).expanduser().resolve()) if local else raw
            reader = spark.read
            frame = (reader.parquet(target) if fmt == "parquet"
                     else reader.csv(target, header=True, inferSchema=True))
            if fmt == "parquet" and local:
                frame = restore_nanos(frame, Path(target))
            source, sha = target, (_source_hash(raw) if local else None)
    except WorkbenchError:
        raise
    except Exception as exc:
        raise UnusableInputError(f"Spark cannot read the {fmt} source: "
                                 f"{spark_error_message(exc)}", where=ctx.where) from None
    state.check_cancel()
    target_col = str(ctx.param("target", "target")).strip()
    if target_col and target_col not in frame.columns:
        raise InvalidInputError(
            f"the target column {target_col!r} is not in {source}", where=ctx.where,
            hint=f"columns: {', '.join(frame.columns[:20])}; set 'target' (empty for "
                 "unlabelled data)")
    frame = _with_row_ids(frame, ctx.where)
    state.check_cancel()
    manifest = write_manifest(frame, state.data_dir, ctx.output_dir, "data.json")
    if manifest["rows"] == 0:
        raise InvalidInputError(f"{source} has no rows", where=ctx.where)
    meta = {"format": MANIFEST_META_FORMAT, "target": target_col or None,
            "rows": manifest["rows"], "columns": manifest["columns"], "source_sha256": sha,
            "source": source}
    log(f"read {manifest['rows']} rows x {len(manifest['columns'])} columns from {source} into "
        f"{len(manifest['files'])} Parquet part(s) under {manifest['directory']}")
    return StepOutcome(outputs={"data": (OutputArtifact("data.json", "dataset", meta),)},
                       metrics={"rows": manifest["rows"], "columns": len(manifest["columns"])},
                       info={"rows": manifest["rows"]})


# ---------------------------------------------------------------------- runtime in one task
def _input_bytes(artifact: Any, where: str) -> bytes:
    if is_distributed(artifact):
        frame = read_table(artifact.path, where, "dataset")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return Path(artifact.path).read_bytes()


def task_main(payload: dict[str, Any]) -> dict[str, Any]:
    """Inside the Spark task: run the runtime's step in a temporary folder, return its files."""
    from workbench.engines.runtime.step import run_spec

    work = Path(tempfile.mkdtemp(prefix="workbench-task-"))
    try:
        spec = payload["spec"]
        for port, entries in spec.get("inputs", {}).items():
            for i, entry in enumerate(entries):
                path = work / "in" / f"{port}-{i}"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(payload["files"][f"{port}/{i}"])
                entry["path"] = str(path)
        spec["output_dir"] = str(work / "out")
        spec["options"] = {**spec.get("options", {}), "artifact_root": str(work / "artifacts")}
        buffer, error = io.StringIO(), None
        with contextlib.redirect_stdout(buffer):
            try:
                run_spec(spec)
            except WorkbenchError as exc:
                error = str(exc)
            except Exception:
                error = traceback.format_exc()
        out = work / "out"
        files = {str(p.relative_to(out)): p.read_bytes() for p in out.rglob("*") if p.is_file()}
        return {"files": files, "stdout": buffer.getvalue(), "error": error,
                "host": socket.gethostname(), "pid": os.getpid()}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _run_partition(broadcast: Any) -> Callable[[Any], Any]:
    def run(_: Any) -> Any:
        yield task_main(dict(broadcast.value))
    return run


def run_in_task(state: SparkStep) -> StepOutcome:
    import copy

    ctx = state.ctx
    spec = copy.deepcopy(state.raw_spec)
    files = {}
    for port, entries in spec.get("inputs", {}).items():
        for i, entry in enumerate(entries):
            artifact = ctx.spec.inputs[port][i]
            files[f"{port}/{i}"] = _input_bytes(artifact, ctx.where)
            entry["meta"] = dict(artifact.meta)
    size = sum(len(b) for b in files.values())
    log(f"running {ctx.spec.kind} inside one Spark task ({size / 2**20:.1f} MiB of input)")
    broadcast = state.sc.broadcast({"spec": spec, "files": files})
    try:
        state.check_cancel()
        (reply,) = state.sc.parallelize([0], 1).mapPartitions(_run_partition(broadcast)).collect()
    finally:
        broadcast.destroy()
    for line in reply["stdout"].splitlines():
        print(line, flush=True)
    log(f"the task ran on {reply['host']} (Python worker pid {reply['pid']})")
    state.info["task_host"] = reply["host"]
    if reply["error"]:
        raise WorkbenchError(reply["error"].strip().splitlines()[-1] if "Traceback" in
                             reply["error"] else reply["error"])
    for relative, data in reply["files"].items():
        target = (ctx.output_dir / relative).resolve()
        if ctx.output_dir.resolve() not in target.parents:
            raise UnusableInputError(f"the task returned the output path {relative!r}",
                                     where=ctx.where)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    import json

    result = json.loads(reply["files"]["result.json"].decode("utf-8"))
    outputs = {port: tuple(OutputArtifact(e["file"], e["kind"], e.get("meta") or {})
                           for e in entries)
               for port, entries in (result.get("outputs") or {}).items()}
    info = {k: v for k, v in (result.get("info") or {}).items() if k != "duration_ms"}
    state.info["task_device"] = info.pop("device", None)
    state.info["task_gpu"] = info.pop("gpu", None)
    return StepOutcome(outputs=outputs, metrics=result.get("metrics") or {}, info=info,
                       records=result.get("records") or {}, signals=result.get("signals") or {})


def run_on_driver(state: SparkStep) -> StepOutcome:
    from workbench.engines.runtime.registry import EXECUTORS

    log(f"{state.ctx.spec.kind} runs on the Spark driver with the runtime's executor")
    return EXECUTORS[state.ctx.spec.kind](state.ctx)


# ---------------------------------------------------------------------- dispatch
def executor_for(kind: str, where: str) -> Callable[[SparkStep], StepOutcome]:
    if kind == "data_source":
        return run_data_source
    if kind in IN_TASK:
        return run_in_task
    if kind in ON_DRIVER:
        return run_on_driver
    if kind == "train_spark":
        return run_train_spark
    if kind == "inference":
        return run_inference
    if kind == "drift_monitor":
        return run_drift_monitor
    from workbench.engines.runtime.registry import executor_for as runtime_executor_for

    runtime_executor_for(kind, where)  # raises the runtime's error for orchestrator kinds
    raise InvalidInputError(f"the Spark engine has no executor for node kind {kind!r}",
                            where=where)
