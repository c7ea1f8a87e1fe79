"""Executor ``drift_monitor`` on Spark: the reference profiled in Spark, windows compared with
the same ``workbench.monitoring`` code as the local engine.

Reference profile (a ``workbench.monitoring.ReferenceProfile``, built from Spark aggregates
instead of ``fit_profile``): column kinds follow ``monitoring.columns`` (Spark booleans are
boolean; integers without nulls whose values are all 0/1 are boolean, other numbers numeric;
text columns are judged by ``detect_kind`` on their first 1,000 non-null values, as the local
rule samples them; dates, times and nested types are skipped). Numeric columns: counts of
rows, missing and infinite values, mean, population std, min and max of the finite values in
one aggregation pass. A column with at most ``SKETCH_SIZE`` (10,000) finite values is
collected and profiled exactly as locally. Larger ones keep a quantile sketch: the PSI (10)
and fine (100) reference-quantile bin edges and ``SKETCH_SIZE`` evenly spaced order
statistics come from ``approxQuantile`` with relative error ``RELATIVE_ERROR`` (1e-4: each
edge's rank is within 0.01 % of n of the exact one), and the reference counts in those bins
(right-closed, as ``univariate.bin_counts``) are counted exactly in Spark. Categorical and
boolean columns: category counts by ``groupBy``.

Current windows: rows in time order (``timestamp``, then ``row_id``), else ``row_id`` order,
cut into ``window_size`` rows (a last window shorter than half a window merges into the one
before, as locally); each window is compared in a grouped ``applyInPandas`` with
``monitoring.compare`` against the broadcast profile (loaded once per Python worker), so
every method (PSI, JS, KS, chi², Wasserstein) is the local engine's code on the same window.
Records, alerts (``consecutive_windows`` drifted windows in a row), metrics and prediction
drift (each predictions window against the first) are the runtime's.

Agreement with the local engine on the same data (tested): identical for references up to
10,000 values per column; beyond, PSI and Jensen–Shannon within 0.01, the KS statistic within
``δ = RELATIVE_ERROR + 1 / SKETCH_SIZE`` (0.0002: the sketch's CDF is within δ of the
reference's everywhere) and the normalised Wasserstein distance within ``δ · (max − min) /
std`` of the reference, since only the reference edges and the reference distribution differ
(by the quantile error), never the current counts' rule. Categorical statistics are exact.

Rules: pyspark is imported inside functions; the profile travels as ``to_bytes()`` (no
pickle of live objects).
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import ROW_ID, TIMESTAMP, write_json
from workbench.engines.runtime.events import log
from workbench.engines.runtime.monitors import _drift_rows, drift_settings
from workbench.engines.runtime.spec import OutputArtifact, StepOutcome, jsonable
from workbench.engines.spark.datasets import read_input
from workbench.engines.spark.frames import POS, TS, epoch_ms, with_positions
from workbench.engines.spark.state import SparkStep, worker_error
from workbench.errors import InvalidInputError

__all__ = ["RELATIVE_ERROR", "SKETCH_SIZE", "run_drift_monitor", "spark_profile"]

SKETCH_SIZE = 10_000
RELATIVE_ERROR = 1e-4
_W = "_wb_window"
_CACHE: dict[str, Any] = {}


# ---------------------------------------------------------------------- the profile
def _kinds(frame: Any, columns: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from workbench.monitoring import detect_kind

    kinds: dict[str, str] = {}
    skipped: dict[str, str] = {}
    integral = [c for c in columns if isinstance(frame.schema[c].dataType, T.IntegralType)]
    stats = frame.agg(*[F.count(F.col(f"`{c}`")).alias(f"n{i}") for i, c in enumerate(integral)],
                      *[F.min(F.col(f"`{c}`")).alias(f"lo{i}") for i, c in enumerate(integral)],
                      *[F.max(F.col(f"`{c}`")).alias(f"hi{i}") for i, c in enumerate(integral)],
                      F.count(F.lit(1)).alias("rows")).first()
    for name in columns:
        dtype = frame.schema[name].dataType
        if isinstance(dtype, T.BooleanType):
            kinds[name] = "boolean"
        elif isinstance(dtype, T.IntegralType):
            i = integral.index(name)
            complete = stats[f"n{i}"] == stats["rows"]
            zero_one = stats[f"lo{i}"] is not None and stats[f"lo{i}"] >= 0 and stats[f"hi{i}"] <= 1
            kinds[name] = "boolean" if complete and zero_one else "numeric"
        elif isinstance(dtype, T.NumericType):
            kinds[name] = "numeric"
        elif isinstance(dtype, T.StringType):
            sample = [r[0] for r in frame.select(F.col(f"`{name}`")).where(
                F.col(f"`{name}`").isNotNull()).limit(1000).collect()]
            kinds[name] = detect_kind(pd.Series(sample, dtype=object)) or "categorical"
        else:
            skipped[name] = f"unsupported type {dtype.simpleString()}"
    return kinds, skipped


def _value(frame: Any, name: str) -> Any:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    col = F.col(f"`{name}`")
    if isinstance(frame.schema[name].dataType, T.StringType):
        return col.try_cast("double")
    return col.cast("double")


def _finite(value: Any) -> Any:
    from pyspark.sql import functions as F

    return value.isNotNull() & ~F.isnan(value) & ~value.isin(float("inf"), float("-inf"))


def _numeric_profiles(frame: Any, names: list[str], n_rows: int) -> dict[str, Any]:
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    from workbench.monitoring import univariate as uv
    from workbench.monitoring.profile import NumericProfile

    if not names:
        return {}
    aggs = []
    for i, name in enumerate(names):
        v = _value(frame, name)
        finite = F.when(_finite(v), v)
        aggs += [F.count(finite).alias(f"n{i}"),
                 F.sum(F.when(v.isin(float("inf"), float("-inf")), 1).otherwise(0)).alias(f"inf{i}"),
                 F.avg(finite).alias(f"mean{i}"), F.stddev_pop(finite).alias(f"std{i}"),
                 F.min(finite).alias(f"min{i}"), F.max(finite).alias(f"max{i}")]
        if isinstance(frame.schema[name].dataType, T.StringType):
            aggs.append(F.sum(F.when(F.col(f"`{name}`").isNotNull() & v.isNull(), 1)
                              .otherwise(0)).alias(f"text{i}"))
    stats = frame.agg(*aggs).first().asDict()
    finite_cols = {name: F.when(_finite(_value(frame, name)), _value(frame, name)).alias(name)
                   for name in names}
    values = frame.select(*finite_cols.values())
    sketched = [n for i, n in enumerate(names) if stats[f"n{i}"] > SKETCH_SIZE]
    psi_p = [i / 10 for i in range(1, 10)]
    fine_p = [i / 100 for i in range(1, 100)]
    sketch_p = [(k + 0.5) / SKETCH_SIZE for k in range(SKETCH_SIZE)]
    quantiles = dict(zip(sketched, values.approxQuantile(
        sketched, psi_p + fine_p + sketch_p, RELATIVE_ERROR), strict=True)) if sketched else {}
    edges = {n: (np.unique(np.asarray(q[:9])), np.unique(np.asarray(q[9:108])))
             for n, q in quantiles.items()}
    counts = _bin_counts(values, edges)
    out = {}
    for i, name in enumerate(names):
        n = int(stats[f"n{i}"])
        common = dict(name=name, dtype=frame.schema[name].dataType.simpleString(), n_rows=n_rows,
                      n_missing=n_rows - n, n_infinite=int(stats[f"inf{i}"] or 0),
                      n_non_numeric=int(stats.get(f"text{i}") or 0), n_values=n)
        if name in quantiles:
            psi_edges, fine_edges = edges[name]
            kept = np.sort(np.asarray(quantiles[name][108:], dtype=np.float64))
            out[name] = NumericProfile(
                **common, values=kept, mean=float(stats[f"mean{i}"]), std=float(stats[f"std{i}"]),
                min=float(stats[f"min{i}"]), max=float(stats[f"max{i}"]),
                psi_edges=psi_edges, psi_counts=counts[(name, "psi")], fine_edges=fine_edges,
                fine_counts=counts[(name, "fine")], distinct=uv.all_distinct(kept))
            continue
        exact = np.sort(np.asarray([r[0] for r in values.select(name).where(
            F.col(name).isNotNull()).collect()], dtype=np.float64))
        psi_edges = uv.quantile_edges(exact, 10)
        fine_edges = uv.quantile_edges(exact, 100)
        nan = float("nan")
        out[name] = NumericProfile(
            **common, values=exact, mean=float(np.mean(exact)) if n else nan,
            std=float(np.std(exact)) if n else nan, min=float(exact[0]) if n else nan,
            max=float(exact[-1]) if n else nan, psi_edges=psi_edges,
            psi_counts=uv.bin_counts(exact, psi_edges), fine_edges=fine_edges,
            fine_counts=uv.bin_counts(exact, fine_edges), distinct=uv.all_distinct(exact))
    return out


def _below(value: Any) -> Any:
    return lambda edge: edge < value


def _bin_counts(values: Any, edges: dict[str, tuple[np.ndarray, np.ndarray]]
                ) -> dict[tuple[str, str], np.ndarray]:
    """Exact counts in right-closed bins ``(e[i-1], e[i]]``: bin = #edges below the value."""
    from pyspark.sql import functions as F

    if not edges:
        return {}
    items = []
    for name, (psi_edges, fine_edges) in edges.items():
        for which, cut in (("psi", psi_edges), ("fine", fine_edges)):
            array = F.array(*[F.lit(float(e)) for e in cut])
            index = F.size(F.filter(array, _below(F.col(name))))
            items.append(F.when(F.col(name).isNotNull(), F.struct(
                F.lit(name).alias("c"), F.lit(which).alias("w"), index.alias("b"))))
    exploded = values.select(F.explode(F.array(*items)).alias("x")).where(F.col("x").isNotNull())
    rows = exploded.groupBy("x.c", "x.w", "x.b").count().collect()
    out = {(n, w): np.zeros(len(edges[n][0 if w == "psi" else 1]) + 1, dtype=np.int64)
           for n in edges for w in ("psi", "fine")}
    for r in rows:
        out[(r["c"], r["w"])][int(r["b"])] = int(r["count"])
    return out


