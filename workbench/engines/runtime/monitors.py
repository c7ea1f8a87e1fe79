"""Executors ``comparator`` and ``drift_monitor``: the monitoring analytics of
``workbench.monitoring`` run over a step's artifacts, cut into windows.

Windows: ``window_rows`` (comparator, default 500) or ``window_size`` (drift monitor) rows in
time order when the data has a ``timestamp`` column; ``window_start``/``window_end`` are the
first and last time in the window, or the step's start time when there is no ``timestamp``.
A last window shorter than half a window is merged into the one before. Every record also
carries its window ``index`` (``None`` for the overall comparison) and row ``count``.

``comparator``: champion and challenger predictions are joined on ``row_id`` (rows on one side
only are counted in ``unmatched_rows``) and their ``score`` columns compared with
``workbench.monitoring.compare_predictions``, per window and overall. The divergence statistic
is ``metric`` (default ``histogram_rmse``: ParallelM's canary score) against ``threshold``;
the other statistics (agreement, κ, mean |Δ|, KS, JS, PSI) go into ``details``. An alert is
recorded for every diverged window and for the overall comparison; ``signals.alert`` is true
when there is any. ``mode``, ``traffic_split`` and ``shadow`` describe the deployment and are
recorded: in a run both models score every row, so the comparison is on all paired rows.

``drift_monitor``: the reference and current datasets without ``row_id``, the target and
``timestamp``, and the id-like, ``id_columns`` and ``exclude`` columns (``include`` keeps a
column that looks like an id; what was left out is logged and in ``metrics.json``); the
reference is profiled once (``fit_profile``) and each window compared with
``compare`` using ``methods`` (the first is each column's verdict). ``threshold`` applies to
the distance methods (psi, js, wasserstein); the tests (ks, chi2) keep their significance
level 0.05. A record per (window, column, method) plus a dataset row per window (column
``"*"``, method ``"dataset"``, statistic = share of drifted columns, threshold =
``drift_share`` 0.5). An alert is raised when the dataset verdict is drifted in
``consecutive_windows`` windows in a row (once per streak). With a ``predictions`` input the
``score`` of every window is also compared with the first window's (prediction drift, column
``"score"``). ``signals.alert`` is true when an alert was raised.

Rules: ``workbench.monitoring`` is imported inside the executors; its errors are re-raised
naming the node.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import (
    ROW_ID,
    TIMESTAMP,
    dataset_target,
    read_dataset,
    read_table,
    to_epoch_ms,
    write_json,
)
from workbench.engines.runtime.events import emit_progress, log
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome, jsonable
from workbench.errors import InvalidInputError, WorkbenchError

__all__ = ["DISTANCE_METHODS", "drift_settings", "run_comparator", "run_drift_monitor", "windows"]

DISTANCE_METHODS = frozenset({"psi", "js", "jensenshannon", "wasserstein", "hellinger", "linf"})
WINDOW_ROWS = 500


def windows(frame: pd.DataFrame, size: int, started_ms: int, where: str
            ) -> Iterator[tuple[int, int, int, pd.DataFrame]]:
    """``(index, window_start, window_end, rows)`` over ``frame`` (see the module docstring)."""
    if TIMESTAMP in frame.columns:
        stamps = to_epoch_ms(frame[TIMESTAMP], where, TIMESTAMP)
        order = np.argsort(stamps, kind="stable")
    else:
        stamps, order = None, np.arange(len(frame))
    cuts = list(range(0, len(order), size))
    if len(cuts) > 1 and len(order) - cuts[-1] < size / 2:
        cuts.pop()
    for i, start in enumerate(cuts):
        stop = cuts[i + 1] if i + 1 < len(cuts) else len(order)
        idx = order[start:stop]
        if stamps is not None:
            yield i, int(stamps[idx].min()), int(stamps[idx].max()), frame.iloc[idx]
        else:
            yield i, started_ms, started_ms, frame.iloc[idx]


def _rewrap(exc: WorkbenchError, where: str) -> InvalidInputError:
    return InvalidInputError(exc.message if not exc.where else f"{exc.where}: {exc.message}",
                             where=where, hint=exc.hint)


# ---------------------------------------------------------------------- comparator
def _read_predictions(ctx: StepContext, port: str) -> pd.DataFrame:
    artifact = ctx.require(port)
    frame = read_table(artifact.path, ctx.where, f"{port} predictions")
    missing = [c for c in (ROW_ID, "score") if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"the {port} predictions lack column(s) {', '.join(missing)}",
                                where=ctx.where)
    if not frame[ROW_ID].is_unique:
        raise InvalidInputError(f"the {port} predictions repeat row ids", where=ctx.where)
    return frame


def _canary(champion: pd.Series, challenger: pd.Series, metric: str, threshold: float,
            seed: int) -> Any:
    from workbench.monitoring import compare_predictions

    return compare_predictions(champion.to_numpy(np.float64), challenger.to_numpy(np.float64),
                               metric=metric, threshold=threshold, seed=seed)


def _divergence_row(index: int | None, start: int, end: int, count: int, result: Any,
                    extra: dict[str, Any]) -> dict[str, Any]:
    from workbench.monitoring import json_safe

    details = {k: v for k, v in json_safe(result).items()
               if k not in ("metric", "value", "threshold", "divergent")}
    return jsonable({
        "window_start": start, "window_end": end, "index": index, "count": count,
        "method": result.metric, "statistic": result.value, "threshold": result.threshold,
        "diverged": bool(result.divergent), "details": {**details, **extra},
    })


def run_comparator(ctx: StepContext) -> StepOutcome:
    champion = _read_predictions(ctx, "champion")
    challenger = _read_predictions(ctx, "challenger")
    threshold = float(ctx.param("threshold", 0.1))
    metric = str(ctx.param("metric", "histogram_rmse"))
    size = max(1, int(ctx.param("window_rows", WINDOW_ROWS)))
    keep = [ROW_ID, "score"] + [c for c in (TIMESTAMP,) if c in champion.columns]
    joined = champion[keep].merge(challenger[[ROW_ID, "score"]], on=ROW_ID, how="inner",
                                  suffixes=("_champion", "_challenger"))
    unmatched = len(champion) + len(challenger) - 2 * len(joined)
    if joined.empty:
        raise InvalidInputError("the champion and challenger predictions share no row_id",
                                where=ctx.where, hint="score the same data with both models")
    versions = {side: sorted(set(frame["model_version"].astype(str)))[:5]
                for side, frame in (("champion", champion), ("challenger", challenger))
                if "model_version" in frame.columns}
    setup = {"mode": str(ctx.param("mode", "canary")),
             "traffic_split": float(ctx.param("traffic_split", 0.1)),
             "shadow": bool(ctx.param("shadow", False))}
    rows: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    try:
        for i, start, end, part in windows(joined, size, ctx.started_ms, ctx.where):
            result = _canary(part["score_champion"], part["score_challenger"], metric,
                             threshold, ctx.options.seed)
            rows.append(_divergence_row(i, start, end, len(part), result, {"scope": "window"}))
        overall = _canary(joined["score_champion"], joined["score_challenger"], metric,
                          threshold, ctx.options.seed)
    except WorkbenchError as exc:
        raise _rewrap(exc, ctx.where) from None
    first = min(r["window_start"] for r in rows)
    last = max(r["window_end"] for r in rows)
    rows.append(_divergence_row(None, first, last, len(joined), overall,
                                {"scope": "overall", **setup, "model_versions": versions}))
    for row in rows:
        if row["diverged"]:
            scope = "overall" if row["index"] is None else f"window {row['index']}"
            alerts.append({
                "kind": "divergence", "window_end": row["window_end"],
                "message": f"{ctx.node_id}: challenger diverges from champion ({scope}): "
                           f"{row['method']} {row['statistic']:.4g} over threshold "
                           f"{row['threshold']:.4g} on {row['count']} rows",
            })
    metrics = {
        "divergence": overall.value, "threshold": overall.threshold,
        "diverged": int(overall.divergent), "rows": len(joined), "unmatched_rows": unmatched,
        "windows": len(rows) - 1, "windows_diverged": sum(r["diverged"] for r in rows[:-1]),
    }
    for key in ("agreement", "kappa", "mean_abs_diff", "ks", "jensenshannon", "psi"):
        value = getattr(overall, key, None)
        if value is not None:
            metrics[key] = value
    name = write_json({**metrics, **setup, "metric": overall.metric, "windows_detail": rows},
                      ctx.output_dir, "metrics.json")
    log(f"compared {len(joined)} paired rows in {len(rows) - 1} window(s): "
        f"{overall.metric}={overall.value:.4g} (threshold {overall.threshold:.4g}), "
        f"{len(alerts)} alert(s)")
    return StepOutcome(
        outputs={"metrics": (OutputArtifact(name, "metrics", {"metric": overall.metric}),)},
        metrics=metrics,
        info={"rows": len(joined)},
        records={"divergence": rows, "alerts": alerts},
        signals={"alert": bool(alerts)},
    )


# ---------------------------------------------------------------------- drift_monitor
def _features(ctx: StepContext, port: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(features, full frame)`` of a dataset input."""
    artifact = ctx.require(port)
    frame = read_dataset(artifact.path, ctx.where)
    if frame.empty:
        raise InvalidInputError(f"the {port} data has no rows", where=ctx.where)
    target = dataset_target(frame, artifact.meta, ctx.where, required=False)
    drop = [c for c in (ROW_ID, TIMESTAMP, target) if c and c in frame.columns]
    return frame.drop(columns=drop), frame




