"""Executors ``train_sklearn``, ``evaluate`` and ``ensemble``, and the training data rules
``train_torch`` shares.

Training data: the ``data`` input's target column (from its meta) is the label; the features
are every other column except ``row_id``, ``timestamp`` and datetime columns; rows without a
label are dropped (logged). The task is classification when the label is boolean, text or
categorical, or integer-valued with at most ``MAX_CLASSES`` distinct values; regression
otherwise. ``split_mask`` puts ~20 % of the rows (by ``row_id`` hash, seed from the options)
in the hold-out set: models fit on the rest and report hold-out metrics under the plain names
(``accuracy``…, ``rmse``…) and train metrics with a ``train_`` prefix.

``train_sklearn``: ``estimator`` is an import path ``package.module.Class`` on the estimator
allow-list (``workbench.estimators``: scikit-learn's estimators and classes installed plug-ins
declare); any other name is refused before its module is imported. ``estimator_params`` are
its keyword arguments; ``random_state`` is set to the seed
when the estimator takes one and the params do not. Non-numeric feature columns are one-hot
encoded inside the saved model (a ``Pipeline`` of a ``ColumnTransformer`` with
``OneHotEncoder(handle_unknown="ignore")`` and the estimator), so the model takes raw columns;
numeric columns pass through untouched. Missing feature values are left to the estimator.
The model is saved as ``model.skops`` (``sklearn_files``; meta ``"format": "skops"``), never
pickled; a fitted estimator holding types a model file may not hold fails the step.

``evaluate``: the test rows of the split when the data is the model's training data (same
dataset sha256 or same ``source_sha256``), every row otherwise; ``split`` in the metrics file
says which. The split's seed and fraction travel in the model's meta (``"split"``), so a later
run with another seed still evaluates on the model's own hold-out rows.

``ensemble``: the ``models`` inputs are loaded (each verified) and must agree on task,
features and classes; the output ``ensemble.json`` lists the members' sha256 and meta.
Classification members are soft-voted, regression members averaged, whichever ``method``.

Rules: scikit-learn and skops are imported inside the functions.
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import (
    ROW_ID,
    dataset_target,
    feature_columns,
    non_numeric,
    read_dataset,
    write_json,
)
from workbench.engines.runtime.events import emit_metric, emit_progress, log
from workbench.engines.runtime.metrics import (
    classification_metrics,
    regression_metrics,
    scalar_metrics,
)
from workbench.engines.runtime.models import ENSEMBLE_FORMAT, Predictor, check_members, load_model
from workbench.engines.runtime.spec import InputArtifact, OutputArtifact, StepContext, StepOutcome
from workbench.engines.runtime.split import TEST_FRACTION, split_mask
from workbench.errors import InvalidInputError

__all__ = [
    "MAX_CLASSES",
    "TrainingData",
    "load_training_data",
    "model_metrics",
    "run_ensemble",
    "run_evaluate",
    "run_train_sklearn",
]

MAX_CLASSES = 20


@dataclass(frozen=True)
class TrainingData:
    frame: pd.DataFrame
    features: tuple[str, ...]
    target: str
    task: str
    classes: tuple[Any, ...]
    test: np.ndarray  # bool mask over frame rows
    artifact: InputArtifact
    split_seed: int = 0

    @property
    def train_frame(self) -> pd.DataFrame:
        return self.frame.loc[~self.test]

    @property
    def test_frame(self) -> pd.DataFrame:
        return self.frame.loc[self.test]


def infer_task(y: pd.Series) -> str:
    if (pd.api.types.is_bool_dtype(y) or isinstance(y.dtype, pd.CategoricalDtype)
            or not pd.api.types.is_numeric_dtype(y)):
        return "classification"
    values = y.to_numpy(dtype=np.float64)
    if np.all(np.mod(values, 1) == 0) and len(np.unique(values)) <= MAX_CLASSES:
        return "classification"
    return "regression"


def load_training_data(ctx: StepContext) -> TrainingData:
    artifact = ctx.require("data")
    frame = read_dataset(artifact.path, ctx.where)
    target = dataset_target(frame, artifact.meta, ctx.where, required=True)
    assert target is not None
    unlabelled = frame[target].isna()
    if unlabelled.any():
        log(f"dropped {int(unlabelled.sum())} row(s) without a label in {target!r}")
        frame = frame.loc[~unlabelled].reset_index(drop=True)
    features = feature_columns(frame, target)
    if not features:
        raise InvalidInputError("the dataset has no feature column", where=ctx.where)
    y = frame[target]
    task = infer_task(y)
    classes: tuple[Any, ...] = ()
    if task == "classification":
        if pd.api.types.is_float_dtype(y):
            frame = frame.assign(**{target: y.astype(np.int64)})
        classes = tuple(np.unique(frame[target].to_numpy()).tolist())
        if len(classes) < 2:
            raise InvalidInputError(
                f"the label {target!r} has only one class ({classes[0]!r})", where=ctx.where)
    test = split_mask(frame[ROW_ID].to_numpy(), seed=ctx.options.seed)
    if test.all() or not test.any():
        raise InvalidInputError(
            f"{len(frame)} row(s) are too few for a train/test split", where=ctx.where,
            hint="give at least ~10 labelled rows")
    log(f"{task} on {len(features)} feature(s), {int((~test).sum())} train / "
        f"{int(test.sum())} test rows" + (f", classes {list(classes)}" if classes else ""))
    return TrainingData(frame, tuple(features), target, task, classes, test, artifact,
                        ctx.options.seed)


def model_metrics(predictor: Predictor, frame: pd.DataFrame, target: str) -> dict[str, Any]:
    """Quality of ``predictor`` on the labelled ``frame``."""
    y_true = frame[target].to_numpy()
    if predictor.is_classifier:
        labels, _ = predictor.predict_and_score(frame)
        return classification_metrics(y_true, labels, predictor.proba_matrix(frame),
                                      predictor.classes)
    return regression_metrics(y_true, predictor.predict(frame))


def training_metrics(predictor: Predictor, data: TrainingData) -> dict[str, Any]:
    """Hold-out metrics under plain names plus ``train_`` metrics; emits them as events."""
    held = model_metrics(predictor, data.test_frame, data.target)
    trained = model_metrics(predictor, data.train_frame, data.target)
    return combine_metrics(held, trained)


def combine_metrics(held: dict[str, Any], trained: dict[str, Any]) -> dict[str, Any]:
    """Hold-out metrics under plain names, training ones as ``train_…``, both also emitted as
    events — the same for every engine that trains."""
    trained = dict(trained)
    out: dict[str, Any] = dict(held)
    out["n_test"] = out.pop("n_rows")
    out["n_train"] = trained.pop("n_rows")
    for key, value in scalar_metrics(trained).items():
        out[f"train_{key}"] = value
    for key in ("accuracy", "f1", "roc_auc", "log_loss", "rmse", "mae", "r2"):
        if key in trained:
            emit_metric(f"train_{key}", 0, trained[key])
        if key in held:
            emit_metric(f"validation_{key}", 0, held[key])
    return out


def model_meta(framework: str, data: TrainingData, model_name: str,
               **extra: Any) -> dict[str, Any]:
    return {
        "framework": framework,
        "task": data.task,
        "features": list(data.features),
        "target": data.target,
        "classes": list(data.classes),
        "model_name": model_name,
        "data_sha256": data.artifact.sha256,
        "source_sha256": data.artifact.meta.get("source_sha256"),
        "split": {"test_fraction": TEST_FRACTION, "seed": data.split_seed},
        **extra,
    }


# ---------------------------------------------------------------------- train_sklearn
def resolve_estimator(path: str, where: str) -> type:
    """The class ``path`` names, once the allow-list accepts it (nothing is imported before)."""
    from workbench.estimators import estimator_refusal

    refusal = estimator_refusal(path)
    if refusal is not None:
        raise InvalidInputError(refusal, where=where)
    module_name, _, class_name = str(path).strip().rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InvalidInputError(f"estimator {path!r}: cannot import module {module_name!r} "
                                f"({exc})", where=where) from None
    cls = getattr(module, class_name, None)
    if cls is None:
        raise InvalidInputError(f"estimator {path!r}: module {module_name!r} has no "
                                f"{class_name!r}", where=where)
    if not inspect.isclass(cls) or not hasattr(cls, "fit") or not hasattr(cls, "predict"):
        raise InvalidInputError(f"estimator {path!r} is not a class with fit() and predict()",
                                where=where)
    return cls


def _build_estimator(ctx: StepContext, data: TrainingData) -> Any:
    path = str(ctx.param("estimator", "sklearn.linear_model.LogisticRegression"))
    cls = resolve_estimator(path, ctx.where)
    raw = ctx.param("estimator_params", {}) or {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError("estimator_params must be a mapping", where=ctx.where)
    params = dict(raw)
    try:
        accepted = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        accepted = {}
    if "random_state" in accepted and "random_state" not in params:
        params["random_state"] = ctx.options.seed
    try:
        estimator = cls(**params)
    except TypeError as exc:
        raise InvalidInputError(f"estimator {path!r} rejects estimator_params: {exc}",
                                where=ctx.where) from None
    text = non_numeric(data.frame, list(data.features))
    if not text:
        return estimator
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    log(f"one-hot encoding non-numeric feature(s): {', '.join(text[:10])}")
    encode = ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore"), text)],
        remainder="passthrough", verbose_feature_names_out=False,
    )
    return Pipeline([("encode", encode), ("estimator", estimator)])


def run_train_sklearn(ctx: StepContext) -> StepOutcome:
    from workbench.engines.runtime.models import SklearnPredictor
    from workbench.engines.runtime.sklearn_files import MODEL_FORMAT, dump_estimator

    data = load_training_data(ctx)
    estimator = _build_estimator(ctx, data)
    X = data.train_frame.loc[:, list(data.features)]
    y = data.train_frame[data.target].to_numpy()
    emit_progress(0.1, "fitting")
    try:
        estimator.fit(X, y)
    except (ValueError, TypeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"fitting {type(estimator).__name__} failed: {first}",
                                where=ctx.where) from None
    emit_progress(0.8, "scoring")
    if data.task == "classification" and not hasattr(estimator, "classes_"):
        raise InvalidInputError(f"{type(estimator).__name__} is not a classifier, but the label "
                                f"{data.target!r} is categorical", where=ctx.where)
    classes = tuple(np.asarray(getattr(estimator, "classes_", [])).tolist())
    predictor = SklearnPredictor(framework="sklearn", task=data.task, features=data.features,
                                 classes=classes, target=data.target, estimator=estimator)
    metrics = training_metrics(predictor, data)
    dump_estimator(estimator, ctx.output_dir / "model.skops", ctx.where)
    model_name = str(ctx.param("model_name", "") or ctx.node_id)
    meta = model_meta("sklearn", data, model_name, format=MODEL_FORMAT,
                      estimator=str(ctx.param("estimator",
                                              "sklearn.linear_model.LogisticRegression")))
    metrics_file = write_json(metrics, ctx.output_dir, "metrics.json")
    log(f"trained {type(estimator).__name__}: " + ", ".join(
        f"{k}={v:.4g}" for k, v in scalar_metrics(metrics).items() if not k.startswith("n_")))
    return StepOutcome(
        outputs={"model": (OutputArtifact("model.skops", "model", meta),),
                 "metrics": (OutputArtifact(metrics_file, "metrics", {"model_name": model_name}),)},
        metrics=scalar_metrics(metrics),
        info={"rows": len(data.frame)},
    )


# ---------------------------------------------------------------------- evaluate
def load_input_model(ctx: StepContext, artifact: InputArtifact) -> Predictor:
    return load_model(artifact.path, artifact.sha256, artifact.meta, ctx.options.artifact_root)


def run_evaluate(ctx: StepContext) -> StepOutcome:
    model_in, data_in = ctx.require("model"), ctx.require("data")
    predictor = load_input_model(ctx, model_in)
    frame = read_dataset(data_in.path, ctx.where)
    target = dataset_target(frame, data_in.meta, ctx.where, required=True)
    assert target is not None
    frame = frame.loc[frame[target].notna()].reset_index(drop=True)
    same_data = bool(
        (data_in.sha256 and data_in.sha256 == model_in.meta.get("data_sha256"))
        or (data_in.meta.get("source_sha256")
            and data_in.meta.get("source_sha256") == model_in.meta.get("source_sha256"))
    )
    if same_data:
        split = model_in.meta.get("split") or {}
        frame = frame.loc[split_mask(frame[ROW_ID].to_numpy(),
                                     float(split.get("test_fraction", TEST_FRACTION)),
                                     int(split.get("seed", ctx.options.seed)))]
    try:
        metrics = model_metrics(predictor, frame, target)
    except InvalidInputError as exc:
        raise InvalidInputError(exc.message, where=ctx.where, hint=exc.hint) from None
    metrics["split"] = "test" if same_data else "all"
    sensitive = [str(c) for c in (ctx.param("sensitive_features", []) or [])]
    if sensitive:
        metrics["fairness"] = _fairness(ctx, predictor, frame, target, sensitive)
        for column, report in metrics["fairness"].items():
            if report.get("demographic_parity_ratio") is not None:
                metrics[f"parity_ratio[{column}]"] = report["demographic_parity_ratio"]
    name = write_json(metrics, ctx.output_dir, "metrics.json")
    log(f"evaluated on {len(frame)} {'test' if same_data else ''} rows: " + ", ".join(
        f"{k}={v:.4g}" for k, v in scalar_metrics(metrics).items() if k != "n_rows"))
    return StepOutcome(
        outputs={"metrics": (OutputArtifact(name, "metrics",
                                            {"model_name": predictor.model_name}),)},
        metrics=scalar_metrics(metrics),
        info={"rows": len(frame)},
    )


def _fairness(ctx: StepContext, predictor: Any, frame: Any, target: str,
              columns: list[str]) -> dict[str, Any]:
    """Per sensitive column, ``monitoring.fairness.group_report`` of the model's predictions."""
    from workbench.monitoring.fairness import group_report

    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InvalidInputError(f"parameter 'sensitive_features': the data has no column "
                                f"{', '.join(repr(c) for c in missing)}", where=ctx.where,
                                hint="name columns of the evaluation data")
    classes = list(getattr(predictor, "classes", ()) or ())
    if not predictor.is_classifier or len(classes) != 2:
        raise InvalidInputError("parameter 'sensitive_features': fairness is measured for binary "
                                "classifiers", where=ctx.where)
    predicted = predictor.predict(frame)
    out = {}
    for column in columns:
        out[column] = group_report(frame[target].to_numpy(), predicted, frame[column].astype(str).to_numpy(),
                                   positive=classes[1], seed=ctx.options.seed)
        ratio = out[column]["demographic_parity_ratio"]
        log(f"fairness over {column!r}: {len(out[column]['groups'])} groups, demographic-parity ratio "
            + ("n/a" if ratio is None else f"{ratio:.3f}"))
    return out