def _categorical_profile(frame: Any, name: str, kind: str, n_rows: int) -> Any:
    from pyspark.sql import functions as F

    from workbench.monitoring.profile import CategoricalProfile

    col = F.col(f"`{name}`")
    if kind == "boolean":
        col = col.cast("boolean") if frame.schema[name].dataType.typeName() != "string" else (
            F.lower(F.trim(col)) == F.lit("true"))
    rows = frame.groupBy(col.alias("v")).count().collect()
    missing = sum(int(r["count"]) for r in rows if r["v"] is None)
    present = sorted(((r["v"], int(r["count"])) for r in rows if r["v"] is not None),
                     key=lambda item: (-item[1], str(item[0])))
    if kind == "boolean":
        present = sorted(present, key=lambda item: bool(item[0]))
    return CategoricalProfile(name=name, kind=kind, dtype=frame.schema[name].dataType.simpleString(),
                              n_rows=n_rows, n_missing=missing,
                              categories=tuple(v for v, _ in present),
                              counts=np.asarray([c for _, c in present], dtype=np.int64))


def spark_profile(frame: Any, columns: list[str]) -> Any:
    """The ``ReferenceProfile`` of ``frame``'s ``columns`` (see the module docstring)."""
    from workbench.monitoring.profile import ProfileSettings, ReferenceProfile

    n_rows = frame.count()
    if n_rows == 0:
        raise InvalidInputError("the reference has no rows", where="reference")
    kinds, skipped = _kinds(frame, columns)
    numeric = _numeric_profiles(frame, [c for c in columns if kinds.get(c) == "numeric"], n_rows)
    profiles = {}
    for name in columns:
        if kinds.get(name) == "numeric":
            profiles[name] = numeric[name]
        elif name in kinds:
            profiles[name] = _categorical_profile(frame, name, kinds[name], n_rows)
    return ReferenceProfile(columns=profiles, n_rows=n_rows,
                            settings=ProfileSettings(sketch_size=SKETCH_SIZE), skipped=skipped,
                            created_ms=int(time.time() * 1000))


