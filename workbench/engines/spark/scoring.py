"""Executor ``inference`` on Spark: distributed batch scoring and prediction windows.

Models: a scikit-learn, torch or ensemble model file is verified (sha256) and loaded once on
the driver (to learn its task, classes and features), then its bytes (with an ensemble's
members) are broadcast ONCE; ``mapInPandas`` scores Arrow batches with the runtime's
``load_model`` / ``Predictor.predict_and_score``, each Python worker loading the model once
(the loaded predictor is cached per worker process by sha256, and Spark reuses its Python
workers). A ``spark_ml`` model (``train_spark``) is scored with its ``PipelineModel``.

Output (same columns as the runtime: ``row_id, prediction, score, model_version`` and
``timestamp`` in epoch ms when the data has one). The rule: predictions follow the data — a
spark-parquet input gives spark-parquet predictions (one part per partition, in partition
order); a single-file dataset (data that already fits one machine, e.g. from a local step)
gives one ``predictions.parquet`` in the data file's row order, exactly as the runtime writes
it (collected on the driver).

Only the model's feature columns (and the row keys) travel to the Python workers, and only
the keys, prediction and score come back (persisted while the step writes and summarises
them). Prediction windows are the runtime's (``window_rows`` rows in time order, else in
``row_id`` order; the same summary keys), computed with Spark aggregations per window, the
feature summaries from the data itself, the rest from the scored rows: means and
population standard deviations, minima, maxima, missing and distinct counts, class rates, and
the score histogram with numpy's bin rule (20 bins over [0, 1] for classifiers, over each
window's range for regression) reproduced in SQL. Sums run in another order than numpy's, so
means and deviations agree with the local engine to float rounding (~1e-12 relative).

Rules: pyspark, sklearn and torch are imported inside functions; the scored rows are persisted
while they are written and summarised, then released.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from workbench.engines.runtime.artifacts import ROW_ID, TIMESTAMP
from workbench.engines.runtime.events import log
from workbench.engines.runtime.models import SPARK_ML, Predictor, load_model
from workbench.engines.runtime.serving import HISTOGRAM_BINS, MAX_FEATURE_SUMMARIES, WINDOW_ROWS
from workbench.engines.runtime.spec import OutputArtifact, StepOutcome, jsonable
from workbench.engines.spark.datasets import is_distributed, read_input, write_manifest
from workbench.engines.spark.frames import POS, TS, epoch_ms, with_positions
from workbench.engines.spark.state import SparkStep, worker_error
from workbench.errors import InvalidInputError

__all__ = ["cached_predictor", "run_inference", "window_records"]

_PREDICTORS: dict[str, Predictor] = {}
_W = "_wb_window"


# ---------------------------------------------------------------------- model shipping
def _model_files(path: Path, sha: str, meta: dict[str, Any], root: Path | None,
                 into: dict[str, bytes]) -> None:
    """The model's bytes and, for an ensemble, every member's (recursively), by sha256."""
    import json

    data = Path(path).read_bytes()
    into[sha] = data
    if meta.get("framework") == "ensemble" and root is not None:
        manifest = json.loads(data.decode("utf-8"))
        for member in manifest.get("members") or []:
            member_sha = str(member.get("sha256") or "")
            if member_sha and member_sha not in into:
                _model_files(root / member_sha[:2] / member_sha, member_sha,
                             member.get("meta") or {}, root, into)


def cached_predictor(shipped: dict[str, Any]) -> Predictor:
    """The broadcast model, loaded (and sha256-verified) once per Python worker process."""
    sha = shipped["sha256"]
    predictor = _PREDICTORS.get(sha)
    if predictor is None:
        root = Path(tempfile.mkdtemp(prefix="workbench-model-"))
        try:
            for file_sha, data in shipped["files"].items():
                target = root / file_sha[:2] / file_sha
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
            predictor = load_model(root / sha[:2] / sha, sha, shipped["meta"], root)
        finally:
            shutil.rmtree(root, ignore_errors=True)
        _PREDICTORS[sha] = predictor
    return predictor


def _scorer(broadcast: Any, carry: list[str]) -> Any:
    def score(batches: Any) -> Any:
        predictor = cached_predictor(broadcast.value)
        for frame in batches:
            labels, scores = predictor.predict_and_score(frame)
            out = frame[carry].reset_index(drop=True)
            yield out.assign(prediction=labels, score=np.asarray(scores, dtype=np.float64))
    return score


def _label_type(predictor: Predictor) -> str:
    if not predictor.is_classifier:
        return "double"
    classes = list(predictor.classes)
    if classes and all(isinstance(c, bool) for c in classes):
        return "boolean"
    if classes and all(isinstance(c, int | np.integer) for c in classes):
        return "long"
    if classes and all(isinstance(c, float | np.floating) for c in classes):
        return "double"
    return "string"


def _score_python(state: SparkStep, model_in: Any, frame: Any, carry: list[str]
                  ) -> tuple[Any, Predictor]:
    from pyspark.sql.types import StructField, StructType, _parse_datatype_string

    ctx = state.ctx
    predictor = load_model(model_in.path, model_in.sha256, model_in.meta,
                           ctx.options.artifact_root)
    missing = [c for c in predictor.features if c not in frame.columns]
    if missing:
        raise InvalidInputError(
            f"the data lacks {len(missing)} feature column(s) the model "
            f"{predictor.model_name or predictor.framework!r} needs: {', '.join(missing[:10])}",
            where=ctx.where, hint="score data with the columns the model was trained on")
    files: dict[str, bytes] = {}
    root = Path(ctx.options.artifact_root) if ctx.options.artifact_root else None
    _model_files(model_in.path, model_in.sha256, dict(model_in.meta), root, files)
    shipped = {"sha256": model_in.sha256, "meta": dict(model_in.meta), "files": files}
    broadcast = state.sc.broadcast(shipped)
    state.info["model_broadcast_bytes"] = sum(len(b) for b in files.values())
    log(f"broadcast the {predictor.framework} model ({state.info['model_broadcast_bytes']} "
        "bytes) once; scoring with mapInPandas")
    schema = StructType([frame.schema[c] for c in carry] + [
        StructField("prediction", _parse_datatype_string(_label_type(predictor)), True),
        StructField("score", _parse_datatype_string("double"), True)])
    columns = carry + [c for c in predictor.features if c not in carry]
    return frame.select(*columns).mapInPandas(_scorer(broadcast, carry), schema), predictor


# ---------------------------------------------------------------------- windows
def _finite(col: Any) -> Any:
    from pyspark.sql import functions as F

    return col.isNotNull() & ~F.isnan(col) & ~col.isin(float("inf"), float("-inf"))


def _with_bins(frame: Any, x: Any, lo: Any, hi: Any) -> Any:
    """``frame`` with ``_bin``: numpy's bin of ``x`` in [lo, hi] (``np.histogram`` with 20
    equal bins): the first guess ``floor((x - lo) * bins / (hi - lo))``, then numpy's one-step
    corrections against the edges ``lo + k·step`` (``np.linspace``; the last edge is ``hi``),
    each stage its own column so no expression is evaluated twice per row."""
    from pyspark.sql import functions as F

    bins = HISTOGRAM_BINS
    step = (hi - lo) / F.lit(float(bins))

    def edge(i: Any) -> Any:
        return F.when(i == bins, hi).otherwise(i.cast("double") * step + lo)

    first = F.floor((x - lo) * (F.lit(float(bins)) / (hi - lo))).cast("int")
    frame = frame.withColumn("_b0", F.least(first, F.lit(bins - 1)))
    b0 = F.col("_b0")
    frame = frame.withColumn("_b1", F.when(x < edge(b0), b0 - 1).otherwise(b0))
    b1 = F.col("_b1")
    return frame.withColumn("_bin", F.when((x >= edge(b1 + 1)) & (b1 != bins - 1), b1 + 1)
                            .otherwise(b1)).drop("_b0", "_b1")


def _feature_aggs(frame: Any, names: list[str]) -> tuple[list[Any], list[tuple[str, str]]]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    aggs, plan = [], []
    for i, name in enumerate(names):
        col = F.col(f"`{name}`")
        dtype = frame.schema[name].dataType
        if isinstance(dtype, T.NumericType | T.BooleanType):
            value = col.cast("double")
            missing = value.isNull() | F.isnan(value)
            present = F.when(~missing, value)
            aggs += [F.sum(F.when(missing, 1).otherwise(0)).alias(f"f{i}_missing"),
                     F.avg(present).alias(f"f{i}_mean"), F.stddev_pop(present).alias(f"f{i}_std"),
                     F.min(present).alias(f"f{i}_min"), F.max(present).alias(f"f{i}_max")]
            plan.append((name, "numeric"))
        else:
            aggs += [F.sum(F.when(col.isNull(), 1).otherwise(0)).alias(f"f{i}_missing"),
                     F.countDistinct(col).alias(f"f{i}_distinct")]
            plan.append((name, "other"))
    return aggs, plan


def window_records(state: SparkStep, scored: Any, data: Any, predictor: Predictor, size: int,
                   has_ts: bool) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The runtime's prediction windows (see the module docstring), and overall metrics:
    score, class and time aggregates from the scored rows, feature summaries from the data."""
    from pyspark.sql import functions as F

    frame = scored.withColumn(_W, F.floor(F.col(POS) / size).cast("long"))
    score = F.col("score")
    finite = F.when(_finite(score), score)
    classes = list(predictor.classes) if predictor.is_classifier else []
    aggs = [F.count(F.lit(1)).alias("count"), F.avg(finite).alias("score_mean"),
            F.stddev_pop(finite).alias("score_std"), F.min(finite).alias("score_min"),
            F.max(finite).alias("score_max"), F.count(finite).alias("n_finite")]
    if has_ts:
        aggs += [F.min(TS).alias("ts_min"), F.max(TS).alias("ts_max")]
    for i, c in enumerate(classes):
        aggs.append(F.avg(F.when(F.col("prediction") == F.lit(c), 1.0).otherwise(0.0))
                    .alias(f"class_{i}"))
    names = [n for n in list(predictor.features)[:MAX_FEATURE_SUMMARIES] if n in data.columns]
    feature_aggs, plan = _feature_aggs(data, names)
    rows = {int(r[_W]): r.asDict() for r in frame.groupBy(_W).agg(*aggs).collect()}
    state.check_cancel()
    if feature_aggs:
        windowed = data.withColumn(_W, F.floor(F.col(POS) / size).cast("long"))
        for r in windowed.groupBy(_W).agg(*feature_aggs).collect():
            rows[int(r[_W])].update(r.asDict())
    state.check_cancel()
    # score histograms: fixed [0, 1] for classifiers, each window's own range for regression
    limits = {}
    for w, row in rows.items():
        if predictor.is_classifier:
            lo, hi = 0.0, 1.0
        elif row["score_min"] is not None:
            lo, hi = float(row["score_min"]), float(row["score_max"])
            hi = hi if hi > lo else lo + 1.0
        else:
            lo, hi = 0.0, 1.0
        limits[w] = (lo, hi)
    counts = {w: [0] * HISTOGRAM_BINS for w in rows}
    finite_scores = frame.where(_finite(score)).select(_W, "score")
    if predictor.is_classifier:
        lo, hi = F.lit(0.0), F.lit(1.0)
    else:  # each window's own range
        bounds = state.spark.createDataFrame([(w, a, b) for w, (a, b) in limits.items()],
                                             f"{_W} long, _lo double, _hi double")
        finite_scores = finite_scores.join(F.broadcast(bounds), _W)
        lo, hi = F.col("_lo"), F.col("_hi")
    binned = _with_bins(finite_scores.withColumn("_x", F.least(F.greatest(score, lo), hi)),
                        F.col("_x"), lo, hi)
    for r in binned.groupBy(_W, "_bin").count().collect():
        counts[int(r[_W])][int(r["_bin"])] += int(r["count"])
    windows = []
    for w in sorted(rows):
        row = rows[w]
        lo, hi = limits[w]
        summary: dict[str, Any] = {
            "count": int(row["count"]), "score_mean": row["score_mean"],
            "score_std": row["score_std"],
            "score_histogram": {"edges": np.linspace(lo, hi, HISTOGRAM_BINS + 1).tolist(),
                                "counts": counts[w]},
            "positive_rate": None,
        }
        if predictor.is_classifier:
            summary["class_rates"] = {str(c): float(row[f"class_{i}"])
                                      for i, c in enumerate(classes)}
            if len(classes) == 2:
                summary["positive_rate"] = float(row["class_1"])
        features = {}
        for i, (name, kind) in enumerate(plan):
            if kind == "numeric":
                stats = {k: row[f"f{i}_{k}"] for k in ("mean", "std", "min", "max")}
                features[name] = {**stats, "missing": int(row[f"f{i}_missing"] or 0)}
            else:
                features[name] = {"missing": int(row[f"f{i}_missing"] or 0),
                                  "distinct": int(row[f"f{i}_distinct"])}
        summary["features"] = features
        start = int(row["ts_min"]) if has_ts else state.ctx.started_ms
        end = int(row["ts_max"]) if has_ts else state.ctx.started_ms
        windows.append({"window_start": start, "window_end": end, "count": int(row["count"]),
                        "summary": jsonable(summary)})
    total = sum(int(r["count"]) for r in rows.values())
    finite_n = sum(int(r["n_finite"]) for r in rows.values())
    overall: dict[str, Any] = {"rows": total, "windows": len(windows)}
    if finite_n:
        overall["score_mean"] = sum((r["score_mean"] or 0.0) * int(r["n_finite"])
                                    for r in rows.values()) / finite_n
    if predictor.is_classifier and len(classes) == 2:
        overall["positive_rate"] = sum(float(r["class_1"]) * int(r["count"])
                                       for r in rows.values()) / max(total, 1)
    return windows, overall