# ---------------------------------------------------------------------- ensemble
def run_ensemble(ctx: StepContext) -> StepOutcome:
    method = str(ctx.param("method", "soft_vote"))
    if method not in ("soft_vote", "average"):
        raise InvalidInputError(f"unknown ensemble method {method!r}", where=ctx.where,
                                hint="use soft_vote or average")
    artifacts = ctx.inputs("models")
    if not artifacts:
        raise InvalidInputError("input port 'models' has no model", where=ctx.where,
                                hint="connect at least one trained model")
    members = [load_input_model(ctx, a) for a in artifacts]
    check_members(members, ctx.where)
    first = members[0]
    manifest = {
        "format": ENSEMBLE_FORMAT,
        "method": method,
        "task": first.task,
        "features": list(first.features),
        "classes": list(first.classes),
        "members": [{"sha256": a.sha256, "meta": dict(a.meta)} for a in artifacts],
    }
    text = json.dumps(manifest, indent=2, sort_keys=True, default=str)
    (ctx.output_dir / "ensemble.json").write_text(text + "\n", encoding="utf-8")
    model_name = str(ctx.param("model_name", "") or ctx.node_id)
    meta = {
        "framework": "ensemble", "task": first.task, "features": list(first.features),
        "target": first.target, "classes": list(first.classes), "model_name": model_name,
        "method": method, "members": [a.sha256 for a in artifacts],
    }
    for key in ("data_sha256", "source_sha256", "split"):  # members trained on one data set
        shared = {json.dumps(a.meta.get(key), sort_keys=True) for a in artifacts}
        if len(shared) == 1 and artifacts[0].meta.get(key) is not None:
            meta[key] = artifacts[0].meta[key]
    log(f"ensemble of {len(members)} {first.task} model(s), method {method}")
    return StepOutcome(
        outputs={"model": (OutputArtifact("ensemble.json", "model", meta),)},
        metrics={"members": len(members)},
    )