def _multivariate(ctx: StepContext, how: str, reference: pd.DataFrame, profile: Any,
                  size: int) -> Any:
    """A function giving the drift rows of the columns-together test of one window, or None."""
    if not how:
        return None
    from workbench.monitoring.multivariate import (
        MULTIVARIATE_COLUMN,
        domain_classifier_drift,
        fit_pca_drift,
    )

    columns = [c for c in reference.columns if c not in profile.excluded]
    if how == "pca":
        chunk = min(size, max(len(reference) // 2, 1))
        model = fit_pca_drift(reference, columns=columns, chunk_size=chunk)
        log(f"multivariate drift: PCA over {len(columns)} columns keeps {model.explained:.0%} of the "
            f"reference's variance; band {model.lower:.4g}..{model.upper:.4g}")
    elif how != "classifier":
        raise InvalidInputError(f"parameter 'multivariate': unknown test {how!r}", where=ctx.where,
                                hint="use pca or classifier")

    def rows(part: pd.DataFrame, index: int, start: int, end: int) -> list[dict[str, Any]]:
        result = (model.compare(part) if how == "pca" else
                  domain_classifier_drift(reference, part, columns=columns, seed=ctx.options.seed))
        threshold = result.upper  # the band's top, or the permutation null's 1 - alpha quantile
        return jsonable([{"window_start": start, "window_end": end, "index": index, "count": len(part),
                          "column": MULTIVARIATE_COLUMN, "method": result.method,
                          "statistic": result.statistic, "p_value": result.p_value,
                          "threshold": threshold, "drifted": bool(result.drifted)}])

    return rows


def _drift_rows(report: Any, index: int, start: int, end: int, count: int
                ) -> list[dict[str, Any]]:
    base = {"window_start": start, "window_end": end, "index": index, "count": count}
    rows = [{**base, "column": r.column, "method": r.method, "statistic": r.statistic,
             "p_value": r.p_value, "threshold": r.threshold, "drifted": bool(r.drifted)}
            for r in report.results]
    rows.append({**base, "column": "*", "method": "dataset", "statistic": report.share_drifted,
                 "p_value": None, "threshold": report.drift_share,
                 "drifted": bool(report.drifted)})
    return jsonable(rows)


def drift_settings(ctx: StepContext) -> tuple[list[str], float, int, int, dict[str, float]]:
    """A drift monitor node's methods, threshold, window size, consecutive windows and the
    per-method thresholds (distance methods only) — shared by the local and Spark engines."""
    raw_methods = ctx.param("methods", ["psi", "ks"])
    if isinstance(raw_methods, str):
        raw_methods = [raw_methods]
    methods = [str(m) for m in raw_methods or []] or ["psi", "ks"]
    from workbench.monitoring import DEFAULT_DRIFT_THRESHOLD

    threshold = float(ctx.param("threshold", DEFAULT_DRIFT_THRESHOLD))
    size = int(ctx.param("window_size", 500))
    consecutive = int(ctx.param("consecutive_windows", 3))
    if size < 1 or consecutive < 1:
        raise InvalidInputError("window_size and consecutive_windows must be at least 1",
                                where=ctx.where)
    return methods, threshold, size, consecutive, {m: threshold for m in methods if m.lower() in DISTANCE_METHODS}


def drift_columns(ctx: StepContext, features: pd.DataFrame, full: pd.DataFrame) -> dict[str, list[str]]:
    """A drift monitor node's ``id_columns``, ``exclude`` and ``include`` among the feature
    columns; a name that is in no column of the data is an error naming the node."""
    chosen: dict[str, list[str]] = {}
    for key in ("id_columns", "exclude", "include"):
        raw = ctx.param(key, []) or []
        names = [str(raw)] if isinstance(raw, str) else [str(n) for n in raw]
        unknown = [n for n in names if n not in full.columns]
        if unknown:
            raise InvalidInputError(f"{key} names column(s) {', '.join(unknown)} that the reference data lacks",
                                    where=ctx.where)
        chosen[key] = [n for n in names if n in features.columns]
    return chosen


def run_drift_monitor(ctx: StepContext) -> StepOutcome:
    from workbench.monitoring import compare, fit_profile

    methods, threshold, size, consecutive, thresholds = drift_settings(ctx)
    reference, reference_full = _features(ctx, "reference")
    chosen = drift_columns(ctx, reference, reference_full)
    current, current_full = _features(ctx, "current")
    predictions = None
    if ctx.input("predictions", required=False) is not None:
        predictions = _read_predictions(ctx, "predictions")
    records: list[dict[str, Any]] = []
    alerts: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    streak = 0
    multivariate = str(ctx.param("multivariate", "") or "")
    try:
        profile = fit_profile(reference, **chosen)
        if profile.excluded:
            log("left out of drift: " + "; ".join(f"{n} ({why})" for n, why in profile.excluded.items()))
        together = _multivariate(ctx, multivariate, reference, profile, size)
        framed = current.assign(**{TIMESTAMP: current_full[TIMESTAMP]}) \
            if TIMESTAMP in current_full.columns else current
        parts = list(windows(framed, size, ctx.started_ms, ctx.where))
        for i, start, end, part in parts:
            report = compare(profile, part.drop(columns=[TIMESTAMP], errors="ignore"),
                             methods, thresholds)
            records += _drift_rows(report, i, start, end, len(part))
            jointly = False
            if together is not None:
                joint = together(part.drop(columns=[TIMESTAMP], errors="ignore"), i, start, end)
                records += joint
                jointly = any(r["drifted"] for r in joint)
            # a window has drifted when enough columns drift alone or the columns together do
            drifted_now = bool(report.drifted) or jointly
            named = list(report.drifted_columns) + (["the columns together (*all)"] if jointly else [])
            verdicts.append({"index": i, "window_start": start, "window_end": end,
                             "rows": len(part), "drifted": drifted_now,
                             "share_drifted": report.share_drifted,
                             "multivariate_drifted": jointly,
                             "drifted_columns": report.drifted_columns})
            streak = streak + 1 if drifted_now else 0
            if streak == consecutive:
                alerts.append({
                    "kind": "drift", "window_end": end,
                    "message": f"{ctx.node_id}: data drift in {consecutive} consecutive "
                               f"window(s) up to window {i} (drifted: "
                               f"{', '.join(named[:10])})",
                })
            emit_progress((i + 1) / len(parts), f"window {i + 1}/{len(parts)}")
        if predictions is not None:
            records += _prediction_drift(ctx, predictions, size, methods, thresholds)
    except WorkbenchError as exc:
        raise _rewrap(exc, ctx.where) from None
    drifted = sum(v["drifted"] for v in verdicts)
    metrics = {"windows": len(verdicts), "windows_drifted": drifted, "alerts": len(alerts),
               "max_share_drifted": max(v["share_drifted"] for v in verdicts),
               "rows": len(current)}
    name = write_json({**metrics, "methods": methods, "threshold": threshold,
                       "excluded": dict(profile.excluded),
                       "consecutive_windows": consecutive, "windows_detail": verdicts},
                      ctx.output_dir, "metrics.json")
    log(f"drift over {len(verdicts)} window(s): {drifted} drifted, {len(alerts)} alert(s)")
    return StepOutcome(
        outputs={"metrics": (OutputArtifact(name, "metrics", {"methods": methods}),)},
        metrics=metrics,
        info={"rows": len(current)},
        records={"drift": records, "alerts": alerts},
        signals={"alert": bool(alerts)},
    )


def _prediction_drift(ctx: StepContext, predictions: pd.DataFrame, size: int,
                      methods: list[str], thresholds: dict[str, float]) -> list[dict[str, Any]]:
    from workbench.monitoring import compare

    keep = ["score"] + [c for c in (TIMESTAMP,) if c in predictions.columns]
    parts = list(windows(predictions[keep], size, ctx.started_ms, ctx.where))
    if len(parts) < 2:
        log("prediction drift needs at least two windows of predictions; skipped")
        return []
    baseline = parts[0][3][["score"]]
    rows: list[dict[str, Any]] = []
    for i, start, end, part in parts[1:]:
        report = compare(baseline, part[["score"]], methods, thresholds)
        rows += [r for r in _drift_rows(report, i, start, end, len(part)) if r["column"] != "*"]
    return rows


def ab_decision(result: Any) -> str:
    """The result in words (``workbench.monitoring.abtest.ab_decision``, imported when used)."""
    from workbench.monitoring.abtest import ab_decision as in_words

    return in_words(result)


def run_ab_test(ctx: StepContext) -> StepOutcome:
    from workbench.monitoring.abtest import ab_test

    frame = read_dataset(ctx.require("data").path, ctx.where)
    control = str(ctx.param("control", "") or "") or None
    try:
        result = ab_test(frame, str(ctx.param("variant_column", "variant")),
                         str(ctx.param("outcome_column", "converted")),
                         control=None if control is None else _typed_like(frame, ctx, control),
                         alpha=float(ctx.param("alpha", 0.05)), power=float(ctx.param("power", 0.8)),
                         alternative=str(ctx.param("alternative", "two-sided")))
    except WorkbenchError as exc:
        raise _rewrap(exc, ctx.where) from None
    decision = ab_decision(result)
    figures = {"n_a": result.n_a, "n_b": result.n_b, "estimate_a": result.estimate_a,
               "estimate_b": result.estimate_b, "effect": result.effect, "ci_low": result.ci_low,
               "ci_high": result.ci_high, "p_value": result.p_value, "mde": result.mde,
               "significant": int(result.significant)}
    name = write_json({**figures, "test": result.test, "alpha": result.alpha, "power": result.power,
                       "alternative": result.alternative, "decision": decision,
                       "confidence": 1 - result.alpha}, ctx.output_dir, "metrics.json")
    log(f"{result.test}: effect {result.effect:+.4g} (CI {result.ci_low:+.4g}..{result.ci_high:+.4g}, "
        f"p={result.p_value:.3g}): {decision}")
    return StepOutcome(outputs={"metrics": (OutputArtifact(name, "metrics", {"test": result.test}),)},
                       metrics=jsonable(figures), info={"decision": decision})


def _typed_like(frame: pd.DataFrame, ctx: StepContext, control: str) -> Any:
    """``control`` as the variant column holds it (a number when the variants are numbers)."""
    column = frame.get(str(ctx.param("variant_column", "variant")))
    if column is not None and pd.api.types.is_numeric_dtype(column):
        try:
            return type(column.dropna().iloc[0].item())(control)
        except (ValueError, IndexError):
            return control
    return control
