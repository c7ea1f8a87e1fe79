"""Alias-bound models for the REST service: loading, following the alias, swapping.

Owns :class:`LoadedModel` (one verified, loaded model version and its training schema),
:class:`ModelHolder` (the version an alias currently points at, for one binding) and
:class:`AliasWatcher` (a background thread that notices promotions).

Rules:

* Models load only through ``load_model``, which checks the file's sha256 against the one the
  artifact was registered with before unpickling anything.
* The training schema (feature types, and which features may be null) comes from the training
  dataset's Parquet schema (the model's ``data_sha256``); without it every feature is a
  non-null number.
* The watcher reads the store's change feed (topic ``models``) every ``poll_s`` (1 s) and, on
  any change, asks each holder to re-read its alias. A new version is loaded beside the old
  one (the slow part, off the request path) and then swapped in with one attribute
  assignment: a request reads ``holder.current`` once and scores with that, so no request is
  dropped or sees half a swap. A version that fails to load is reported on ``/health`` and
  the old one keeps serving.
* Every switch, and a start that serves a version other than the node's last deployment, is
  recorded as a deployment event ``(time, "<graph>/<inference node>", old → new)`` by the
  serving user.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workbench.engines.runtime.models import Predictor, load_model
from workbench.errors import InvalidInputError
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.serving.config import Binding
from workbench.serving.fast_path import fast_predictor
from workbench.serving.validation import FeatureSpec
from workbench.store import Store, now_ms
from workbench.store.entities import ModelVersion

__all__ = ["AliasWatcher", "LoadedModel", "ModelHolder", "load_version", "training_schema"]

log = logging.getLogger("workbench.serving")


@dataclass(frozen=True)
class LoadedModel:
    version_id: int
    name: str
    version: int
    predictor: Predictor
    schema: Mapping[str, FeatureSpec]
    loaded_at: int

    @property
    def label(self) -> str:
        return f"{self.name}/{self.version}"

    @property
    def features(self) -> tuple[str, ...]:
        return self.predictor.features


def training_schema(artifacts: ArtifactStore, features: Sequence[str],
                    meta: Mapping[str, Any]) -> dict[str, FeatureSpec]:
    """Feature name → :class:`FeatureSpec` from the training data's Parquet schema."""
    schema = {f: FeatureSpec() for f in features}
    data_sha = str(meta.get("data_sha256") or "")
    path = artifacts.path(data_sha) if len(data_sha) == 64 else None
    if path is None or not path.is_file():
        return schema
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq

        parquet = pq.ParquetFile(path)
        arrow = parquet.schema_arrow
        nulls: dict[str, int] = {}
        metadata = parquet.metadata
        for g in range(metadata.num_row_groups):
            group = metadata.row_group(g)
            for c in range(group.num_columns):
                column = group.column(c)
                stats = column.statistics
                count = stats.null_count if stats is not None and stats.has_null_count else 1
                nulls[column.path_in_schema] = nulls.get(column.path_in_schema, 0) + count
    except Exception as exc:  # an unreadable training file only loses type detail
        log.warning("cannot read the training schema from %s: %s", path, exc)
        return schema
    for name in features:
        if name not in arrow.names:
            continue
        kind = arrow.field(name).type
        if pa.types.is_boolean(kind):
            spec_kind = "boolean"
        elif pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
            spec_kind = "number"
        elif pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
            spec_kind = "string"
        else:
            spec_kind = "any"
        schema[name] = FeatureSpec(spec_kind, nullable=nulls.get(name, 0) > 0)
    return schema


def load_version(store: Store, artifacts: ArtifactStore, version: ModelVersion) -> LoadedModel:
    """Verify and load ``version``'s model file (see ``load_model``)."""
    if version.artifact_id is None:
        raise InvalidInputError(f"model {version.name!r} version {version.version} has no "
                                "model file registered", hint="train it through a graph run")
    with store.read() as uow:
        artifact = uow.artifacts.get(version.artifact_id)
    meta = dict(artifact.lineage.get("meta") or {})
    predictor = load_model(artifacts.path(artifact.sha256), artifact.sha256, meta, artifacts.root)
    if not predictor.features:
        raise InvalidInputError(f"model {version.name!r} version {version.version} does not "
                                "name its features, so requests cannot be checked")
    schema = training_schema(artifacts, predictor.features, meta)
    return LoadedModel(version_id=version.id, name=version.name, version=version.version,
                       predictor=fast_predictor(predictor, schema), schema=schema,
                       loaded_at=now_ms())