# ---------------------------------------------------------------------- windows
def _load_profile(data: bytes) -> Any:
    from workbench.monitoring.profile import ReferenceProfile

    key = hashlib.sha256(data).hexdigest()
    if key not in _CACHE:
        _CACHE[key] = ReferenceProfile.from_bytes(data)
    return _CACHE[key]


def _comparer(broadcast: Any, methods: list[str], thresholds: dict[str, float],
              columns: list[str], started_ms: int, has_ts: bool, baseline: bool) -> Any:
    def compare_window(part: pd.DataFrame) -> pd.DataFrame:
        from workbench.monitoring import compare

        index = int(part[_W].iloc[0])
        reference = _load_profile(broadcast.value)
        report = compare(reference, part[columns].reset_index(drop=True), methods, thresholds)
        start = int(part[TS].min()) if has_ts else started_ms
        end = int(part[TS].max()) if has_ts else started_ms
        rows = _drift_rows(report, index, start, end, len(part))
        verdict = {"index": index, "window_start": start, "window_end": end, "rows": len(part),
                   "drifted": report.drifted, "share_drifted": report.share_drifted,
                   "drifted_columns": report.drifted_columns}
        if baseline:
            rows = [r for r in rows if r["column"] != "*"]
        payload = json.dumps(jsonable({"records": rows, "verdict": verdict}))
        return pd.DataFrame({"window": [index], "payload": [payload]})
    return compare_window


