"""Safe model loading and the one ``Predictor`` interface over every framework.

``load_model(path, expected_sha256, meta, artifact_root=None)`` reads the file's bytes once,
checks their sha256 against ``expected_sha256`` and only then deserialises *those bytes* (no
second read that could see a swapped file). A mismatch, or no expected hash at all, raises
``ModelIntegrityError`` naming the file and both hashes; nothing of the file is unpickled.

Formats (``meta["framework"]``; sniffed from the bytes when the meta does not say):

* ``sklearn`` — a skops file (``meta["format"] == "skops"``) of a fitted estimator (or
  Pipeline) taking a DataFrame of the ``features`` columns. Only trusted types are rebuilt and
  trees are checked (``sklearn_files``); a file naming any other type is refused with
  ``UntrustedModelError`` listing them. A joblib pickle (written by earlier versions) is
  refused, never unpickled: the message says to retrain the model;
* ``torch`` — ``torch.save({"state_dict", "manifest"[, "exported_program"]})`` read with
  ``weights_only=True`` (see ``torch_support``); an exported program is checked by
  ``exported_files.check_exported`` before ``torch.export.load`` sees it (that loader can
  unpickle and import); it runs on the CPU unless ``on_device`` moves it (batch inference
  does, on a CUDA GPU: rows are scored there in batches of ``DEVICE_SCORE_BATCH``);
* ``ensemble`` — a JSON manifest (``ENSEMBLE_FORMAT``) of member sha256s and metas; members are
  loaded from ``artifact_root/<sha[:2]>/<sha>``, each verified the same way. Classification
  members are soft-voted (mean of class probabilities), regression members averaged;
* ``spark_ml`` — a zip of a Spark MLlib ``PipelineModel`` (node kind ``train_spark``): it is
  scored only by the Spark engine, and loading it here is refused with an error saying so.

``Predictor``: ``features``, ``task``, ``classes``, ``predict(df)`` (labels or values),
``predict_proba(df)`` (binary: positive-class probability, 1-D; more classes: ``(n, K)``;
``None`` without probabilities), ``score(df)`` (binary: positive-class probability; more
classes: probability of the predicted class; regression: the prediction; a classifier without
probabilities scores 1.0/0.0 for the positive/negative class, NaN with more classes).
``predict_and_score(df)`` gives both at once (what inference uses); its labels are the most
probable class whenever the model gives probabilities, so they match the scores.

Rules: loading is done once per model and is the slow part; a loaded predictor holds no
mutable state, so ``predict`` may be called from several threads (torch runs under
``inference_mode``, which is per thread). sklearn, skops and torch are imported inside
functions; nothing here unpickles.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import sha256_bytes
from workbench.engines.runtime.exported_files import check_exported
from workbench.engines.runtime.sklearn_files import UntrustedModelError, load_estimator
from workbench.engines.runtime.torch_support import (
    CHECKPOINT_FORMAT,
    build_mlp,
    load_exported,
    manifest_standardise,
    outputs_to_proba,
    place_network,
)
from workbench.errors import InvalidInputError, UnusableInputError, WorkbenchError

__all__ = [
    "ENSEMBLE_FORMAT",
    "SPARK_ML",
    "EnsemblePredictor",
    "ModelIntegrityError",
    "Predictor",
    "SklearnPredictor",
    "TorchPredictor",
    "UntrustedModelError",
    "check_members",
    "load_model",
]

ENSEMBLE_FORMAT = "workbench.ensemble/1"
SPARK_ML = "spark_ml"
_MAX_DEPTH = 8
DEVICE_SCORE_BATCH = 65_536  # rows per forward pass when a torch network scores on a GPU


class ModelIntegrityError(WorkbenchError):
    """A model file's bytes do not hash to the sha256 it was registered with."""

    exit_code = 2


