"""Executor ``inference``: score a dataset with a verified model; prediction windows.

The model is the ``model`` input (the orchestrator resolves ``model_name``/``alias`` to one
before the step runs); ``options.model_version`` names the version, written to every
prediction row as ``"name/version"`` (``""`` when unknown). Output ``predictions.parquet``:
``row_id, prediction, score, model_version`` in the data's row order, plus ``timestamp``
(epoch ms) when the data has a ``timestamp`` column.

``mode``: ``batch`` scores the whole dataset. ``rest`` and ``stream`` describe how a deployed
model receives requests; inside a run they are scored exactly like ``batch`` (a log line says
so) — serving over HTTP or from a stream is not done by this step.

Prediction windows (``records["prediction_windows"]``): the rows, in time order when there is a
``timestamp`` column, cut into windows of ``window_rows`` (500) rows; ``window_start`` and
``window_end`` are the first and last time in the window, or the step's start time for all
windows when there is no ``timestamp``. ``summary``: ``count``, ``score_mean``, ``score_std``,
``score_histogram`` (``{"edges", "counts"}``; 20 bins over [0, 1] for classifiers, over the
window's range for regression), ``positive_rate`` (binary: share predicted as the positive
class), ``class_rates`` (classification), and ``features``: per feature (the model's first 50)
``mean, std, min, max, missing`` for numeric columns, ``missing, distinct`` for the others.

Device: a torch model (or an ensemble with one) scores on the step's device — the engine's
``options.device``, ``auto`` picking a CUDA GPU when there is one — in large batches there
(``models.DEVICE_SCORE_BATCH``); only ``cuda`` moves it, anything else scores on the CPU. The
step's ``info`` records the device and GPU. Other models score on the CPU.

Rules: large data is scored in chunks of ``CHUNK_ROWS`` rows; non-finite numbers in summaries
become ``null``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import (
    ROW_ID,
    TIMESTAMP,
    read_dataset,
    to_epoch_ms,
    write_parquet,
)
from workbench.engines.runtime.events import emit_progress, log
from workbench.engines.runtime.models import Predictor, load_model
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome, jsonable
from workbench.errors import InvalidInputError

__all__ = ["CHUNK_ROWS", "WINDOW_ROWS", "run_inference", "window_summary"]

WINDOW_ROWS = 500
CHUNK_ROWS = 100_000
HISTOGRAM_BINS = 20
MAX_FEATURE_SUMMARIES = 50


def _histogram(scores: np.ndarray, probabilities: bool) -> dict[str, Any]:
    finite = scores[np.isfinite(scores)]
    if probabilities:
        lo, hi = 0.0, 1.0
    elif finite.size:
        lo, hi = float(finite.min()), float(finite.max())
        if hi <= lo:
            hi = lo + 1.0
    else:
        lo, hi = 0.0, 1.0
    counts, edges = np.histogram(np.clip(finite, lo, hi), bins=HISTOGRAM_BINS, range=(lo, hi))
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def _feature_summary(series: pd.Series) -> dict[str, Any]:
    missing = int(series.isna().sum())
    if pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        values = series.dropna().to_numpy(dtype=np.float64)
        if values.size == 0:
            return {"mean": None, "std": None, "min": None, "max": None, "missing": missing}
        return {"mean": float(values.mean()), "std": float(values.std()),
                "min": float(values.min()), "max": float(values.max()), "missing": missing}
    return {"missing": missing, "distinct": int(series.nunique(dropna=True))}


def window_summary(frame: pd.DataFrame, predictions: np.ndarray, scores: np.ndarray,
                   predictor: Predictor) -> dict[str, Any]:
    """The summary of one window (see the module docstring)."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = scores[np.isfinite(scores)]
    out: dict[str, Any] = {
        "count": int(len(frame)),
        "score_mean": float(finite.mean()) if finite.size else None,
        "score_std": float(finite.std()) if finite.size else None,
        "score_histogram": _histogram(scores, predictor.is_classifier),
        "positive_rate": None,
    }
    if predictor.is_classifier:
        labels = pd.Series(predictions)
        rates = labels.value_counts(normalize=True)
        out["class_rates"] = {str(c): float(rates.get(c, 0.0)) for c in predictor.classes}
        if len(predictor.classes) == 2:
            out["positive_rate"] = float((labels == predictor.classes[1]).mean())
    out["features"] = {
        name: _feature_summary(frame[name])
        for name in list(predictor.features)[:MAX_FEATURE_SUMMARIES] if name in frame.columns
    }
    return jsonable(out)


def _score(ctx: StepContext, predictor: Predictor, frame: pd.DataFrame
           ) -> tuple[np.ndarray, np.ndarray]:
    parts_pred, parts_score = [], []
    n = len(frame)
    for start in range(0, n, CHUNK_ROWS):
        chunk = frame.iloc[start:start + CHUNK_ROWS]
        try:
            labels, scores = predictor.predict_and_score(chunk)
        except InvalidInputError as exc:
            raise InvalidInputError(exc.message, where=ctx.where, hint=exc.hint) from None
        parts_pred.append(np.asarray(labels))
        parts_score.append(np.asarray(scores, dtype=np.float64))
        if n > CHUNK_ROWS:
            emit_progress(min(start + CHUNK_ROWS, n) / n * 0.9, f"scored {start + len(chunk)} rows")
    return np.concatenate(parts_pred), np.concatenate(parts_score)