def _windowed(frame: Any, size: int, where: str) -> tuple[Any, bool, int]:
    """``frame`` with ``_wb_window`` (and ``_wb_ts``), the runtime's window cut; row count."""
    from pyspark.sql import functions as F

    has_ts = TIMESTAMP in frame.columns
    if has_ts:
        frame = frame.withColumn(TS, epoch_ms(frame, TIMESTAMP, where))
    positioned = with_positions(frame, [TS, ROW_ID] if has_ts else [ROW_ID])
    n = positioned.count()
    cuts = len(range(0, n, size))
    last = cuts - 2 if cuts > 1 and n - (cuts - 1) * size < size / 2 else cuts - 1
    window = F.least(F.floor(F.col(POS) / size).cast("long"), F.lit(max(last, 0)).cast("long"))
    return positioned.withColumn(_W, window), has_ts, n


def _compare_windows(state: SparkStep, frame: Any, profile_bytes: bytes, columns: list[str],
                     methods: list[str], thresholds: dict[str, float], has_ts: bool,
                     baseline: bool = False) -> list[dict[str, Any]]:
    broadcast = state.sc.broadcast(profile_bytes)
    try:
        fn = _comparer(broadcast, methods, thresholds, columns, state.ctx.started_ms, has_ts,
                       baseline)
        keep = [_W, *columns] + ([TS] if has_ts else [])
        grouped = frame.select(*keep).groupBy(_W).applyInPandas(fn, "window long, payload string")
        try:
            rows = grouped.collect()
        except Exception as exc:
            raise (worker_error(exc) or exc) from None
    finally:
        broadcast.destroy()
    return [json.loads(r["payload"]) for r in sorted(rows, key=lambda r: r["window"])]


def _feature_columns(frame: Any, artifact: Any, declared: tuple[str, ...] = ()) -> list[str]:
    target = artifact.meta.get("target", "target")
    drop = {c for c in (ROW_ID, TIMESTAMP, target) if c} | set(declared)
    return [c for c in frame.columns if c not in drop]


