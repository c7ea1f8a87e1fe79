"""Executor ``train_spark`` (Spark MLlib on distributed data) and the scoring of its models.

Training: the ``data`` input (a spark-parquet manifest or a Parquet file) stays a Spark
DataFrame. The label is ``label`` or the data's target; rows without one are dropped (logged).
Features are ``features`` or every numeric/boolean column but ``row_id``, the label and
``timestamp``; they must be complete (impute upstream). The task follows the runtime's rule
(text or boolean labels, or integer values with at most 20 classes: classification; else
regression); classes are the sorted label values, indexed 0..K-1 for MLlib. The model is a
``PipelineModel`` of ``VectorAssembler`` + the estimator: ``logistic_regression`` (classes
only), ``gbt`` (two classes, or regression) or ``random_forest``, with ``max_iter``
iterations / boosting rounds / trees and the run's seed.

Hold-out: the runtime's split rule exactly — ``split_mask`` (a hash of ``row_id`` and the
seed) evaluated in a pandas UDF — so ~20 % of rows are held out, the same rows a local
``train_sklearn`` would hold out. Metrics carry the runtime's names (hold-out under plain
names, ``train_`` for the training rows, ``n_train``/``n_test``): accuracy, precision, recall,
f1 (binary: of the second class; else macro) and the confusion matrix from a confusion table
counted in Spark, ``roc_auc`` from Spark's exact (unbinned) ROC, ``log_loss`` with the
runtime's clipping; regression ``rmse``, ``mae``, ``r2`` from Spark aggregates.

Model artifact: ``model.zip``, the saved ``PipelineModel`` folder (Hadoop ``.crc`` files
left out), meta ``framework: spark_ml`` with task, features, target, classes, split and data
hashes as the runtime's models have. Scoring unpacks it once per sha256 under the data
directory (executors must read it) and maps the predicted index back to the class label;
``score`` is the positive-class probability (two classes), the top probability (more), or
the prediction (regression). The local runtime refuses to load such a model.

A saved pipeline is untrusted input too: loading one instantiates the classes its metadata
names, and a pipeline marked ``"language": "Python"`` makes pyspark import the Python module
each stage names. ``check_spark_model`` reads every ``metadata`` record before anything is
loaded and refuses (``UntrustedModelError``, naming them) classes outside ``org.apache.spark.ml.``
and Python-language pipelines; the top record must be a ``PipelineModel``.

Rules: pyspark is imported inside functions; internal columns are prefixed ``_wb_``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import ROW_ID, TIMESTAMP, write_json
from workbench.engines.runtime.events import emit_progress, log
from workbench.engines.runtime.metrics import scalar_metrics
from workbench.engines.runtime.models import (
    SPARK_ML,
    ModelIntegrityError,
    Predictor,
    UntrustedModelError,
)
from workbench.engines.runtime.spec import OutputArtifact, StepOutcome
from workbench.engines.runtime.split import TEST_FRACTION
from workbench.engines.runtime.training import MAX_CLASSES, combine_metrics
from workbench.engines.spark.datasets import read_input
from workbench.engines.spark.state import SparkStep
from workbench.errors import InvalidInputError, UnusableInputError

__all__ = ["check_spark_model", "run_train_spark", "score_spark_ml"]

ALGORITHMS = ("logistic_regression", "gbt", "random_forest")
_FEATURES, _LABEL, _PRED, _PROB, _RAW, _TEST = (
    "_wb_features", "_wb_label", "_wb_pred", "_wb_prob", "_wb_raw", "_wb_test")


def _is_test_udf(seed: int) -> Any:
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("boolean")
    def is_test(ids: pd.Series) -> pd.Series:
        from workbench.engines.runtime.split import split_mask

        return pd.Series(split_mask(ids.to_numpy(dtype=np.int64), TEST_FRACTION, seed))

    return is_test


def _estimator(algorithm: str, task: str, n_classes: int, max_iter: int, seed: int,
               where: str) -> Any:
    from pyspark.ml import classification as C
    from pyspark.ml import regression as R

    cols = {"featuresCol": _FEATURES, "labelCol": _LABEL, "predictionCol": _PRED}
    if task == "classification":
        probs = {**cols, "probabilityCol": _PROB, "rawPredictionCol": _RAW}
        if algorithm == "logistic_regression":
            return C.LogisticRegression(maxIter=max_iter, **probs)
        if algorithm == "gbt":
            if n_classes != 2:
                raise InvalidInputError(f"gbt classifies two classes; the label has {n_classes}",
                                        where=where, hint="use random_forest or "
                                        "logistic_regression for more classes")
            return C.GBTClassifier(maxIter=max_iter, seed=seed, **probs)
        return C.RandomForestClassifier(numTrees=max_iter, seed=seed, **probs)
    if algorithm == "logistic_regression":
        raise InvalidInputError("logistic_regression needs class labels; the label is "
                                "continuous", where=where, hint="use gbt or random_forest")
    if algorithm == "gbt":
        return R.GBTRegressor(maxIter=max_iter, seed=seed, **cols)
    return R.RandomForestRegressor(numTrees=max_iter, seed=seed, **cols)


def _features(frame: Any, label: str, wanted: list[str], where: str) -> list[str]:
    from pyspark.sql import types as T

    usable = {f.name for f in frame.schema.fields
              if isinstance(f.dataType, T.NumericType | T.BooleanType)}
    if wanted:
        missing = [c for c in wanted if c not in frame.columns]
        if missing:
            raise InvalidInputError(f"feature column(s) not in the data: {', '.join(missing)}",
                                    where=where, hint=f"columns: {', '.join(frame.columns[:20])}")
        text = [c for c in wanted if c not in usable]
        if text:
            raise InvalidInputError(f"train_spark needs numeric features; non-numeric: "
                                    f"{', '.join(text[:10])}", where=where,
                                    hint="encode them upstream")
        return list(wanted)
    chosen = [c for c in frame.columns if c in usable and c not in (ROW_ID, label, TIMESTAMP)]
    skipped = [c for c in frame.columns if c not in usable and c not in (ROW_ID, label, TIMESTAMP)]
    if skipped:
        log(f"left out non-numeric column(s): {', '.join(skipped[:10])}")
    if not chosen:
        raise InvalidInputError("the dataset has no numeric feature column", where=where)
    return chosen


def _task(frame: Any, label: str) -> tuple[str, list[Any]]:
    from pyspark.sql import types as T

    dtype = frame.schema[label].dataType
    values = [r[0] for r in frame.select(label).distinct().limit(MAX_CLASSES + 1).collect()]
    if not isinstance(dtype, T.NumericType):
        return "classification", sorted(values)
    if len(values) <= MAX_CLASSES and all(float(v) == int(v) for v in values):
        return "classification", sorted(int(v) for v in values)
    return "regression", []


def _class_map(classes: list[Any], *, to_index: bool) -> Any:
    """``{class: index}`` (or the reverse) as a Spark map; integer classes as longs."""
    from pyspark.sql import functions as F

    def label(c: Any) -> Any:
        is_int = isinstance(c, int | np.integer) and not isinstance(c, bool)
        return F.lit(int(c)).cast("long") if is_int else F.lit(c)

    pairs = []
    for i, c in enumerate(classes):
        pairs += [label(c), F.lit(float(i))] if to_index else [F.lit(float(i)), label(c)]
    return F.create_map(*pairs)


# ---------------------------------------------------------------------- metrics
def _confusion_metrics(matrix: np.ndarray, classes: list[Any]) -> dict[str, Any]:
    total = int(matrix.sum())
    out: dict[str, Any] = {"n_rows": total}
    if total == 0:
        return out
    tp = np.diag(matrix).astype(np.float64)
    predicted, actual = matrix.sum(axis=0), matrix.sum(axis=1)
    out["accuracy"] = float(tp.sum() / total)

    def ratio(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.divide(a, b, out=np.zeros_like(a, dtype=np.float64), where=b > 0)

    precision, recall = ratio(tp, predicted), ratio(tp, actual)
    f1 = ratio(2 * tp, predicted + actual)
    if len(classes) == 2:
        out.update(precision=float(precision[1]), recall=float(recall[1]), f1=float(f1[1]))
    else:
        out.update(precision=float(precision.mean()), recall=float(recall.mean()),
                   f1=float(f1.mean()))
    out["confusion_matrix"] = {"labels": list(classes), "matrix": matrix.astype(int).tolist()}
    return out


def _classification_metrics(scored: Any, classes: list[Any], test: bool) -> dict[str, Any]:
    from pyspark.ml.evaluation import BinaryClassificationEvaluator
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    part = scored.where(F.col(_TEST) == F.lit(test))
    k = len(classes)
    matrix = np.zeros((k, k), dtype=np.int64)
    for r in part.groupBy(_LABEL, _PRED).count().collect():
        matrix[int(r[_LABEL]), int(r[_PRED])] += int(r["count"])
    out = _confusion_metrics(matrix, classes)
    if out["n_rows"] == 0:
        return out
    probs = F.transform(vector_to_array(F.col(_PROB)),
                        lambda x: F.least(F.greatest(x, F.lit(1e-15)), F.lit(1 - 1e-15)))
    p_true = F.element_at(probs, F.col(_LABEL).cast("int") + 1) / F.aggregate(
        probs, F.lit(0.0), lambda acc, x: acc + x)
    out["log_loss"] = float(part.select(F.avg(-F.log(p_true))).first()[0])
    if k == 2 and int((matrix.sum(axis=1) > 0).sum()) == 2:
        evaluator = BinaryClassificationEvaluator(rawPredictionCol=_PROB, labelCol=_LABEL,
                                                  metricName="areaUnderROC", numBins=0)
        out["roc_auc"] = float(evaluator.evaluate(part))
    return out


def _regression_metrics(scored: Any, test: bool) -> dict[str, Any]:
    from pyspark.sql import functions as F

    part = scored.where(F.col(_TEST) == F.lit(test))
    err = F.col(_PRED) - F.col(_LABEL)
    row = part.agg(F.count(F.lit(1)).alias("n"), F.avg(err * err).alias("mse"),
                   F.avg(F.abs(err)).alias("mae"), F.sum(err * err).alias("ss_res"),
                   F.var_pop(_LABEL).alias("var")).first()
    out: dict[str, Any] = {"n_rows": int(row["n"])}
    if not row["n"]:
        return out
    out.update(rmse=float(np.sqrt(row["mse"])), mae=float(row["mae"]))
    if row["n"] > 1 and row["var"]:
        out["r2"] = float(1.0 - row["ss_res"] / (row["var"] * row["n"]))
    return out


def _training_metrics(scored: Any, task: str, classes: list[Any]) -> dict[str, Any]:
    if task == "classification":
        held, trained = (_classification_metrics(scored, classes, t) for t in (True, False))
    else:
        held, trained = (_regression_metrics(scored, t) for t in (True, False))
    return combine_metrics(held, trained)


# ---------------------------------------------------------------------- the model file
def _zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            if path.name.endswith(".crc"):
                continue
            info = zipfile.ZipInfo(str(path.relative_to(folder)), (2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def run_train_spark(state: SparkStep) -> StepOutcome:
    from pyspark import StorageLevel
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import VectorAssembler
    from pyspark.sql import functions as F

    ctx = state.ctx
    data_in = ctx.require("data")
    algorithm = str(ctx.param("algorithm", "logistic_regression"))
    if algorithm not in ALGORITHMS:
        raise InvalidInputError(f"unknown algorithm {algorithm!r}", where=ctx.where,
                                hint=f"use one of {', '.join(ALGORITHMS)}")
    max_iter = int(ctx.param("max_iter", 100))
    wanted = [str(c) for c in ctx.param("features", []) or []]
    frame = read_input(state.spark, data_in, ctx.where)
    label = str(ctx.param("label", "") or data_in.meta.get("target") or "target")
    if label not in frame.columns:
        raise InvalidInputError(f"the dataset has no label column {label!r}", where=ctx.where,
                                hint="set the node's 'label', or the data source's 'target'")
    features = _features(frame, label, wanted, ctx.where)
    labelled = frame.where(F.col(f"`{label}`").isNotNull())
    dropped = frame.count() - labelled.count()
    if dropped:
        log(f"dropped {dropped} row(s) without a label in {label!r}")
    holes = labelled.agg(*[F.sum(F.when(F.col(f"`{c}`").isNull() | F.isnan(
        F.col(f"`{c}`").cast("double")), 1).otherwise(0)).alias(c) for c in features]).first()
    incomplete = [c for c in features if holes[c]]
    if incomplete:
        raise InvalidInputError(f"feature column(s) with missing values: "
                                f"{', '.join(incomplete[:10])}", where=ctx.where,
                                hint="impute them upstream")
    task, classes = _task(labelled, label)
    if task == "classification" and len(classes) < 2:
        raise InvalidInputError(f"the label {label!r} has only one class ({classes[0]!r})",
                                where=ctx.where)
    state.check_cancel()
    target_col = (_class_map(classes, to_index=True)[
        F.col(f"`{label}`").cast("long") if classes and isinstance(classes[0], int)
        else F.col(f"`{label}`")] if task == "classification"
        else F.col(f"`{label}`").cast("double"))
    seed = ctx.options.seed
    prepared = (labelled.withColumn(_LABEL, target_col)
                .withColumn(_TEST, _is_test_udf(seed)(F.col(ROW_ID).cast("long")))
                .persist(StorageLevel.MEMORY_AND_DISK))
    try:
        counts = {bool(r[_TEST]): int(r["count"])
                  for r in prepared.groupBy(_TEST).count().collect()}
        if not counts.get(True) or not counts.get(False):
            raise InvalidInputError(
                f"{sum(counts.values())} row(s) are too few for a train/test split",
                where=ctx.where, hint="give at least ~10 labelled rows")
        log(f"{task} with Spark MLlib {algorithm} on {len(features)} feature(s), "
            f"{counts[False]} train / {counts[True]} test rows"
            + (f", classes {classes}" if classes else ""))
        estimator = _estimator(algorithm, task, len(classes), max_iter, seed, ctx.where)
        pipeline = Pipeline(stages=[VectorAssembler(inputCols=features, outputCol=_FEATURES,
                                                    handleInvalid="keep"), estimator])
        emit_progress(0.1, "fitting")
        model = pipeline.fit(prepared.where(~F.col(_TEST)))
        state.check_cancel()
        emit_progress(0.8, "scoring")
        metrics = _training_metrics(model.transform(prepared), task, classes)
    finally:
        prepared.unpersist()
    folder = state.data_dir / f"tmp-model-{uuid.uuid4().hex}"
    try:
        model.write().save(str(folder))
        (ctx.output_dir / "model.zip").write_bytes(_zip_folder(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    model_name = str(ctx.param("model_name", "") or ctx.node_id)
    meta = {"framework": SPARK_ML, "task": task, "features": features, "target": label,
            "classes": classes, "model_name": model_name, "data_sha256": data_in.sha256,
            "source_sha256": data_in.meta.get("source_sha256"),
            "split": {"test_fraction": TEST_FRACTION, "seed": seed}, "algorithm": algorithm,
            "spark_version": state.spark.version}
    name = write_json(metrics, ctx.output_dir, "metrics.json")
    log(f"trained {algorithm}: " + ", ".join(
        f"{k}={v:.4g}" for k, v in scalar_metrics(metrics).items() if not k.startswith("n_")))
    return StepOutcome(
        outputs={"model": (OutputArtifact("model.zip", "model", meta),),
                 "metrics": (OutputArtifact(name, "metrics", {"model_name": model_name}),)},
        metrics=scalar_metrics(metrics), info={"rows": sum(counts.values())})


# ---------------------------------------------------------------------- scoring
_SPARK_ML_CLASSES = "org.apache.spark.ml."


def _metadata_records(folder: Path) -> list[tuple[str, dict[str, Any]]]:
    records = []
    for meta_dir in sorted(p for p in folder.rglob("metadata") if p.is_dir()):
        for part in sorted(meta_dir.glob("part-*")):
            for line in part.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.strip():
                    try:
                        record = json.loads(line)
                    except json.JSONDecodeError:
                        record = {}
                    records.append((str(meta_dir.relative_to(folder)),
                                    record if isinstance(record, dict) else {}))
    return records


def check_spark_model(folder: Path, where: str) -> None:
    """Refuse a saved pipeline that names classes outside Spark ML, or Python stages."""
    records = _metadata_records(folder)
    top = [r for place, r in records if place == "metadata"]
    if not top or top[0].get("class") != f"{_SPARK_ML_CLASSES}PipelineModel":
        raise UntrustedModelError("the spark_ml model is not a saved Spark ML PipelineModel; "
                                  "it was not loaded", where=where)
    refused = sorted({f"{r.get('class')!s} ({place})" for place, r in records
                      if not str(r.get("class") or "").startswith(_SPARK_ML_CLASSES)
                      or (r.get("paramMap") or {}).get("language") == "Python"})
    if refused:
        raise UntrustedModelError(
            "the spark_ml model names classes outside Spark ML or Python stages, which loading "
            f"would import: {', '.join(refused)}; it was not loaded", where=where,
            hint="retrain it with a train_spark node")


def _unpacked(state: SparkStep, model_in: Any) -> Path:
    data = Path(model_in.path).read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != model_in.sha256:
        raise ModelIntegrityError(f"sha256 mismatch: expected {model_in.sha256}, the file has "
                                  f"{actual}; it was not loaded", where=str(model_in.path))
    final = state.data_dir / "models" / actual
    if final.is_dir():
        return final
    staging = final.parent / f"tmp-{uuid.uuid4().hex}"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                target = (staging / member).resolve()
                if staging.resolve() not in target.parents:
                    raise UnusableInputError(f"the model zip holds the path {member!r}",
                                             where=str(model_in.path))
            archive.extractall(staging)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, final)
    except zipfile.BadZipFile:
        raise UnusableInputError("the spark_ml model is not a zip file",
                                 where=str(model_in.path)) from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def score_spark_ml(state: SparkStep, model_in: Any, frame: Any) -> tuple[Any, Predictor]:
    """``frame`` with ``prediction`` and ``score`` from a spark_ml model, and its description."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql import functions as F

    meta = dict(model_in.meta)
    info = Predictor(framework=SPARK_ML, task=str(meta.get("task") or "classification"),
                     features=tuple(meta.get("features") or ()),
                     classes=tuple(meta.get("classes") or ()), target=meta.get("target"),
                     model_name=str(meta.get("model_name") or ""), sha256=model_in.sha256)
    missing = [c for c in info.features if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"the data lacks {len(missing)} feature column(s) the model "
                                f"{info.model_name!r} needs: {', '.join(missing[:10])}",
                                where=state.ctx.where)
    folder = _unpacked(state, model_in)
    check_spark_model(folder, str(model_in.path))
    model = PipelineModel.load(str(folder))
    log(f"scoring with the Spark ML pipeline {info.model_name!r} ({meta.get('algorithm')})")
    out = model.transform(frame)
    if info.is_classifier:
        probs = vector_to_array(F.col(_PROB))
        score = (F.element_at(probs, 2) if len(info.classes) == 2 else F.array_max(probs))
        out = out.withColumn("prediction", _class_map(list(info.classes), to_index=False)[
            F.col(_PRED)]).withColumn("score", score.cast("double"))
    else:
        out = out.withColumn("prediction", F.col(_PRED).cast("double")).withColumn(
            "score", F.col(_PRED).cast("double"))
    keep = [c for c in frame.columns if c not in ("prediction", "score")]
    return out.select(*keep, "prediction", "score"), info