def _placed(ctx: StepContext, predictor: Predictor) -> tuple[Predictor, str]:
    """The predictor on the step's device (see the module docstring), and that device."""
    if not predictor.runs_torch:
        return predictor, "cpu"
    from workbench.engines.runtime.torch_support import resolve_device

    device = resolve_device(ctx.options.device or "auto", ctx.where)
    if not device.startswith("cuda"):
        return predictor, "cpu"
    placed = predictor.on_device(device)
    used = {getattr(m, "device", "cpu") for m in _torch_members(placed)}
    return placed, device if device in used else "cpu"  # an exported net may stay on the CPU


def _gpu(device: str) -> dict[str, Any] | None:
    if not device.startswith("cuda"):
        return None
    from workbench.engines.runtime.torch_support import gpu_info

    return gpu_info(device)


def _torch_members(predictor: Predictor) -> list[Predictor]:
    members = getattr(predictor, "members", None)
    if members is None:
        return [predictor] if predictor.runs_torch else []
    return [t for m in members for t in _torch_members(m)]


def _expectations(ctx: StepContext) -> dict[str, Any] | None:
    """The node's ``expectations``, checked as a spec (a bad one fails the step, naming it)."""
    from workbench.monitoring.expectations import check_spec

    spec = ctx.param("expectations", None)
    if not spec:
        return None
    problems = check_spec(spec)
    if problems:
        raise InvalidInputError("its expectations cannot be used: " + "; ".join(problems),
                                where=ctx.where, hint="fix the node's 'expectations' parameter")
    return dict(spec)


def _checked(rows: pd.DataFrame, spec: dict[str, Any]) -> dict[str, Any]:
    """A window's ``expectations`` summary: every rule checked and each violation."""
    from workbench.monitoring.expectations import spec_rules, violations

    return {"checked": [[column, rule] for column, rule in spec_rules(spec)],
            "violations": [v.to_dict() for v in violations(rows, spec)]}


def run_inference(ctx: StepContext) -> StepOutcome:
    model_in = ctx.input("model", required=False)
    if model_in is None:
        raise InvalidInputError(
            "no model to serve: the 'model' input is empty", where=ctx.where,
            hint="connect a model, or set model_name and alias so the orchestrator resolves one")
    data_in = ctx.require("data")
    mode = str(ctx.param("mode", "batch"))
    if mode != "batch":
        log(f"mode {mode!r} inside a run: the data is scored as one batch")
    predictor = load_model(model_in.path, model_in.sha256, model_in.meta,
                           ctx.options.artifact_root)
    frame = read_dataset(data_in.path, ctx.where)
    if frame.empty:
        raise InvalidInputError("the data to score has no rows", where=ctx.where)
    predictor, device = _placed(ctx, predictor)
    if device != "cpu":
        log(f"scoring on {device}")
    version = ctx.options.model_version_label
    labels, scores = _score(ctx, predictor, frame)
    out = pd.DataFrame({
        ROW_ID: frame[ROW_ID].to_numpy(dtype=np.int64),
        "prediction": labels,
        "score": scores,
        "model_version": pd.Series([version] * len(frame), dtype="string"),
    })
    stamps = None
    if TIMESTAMP in frame.columns:
        stamps = to_epoch_ms(frame[TIMESTAMP], ctx.where, TIMESTAMP)
        out[TIMESTAMP] = stamps
    name = write_parquet(out, ctx.output_dir, "predictions.parquet")

    size = max(1, int(ctx.param("window_rows", WINDOW_ROWS)))
    spec = _expectations(ctx)
    broken = 0
    order = np.argsort(stamps, kind="stable") if stamps is not None else np.arange(len(frame))
    windows = []
    for start in range(0, len(order), size):
        idx = order[start:start + size]
        if stamps is not None:
            w_start, w_end = int(stamps[idx].min()), int(stamps[idx].max())
        else:
            w_start = w_end = ctx.started_ms
        summary = window_summary(frame.iloc[idx], labels[idx], scores[idx], predictor)
        if spec:
            summary["expectations"] = _checked(frame.iloc[idx], spec)
            broken += len(summary["expectations"]["violations"])
        windows.append({"window_start": w_start, "window_end": w_end, "count": int(len(idx)),
                        "summary": summary})

    meta = {
        "rows": len(out), "model_version": version, "model_sha256": model_in.sha256,
        "model_name": predictor.model_name, "task": predictor.task,
        "classes": list(predictor.classes), "data_sha256": data_in.sha256, "mode": mode,
    }
    finite = scores[np.isfinite(scores)]
    metrics: dict[str, Any] = {"rows": len(out), "windows": len(windows)}
    if finite.size:
        metrics["score_mean"] = float(finite.mean())
    if predictor.is_classifier and len(predictor.classes) == 2:
        metrics["positive_rate"] = float(np.mean(labels == predictor.classes[1]))
    log(f"scored {len(out)} rows with {predictor.model_name or predictor.framework}"
        f"{' (' + version + ')' if version else ''} in {len(windows)} window(s)")
    if spec:
        metrics["expectations_broken"] = broken
        log(f"expectations: {broken} broken across {len(windows)} window(s); each becomes a "
            "deviation finding and alert of this source" if broken else
            "expectations: every window meets them")
    return StepOutcome(
        outputs={"predictions": (OutputArtifact(name, "predictions", meta),)},
        metrics=metrics,
        info={"rows": len(out), "device": device, "gpu": _gpu(device)},
        records={"prediction_windows": windows},
    )