def run_drift_monitor(state: SparkStep) -> StepOutcome:
    from workbench.monitoring import fit_profile

    ctx = state.ctx
    methods, threshold, size, consecutive, thresholds = drift_settings(ctx)
    if ctx.param("multivariate", None):
        raise InvalidInputError("parameter 'multivariate': the columns-together test runs on local and "
                                "SSH targets, not on Spark", where=ctx.where,
                                hint="run this drift monitor on a local or SSH target, or leave it out")
    ref_in, cur_in = ctx.require("reference"), ctx.require("current")
    reference = read_input(state.spark, ref_in, ctx.where, "reference data")
    current = read_input(state.spark, cur_in, ctx.where, "current data")
    declared = tuple(str(n) for key in ("id_columns", "exclude") for n in (ctx.param(key, []) or []))
    profile = spark_profile(reference, _feature_columns(reference, ref_in, declared))
    sketched = [n for n, p in profile.columns.items() if getattr(p, "is_sketch", False)]
    log(f"profiled the reference in Spark: {profile.n_rows} rows, {len(profile.columns)} "
        f"column(s)" + (f", {len(sketched)} by quantile sketch" if sketched else ""))
    state.check_cancel()
    columns = [c for c in _feature_columns(current, cur_in, declared) if c in profile.columns]
    if not columns:
        raise InvalidInputError("the reference and the current data share no column",
                                where=ctx.where)
    windowed, has_ts, n_current = _windowed(current, size, ctx.where)
    if n_current == 0:
        raise InvalidInputError("the current data has no rows", where=ctx.where)
    results = _compare_windows(state, windowed, profile.to_bytes(), columns, methods,
                               thresholds, has_ts)
    records: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    streak = 0
    for item in results:
        records += item["records"]
        verdict = item["verdict"]
        verdicts.append(verdict)
        streak = streak + 1 if verdict["drifted"] else 0
        if streak == consecutive:
            alerts.append({
                "kind": "drift", "window_end": verdict["window_end"],
                "message": f"{ctx.node_id}: data drift in {consecutive} consecutive window(s) "
                           f"up to window {verdict['index']} (drifted: "
                           f"{', '.join(verdict['drifted_columns'][:10])})"})
    if ctx.input("predictions", required=False) is not None:
        records += _prediction_drift(state, ctx.require("predictions"), size, methods,
                                     thresholds, fit_profile)
    drifted = sum(v["drifted"] for v in verdicts)
    metrics = {"windows": len(verdicts), "windows_drifted": drifted, "alerts": len(alerts),
               "max_share_drifted": max(v["share_drifted"] for v in verdicts),
               "rows": n_current}
    name = write_json({**metrics, "methods": methods, "threshold": threshold,
                       "consecutive_windows": consecutive, "windows_detail": verdicts},
                      ctx.output_dir, "metrics.json")
    log(f"drift over {len(verdicts)} window(s): {drifted} drifted, {len(alerts)} alert(s)")
    return StepOutcome(
        outputs={"metrics": (OutputArtifact(name, "metrics", {"methods": methods}),)},
        metrics=metrics, info={"rows": n_current},
        records={"drift": records, "alerts": alerts}, signals={"alert": bool(alerts)})


def _prediction_drift(state: SparkStep, artifact: Any, size: int, methods: list[str],
                      thresholds: dict[str, float], fit_profile: Any) -> list[dict[str, Any]]:
    from pyspark.sql import functions as F

    ctx = state.ctx
    frame = read_input(state.spark, artifact, ctx.where, "predictions", add_row_id=False)
    missing = [c for c in (ROW_ID, "score") if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"the predictions lack column(s) {', '.join(missing)}",
                                where=ctx.where)
    keep = [ROW_ID, "score"] + [c for c in (TIMESTAMP,) if c in frame.columns]
    windowed, has_ts, _ = _windowed(frame.select(*keep), size, ctx.where)
    n_windows = windowed.agg(F.max(_W)).first()[0]
    if n_windows is None or n_windows < 1:
        log("prediction drift needs at least two windows of predictions; skipped")
        return []
    first = windowed.where(F.col(_W) == 0).select("score").toPandas()
    baseline = fit_profile(first[["score"]]).to_bytes()
    later = windowed.where(F.col(_W) > 0)
    results = _compare_windows(state, later, baseline, ["score"], methods, thresholds, has_ts,
                               baseline=True)
    return [row for item in results for row in item["records"]]