@dataclass(frozen=True)
class Predictor:
    framework: str
    task: str
    features: tuple[str, ...]
    classes: tuple[Any, ...]
    target: str | None = None
    model_name: str = ""
    sha256: str = ""

    # ------------------------------------------------------------------ to override
    def proba_matrix(self, df: pd.DataFrame) -> np.ndarray | None:
        """``(n, K)`` class probabilities in ``classes`` order, or ``None``."""
        raise NotImplementedError

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        raise NotImplementedError

    # ------------------------------------------------------------------ shared
    @property
    def is_classifier(self) -> bool:
        return self.task == "classification"

    def frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """The feature columns of ``df`` in the model's order; an error names missing ones."""
        missing = [c for c in self.features if c not in df.columns]
        if missing:
            raise InvalidInputError(
                f"the data lacks {len(missing)} feature column(s) the model "
                f"{self.model_name or self.framework!r} needs: {', '.join(missing[:10])}",
                hint="score data with the columns the model was trained on",
            )
        return df.loc[:, list(self.features)]

    def predict_proba(self, df: pd.DataFrame) -> np.ndarray | None:
        matrix = self.proba_matrix(df) if self.is_classifier else None
        if matrix is None:
            return None
        return matrix[:, 1] if len(self.classes) == 2 else matrix

    def predict_and_score(self, df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """``(predict(df), score(df))`` with the probabilities computed once."""
        if not self.is_classifier:
            values = np.asarray(self.predict(df), dtype=np.float64)
            return values, values
        matrix = self.proba_matrix(df)
        if matrix is None:
            labels = np.asarray(self.predict(df))
            if len(self.classes) == 2:
                return labels, (labels == self.classes[1]).astype(np.float64)
            return labels, np.full(len(labels), np.nan)
        labels = np.asarray(self.classes, dtype=object)[matrix.argmax(axis=1)]
        labels = _plain_labels(labels, self.classes)
        score = matrix[:, 1] if len(self.classes) == 2 else matrix.max(axis=1)
        return labels, score.astype(np.float64)

    def score(self, df: pd.DataFrame) -> np.ndarray:
        return self.predict_and_score(df)[1]

    @property
    def runs_torch(self) -> bool:
        """Whether scoring runs a torch network (so a device can matter)."""
        return False

    def on_device(self, device: str) -> Predictor:
        """This predictor scoring on ``device`` (a new one; ``self`` is unchanged)."""
        return self


def _plain_labels(labels: np.ndarray, classes: Sequence[Any]) -> np.ndarray:
    """Labels as a typed array when the classes are all numbers or all strings."""
    if classes and all(isinstance(c, bool | int | np.integer) for c in classes):
        return labels.astype(np.int64)
    if classes and all(isinstance(c, float | np.floating) for c in classes):
        return labels.astype(np.float64)
    return labels


@dataclass(frozen=True)
class SklearnPredictor(Predictor):
    estimator: Any = field(default=None, compare=False, repr=False)

    def proba_matrix(self, df: pd.DataFrame) -> np.ndarray | None:
        if not hasattr(self.estimator, "predict_proba"):
            return None
        return np.asarray(self.estimator.predict_proba(self.frame(df)), dtype=np.float64)

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        return np.asarray(self.estimator.predict(self.frame(df)))


@dataclass(frozen=True)
class TorchPredictor(Predictor):
    network: Any = field(default=None, compare=False, repr=False)
    manifest: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    device: str = "cpu"

    @property
    def runs_torch(self) -> bool:
        return True

    def on_device(self, device: str) -> Predictor:
        import copy

        if device == self.device:
            return self
        network, placed = place_network(copy.deepcopy(self.network), device,
                                        exported=self.manifest.get("architecture") == "script",
                                        width=len(self.features))
        return replace(self, network=network, device=placed)

    def _outputs(self, df: pd.DataFrame) -> np.ndarray:
        import torch

        X = self.frame(df).to_numpy(dtype=np.float32, na_value=np.nan)
        X = manifest_standardise(self.manifest, X)
        with torch.inference_mode():
            if self.device == "cpu":
                return self.network(torch.from_numpy(X)).detach().numpy()
            rows = torch.from_numpy(X).to(self.device)
            parts = [self.network(rows[start:start + DEVICE_SCORE_BATCH])
                     for start in range(0, len(X), DEVICE_SCORE_BATCH)]
            out = torch.cat(parts) if parts else self.network(rows)
            return out.float().cpu().numpy()  # one copy back to the host per call

    def proba_matrix(self, df: pd.DataFrame) -> np.ndarray | None:
        if not self.is_classifier:
            return None
        return outputs_to_proba(self._outputs(df), len(self.classes))

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        if self.is_classifier:
            return self.predict_and_score(df)[0]
        out = self._outputs(df).reshape(len(df), -1)[:, 0].astype(np.float64)
        return out * float(self.manifest.get("target_std", 1.0)) + float(
            self.manifest.get("target_mean", 0.0)
        )


@dataclass(frozen=True)
class EnsemblePredictor(Predictor):
    method: str = "soft_vote"
    members: tuple[Predictor, ...] = field(default=(), compare=False, repr=False)

    @property
    def runs_torch(self) -> bool:
        return any(m.runs_torch for m in self.members)

    def on_device(self, device: str) -> Predictor:
        return replace(self, members=tuple(m.on_device(device) for m in self.members))

    def proba_matrix(self, df: pd.DataFrame) -> np.ndarray | None:
        if not self.is_classifier:
            return None
        stacked = [m.proba_matrix(df) for m in self.members]
        return np.mean(np.stack(stacked), axis=0)  # type: ignore[arg-type]

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        if self.is_classifier:
            return self.predict_and_score(df)[0]
        return np.mean(np.stack([np.asarray(m.predict(df), np.float64) for m in self.members]),
                       axis=0)


def check_members(members: Sequence[Predictor], where: str) -> None:
    """Members of one ensemble must agree on task, feature set and classes, and classifiers
    must give probabilities (soft voting needs them)."""
    if not members:
        raise InvalidInputError("an ensemble needs at least one member model", where=where)
    first = members[0]
    for i, m in enumerate(members[1:], start=2):
        name = m.model_name or f"member {i}"
        if m.task != first.task:
            raise InvalidInputError(
                f"the members disagree on the task: {first.model_name or 'member 1'!r} is "
                f"{first.task}, {name!r} is {m.task}", where=where)
        if set(m.features) != set(first.features):
            extra = sorted(set(m.features) ^ set(first.features))
            raise InvalidInputError(
                f"the members disagree on the features ({name!r} differs in: "
                f"{', '.join(extra[:10])})", where=where,
                hint="train every member on the same feature columns")
        if list(m.classes) != list(first.classes):
            raise InvalidInputError(
                f"the members disagree on the classes: {list(first.classes)} vs "
                f"{list(m.classes)} ({name!r})", where=where)
    if first.is_classifier:
        for i, m in enumerate(members, start=1):
            if isinstance(m, SklearnPredictor) and not hasattr(m.estimator, "predict_proba"):
                raise InvalidInputError(
                    f"member {m.model_name or i!r} gives no class probabilities, which soft "
                    "voting needs", where=where,
                    hint="use an estimator with predict_proba (e.g. SVC(probability=True))")


# ---------------------------------------------------------------------- loading
def _sniff(data: bytes) -> str:
    if data[:2] == b"PK":
        return "sklearn" if b"schema.json" in data[-4096:] else "torch"
    if data.lstrip()[:1] == b"{":
        return "ensemble"
    return "sklearn"


def _common(meta: Mapping[str, Any], sha: str) -> dict[str, Any]:
    return {
        "task": str(meta.get("task") or "classification"),
        "features": tuple(str(f) for f in meta.get("features") or ()),
        "classes": tuple(meta.get("classes") or ()),
        "target": meta.get("target"),
        "model_name": str(meta.get("model_name") or ""),
        "sha256": sha,
    }


def _load_sklearn(data: bytes, meta: Mapping[str, Any], sha: str, where: str) -> Predictor:
    estimator = load_estimator(data, where)
    if not hasattr(estimator, "predict"):
        raise UnusableInputError(f"the model file holds a {type(estimator).__name__}, "
                                 "which has no predict()", where=where)
    common = _common(meta, sha)
    if not common["features"] and hasattr(estimator, "feature_names_in_"):
        common["features"] = tuple(str(f) for f in estimator.feature_names_in_)
    if hasattr(estimator, "classes_"):
        common["classes"] = tuple(np.asarray(estimator.classes_).tolist())
        common["task"] = "classification"
    return SklearnPredictor(framework="sklearn", estimator=estimator, **common)


def _load_torch(data: bytes, meta: Mapping[str, Any], sha: str, where: str) -> Predictor:
    import torch

    try:
        checkpoint = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:
        raise UnusableInputError(f"not a readable workbench torch checkpoint: {exc}",
                                 where=where) from None
    if not isinstance(checkpoint, Mapping) or not isinstance(checkpoint.get("manifest"),
                                                             Mapping):
        raise UnusableInputError("the torch checkpoint has no manifest", where=where)
    manifest = dict(checkpoint["manifest"])
    if manifest.get("format") != CHECKPOINT_FORMAT:
        raise UnusableInputError(
            f"unknown torch checkpoint format {manifest.get('format')!r}", where=where)
    if checkpoint.get("exported_program"):
        check_exported(checkpoint["exported_program"], where)
        network = load_exported(checkpoint["exported_program"])
    else:
        network = build_mlp(manifest["in_features"], manifest["hidden_sizes"],
                            manifest["out_features"])
        network.load_state_dict(checkpoint["state_dict"])
        network.eval()
    common = _common({**meta, **manifest}, sha)
    return TorchPredictor(framework="torch", network=network, manifest=manifest, **common)


def _load_ensemble(data: bytes, meta: Mapping[str, Any], sha: str, where: str,
                   artifact_root: Path | None, depth: int) -> Predictor:
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UnusableInputError(f"the ensemble manifest is not JSON: {exc}",
                                 where=where) from None
    if not isinstance(manifest, dict) or manifest.get("format") != ENSEMBLE_FORMAT:
        raise UnusableInputError("not a workbench ensemble manifest", where=where)
    if artifact_root is None:
        raise UnusableInputError("loading an ensemble needs the artifact root to find its "
                                 "members", where=where)
    if depth >= _MAX_DEPTH:
        raise UnusableInputError("ensembles are nested too deeply", where=where)
    members = []
    for member in manifest.get("members") or []:
        member_sha = str(member.get("sha256") or "")
        member_path = Path(artifact_root) / member_sha[:2] / member_sha
        members.append(_load(member_path, member_sha, member.get("meta") or {},
                             artifact_root, depth + 1))
    check_members(members, where)
    first = members[0]
    return EnsemblePredictor(
        framework="ensemble",
        task=first.task,
        features=first.features,
        classes=first.classes,
        target=first.target,
        model_name=str(meta.get("model_name") or manifest.get("model_name") or ""),
        sha256=sha,
        method=str(manifest.get("method") or "soft_vote"),
        members=tuple(members),
    )


def _load(path: Path, expected: str, meta: Mapping[str, Any], artifact_root: Path | None,
          depth: int) -> Predictor:
    where = f"model file {str(path)!r}"
    if not expected:
        raise ModelIntegrityError("no expected sha256 was given; an unverified model file "
                                  "is never loaded", where=where)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise UnusableInputError("the model file does not exist", where=where) from None
    except OSError as exc:
        raise UnusableInputError(f"cannot read the model file: {exc.strerror}",
                                 where=where) from None
    actual = sha256_bytes(data)
    if actual != expected.lower():
        raise ModelIntegrityError(
            f"sha256 mismatch: expected {expected}, the file has {actual}; it was not loaded",
            where=where,
            hint="the file was changed after it was registered; restore it or retrain",
        )
    framework = str(meta.get("framework") or _sniff(data))
    if framework == "sklearn":
        return _load_sklearn(data, meta, actual, where)
    if framework == "torch":
        return _load_torch(data, meta, actual, where)
    if framework == "ensemble":
        return _load_ensemble(data, meta, actual, where, artifact_root, depth)
    if framework == SPARK_ML:
        raise UnusableInputError(
            "a spark_ml model (a Spark MLlib PipelineModel) is scored only on a Spark target",
            where=where, hint="assign the node that uses it to a Spark target")
    raise UnusableInputError(f"unknown model framework {framework!r}", where=where,
                             hint="expected sklearn, torch or ensemble")


def load_model(
    path: str | Path,
    expected_sha256: str,
    meta: Mapping[str, Any] | None = None,
    artifact_root: str | Path | None = None,
) -> Predictor:
    """Verify ``path`` against ``expected_sha256``, then load it as a ``Predictor``."""
    root = Path(artifact_root) if artifact_root is not None else None
    return _load(Path(path), str(expected_sha256 or ""), dict(meta or {}), root, 0)