def _in_file_order(predictions: Any, path: Path) -> Any:
    """Predictions in the row order of the (single-file) data, as the runtime writes them:
    windows in time order may have sorted the rows."""
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except Exception:  # a CSV dataset: Spark kept its order
        return predictions
    if ROW_ID in schema.names:
        order = pq.read_table(path, columns=[ROW_ID]).column(ROW_ID).to_numpy()
    else:
        order = np.arange(len(predictions), dtype=np.int64)
    return predictions.set_index(ROW_ID).loc[order].reset_index()


# ---------------------------------------------------------------------- the executor
def run_inference(state: SparkStep) -> StepOutcome:
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    ctx = state.ctx
    model_in = ctx.input("model", required=False)
    if model_in is None:
        raise InvalidInputError(
            "no model to serve: the 'model' input is empty", where=ctx.where,
            hint="connect a model, or set model_name and alias so the orchestrator resolves one")
    data_in = ctx.require("data")
    if ctx.param("expectations", None):
        raise InvalidInputError("parameter 'expectations': a scored batch is checked against them on "
                                "local and SSH targets only", where=ctx.where,
                                hint="run this node on a local or SSH target, or remove its expectations")
    mode = str(ctx.param("mode", "batch"))
    if mode != "batch":
        log(f"mode {mode!r} inside a run: the data is scored as one batch")
    frame = read_input(state.spark, data_in, ctx.where)
    has_ts = TIMESTAMP in frame.columns
    if has_ts:
        frame = frame.withColumn(TS, epoch_ms(frame, TIMESTAMP, ctx.where))
    frame = with_positions(frame, [TS, ROW_ID] if has_ts else [ROW_ID])
    carry = [ROW_ID, POS] + ([TS] if has_ts else [])
    state.check_cancel()
    if model_in.meta.get("framework") == SPARK_ML:
        from workbench.engines.spark.mllib import score_spark_ml

        scored, predictor = score_spark_ml(state, model_in, frame)
        scored = scored.select(*carry, "prediction", "score")
    else:
        scored, predictor = _score_python(state, model_in, frame, carry)
    version = ctx.options.model_version_label
    scored = scored.persist(StorageLevel.MEMORY_AND_DISK)
    clock = time.perf_counter()
    phases: dict[str, float] = {}
    try:
        try:
            n = scored.count()
        except Exception as exc:
            raise (worker_error(exc) or exc) from None
        if n == 0:
            raise InvalidInputError("the data to score has no rows", where=ctx.where)
        phases["score_s"], clock = round(time.perf_counter() - clock, 2), time.perf_counter()
        state.check_cancel()
        columns = [F.col(ROW_ID).cast("long").alias(ROW_ID), F.col("prediction"),
                   F.col("score"), F.lit(version).alias("model_version")]
        if has_ts:
            columns.append(F.col(TS).alias(TIMESTAMP))
        out = scored.select(*columns)
        if is_distributed(data_in):
            manifest = write_manifest(out, state.data_dir, ctx.output_dir, "predictions.json")
            name, layout = "predictions.json", {"format": "spark-parquet",
                                                "parts": len(manifest["files"])}
        else:
            local = _in_file_order(out.toPandas(), data_in.path)
            local["model_version"] = local["model_version"].astype("string")
            local.to_parquet(ctx.output_dir / "predictions.parquet", index=False)
            name, layout = "predictions.parquet", {}
        phases["write_s"], clock = round(time.perf_counter() - clock, 2), time.perf_counter()
        state.check_cancel()
        size = max(1, int(ctx.param("window_rows", WINDOW_ROWS)))
        windows, overall = window_records(state, scored, frame, predictor, size, has_ts)
        phases["windows_s"] = round(time.perf_counter() - clock, 2)
    finally:
        scored.unpersist()
    state.info["phases"] = phases
    meta = {"rows": n, "model_version": version, "model_sha256": model_in.sha256,
            "model_name": predictor.model_name, "task": predictor.task,
            "classes": list(predictor.classes), "data_sha256": data_in.sha256, "mode": mode,
            **layout}
    log(f"scored {n} rows with {predictor.model_name or predictor.framework}"
        f"{' (' + version + ')' if version else ''} in {len(windows)} window(s) on Spark "
        f"(scoring {phases['score_s']} s, writing {phases['write_s']} s, windows "
        f"{phases['windows_s']} s)")
    return StepOutcome(
        outputs={"predictions": (OutputArtifact(name, "predictions", meta),)},
        metrics=overall, info={"rows": n}, records={"prediction_windows": windows})