class ModelHolder:
    """The loaded version one binding's alias points at; ``current`` is swapped atomically."""

    def __init__(self, store: Store, actor: str, binding: Binding, artifacts: ArtifactStore):
        self.store, self.actor, self.binding, self.artifacts = store, actor, binding, artifacts
        self._lock = threading.Lock()  # one refresh at a time; readers never take it
        self._failed_version_id: int | None = None
        self.last_error = ""
        self.switches = 0
        self._current = self._load_initial()

    @property
    def current(self) -> LoadedModel:
        return self._current

    def _resolve(self) -> ModelVersion | None:
        with self.store.read() as uow:
            return uow.models.by_alias(self.binding.model_name, self.binding.alias)

    def _load_initial(self) -> LoadedModel:
        version = self._resolve()
        if version is None:
            raise InvalidInputError(
                f"model {self.binding.model_name!r} has no version with the alias "
                f"{self.binding.alias!r} yet", where=f"node {self.binding.node_id!r}",
                hint="train one and promote it first (workbench run / workbench models promote)")
        return load_version(self.store, self.artifacts, version)

    def record_start(self) -> None:
        """Record a deployment if this node last served another version (or never served)."""
        loaded = self._current
        try:
            with self.store.write(self.actor) as uow:
                last = uow.models.last_deployment(self.binding.deployment_source)
                if last is None or last.new_version_id != loaded.version_id:
                    uow.models.record_deployment(self.binding.deployment_source, loaded.name,
                                                 last.new_version_id if last else None,
                                                 loaded.version_id)
        except Exception as exc:
            log.warning("could not record the deployment of %s on %s: %s", loaded.label,
                        self.binding.deployment_source, exc)

    def refresh(self) -> bool:
        """Re-read the alias; load and swap in a new version. True when it switched."""
        with self._lock:
            version = self._resolve()
            old = self._current
            if version is None or version.id == old.version_id:
                return False
            if version.id == self._failed_version_id:
                return False
            try:
                loaded = load_version(self.store, self.artifacts, version)
            except Exception as exc:
                self._failed_version_id = version.id
                self.last_error = (f"{version.name}/{version.version} could not be loaded, "
                                   f"still serving {old.label}: {exc}")
                log.error("%s: %s", self.binding.deployment_source, self.last_error)
                return False
            self._current = loaded  # the swap: one reference assignment
            self._failed_version_id, self.last_error = None, ""
            self.switches += 1
        log.info("%s now serves %s (was %s)", self.binding.deployment_source, loaded.label,
                    old.label)
        try:
            with self.store.write(self.actor) as uow:
                uow.models.record_deployment(self.binding.deployment_source, loaded.name,
                                             old.version_id, loaded.version_id)
        except Exception as exc:
            log.warning("could not record the deployment of %s: %s", loaded.label, exc)
        return True

    def describe(self) -> dict[str, Any]:
        loaded = self._current
        return {"variant": self.binding.variant, "node": self.binding.node_id,
                "name": loaded.name, "version": loaded.version, "version_id": loaded.version_id,
                "model": loaded.label, "alias": self.binding.alias,
                "framework": loaded.predictor.framework, "task": loaded.predictor.task,
                "classes": list(loaded.predictor.classes), "loaded_at": loaded.loaded_at,
                "switches": self.switches, "error": self.last_error}


class AliasWatcher:
    """Polls the change feed and refreshes the holders when a model alias may have moved."""

    def __init__(self, store: Store, holders: Sequence[ModelHolder], poll_s: float = 1.0,
                 full_check_every: int = 30):
        self.store, self.holders, self.poll_s = store, list(holders), poll_s
        self.full_check_every = full_check_every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_change_id = self._latest()
        self.last_error = ""

    def _latest(self) -> int:
        try:
            with self.store.read() as uow:
                return uow.changes.latest_id()
        except Exception:
            return 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="serving-alias-watcher",
                                            daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def check_now(self, *, force: bool = False) -> bool:
        """One poll: True when some holder switched versions."""
        with self.store.read() as uow:
            changes = uow.changes.since(self.last_change_id, topics=("models",))
        if changes:
            self.last_change_id = max(c.id for c in changes)
        if not (changes or force):
            return False
        switched = False
        for holder in self.holders:
            switched = holder.refresh() or switched
        return switched

    def _loop(self) -> None:
        tick = 0
        while not self._stop.wait(self.poll_s):
            tick += 1
            try:
                self.check_now(force=tick % self.full_check_every == 0)
                self.last_error = ""
            except Exception as exc:  # the store is away: keep serving what is loaded
                self.last_error = f"cannot read the store: {exc}"
                log.warning("alias watcher: %s", self.last_error)
