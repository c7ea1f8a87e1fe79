"""The inference service without HTTP: served models, the canary split, scoring, logging.

Owns :class:`InferenceService`, which the FastAPI app (``app.py``) wraps, and
:class:`RequestInvalid` (a request that fails the schema check; the app answers 422).

Rules:

* Every served model scores every row of every request; only one answers. With one
  inference node that is its model. Under a comparator the challenger answers the requests
  whose id hashes (BLAKE2b, 64 bits) below ``traffic_split`` and the champion the rest, so a
  replay with the same request ids splits the same way; in shadow mode the champion always
  answers. Both outputs are logged, keyed by the same request ids, so the comparator compares
  the two models on the same inputs.
* A request is checked against the union of the served models' training schemas before
  anything is scored (``validation.check_rows``), then against the row rules of the served
  node's expectations (``monitoring.expectations.row_problems``: type, min, max, allowed),
  each broken rule a problem naming the row, the feature and the rule. Window rules (rows,
  null rates, uniqueness) go with the logged rows to the prediction log, which checks each
  window. Each request reads each holder's
  ``current`` model once, so a promotion mid-request cannot mix versions.
* Row ``i`` of request ``R`` is logged with request id ``R`` when the request has one row,
  ``R#i`` otherwise. A request without an id gets a random one.
* A challenger that fails to score does not fail the request the champion answers; its
  errors are counted on ``/health``.
* ``predict`` may run on several threads at once (the app scores large batches off the event
  loop): the counters and the schema cache change under one lock.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from workbench.errors import InvalidInputError, WorkbenchError
from workbench.monitoring.expectations import row_problems, window_rules, window_spec
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.serving.config import ServeConfig, resolve_config
from workbench.serving.models import AliasWatcher, LoadedModel, ModelHolder
from workbench.serving.prediction_log import LogEntry, PredictionLogger
from workbench.serving.validation import MAX_PROBLEMS, FeatureSpec, Problem, check_rows, to_frame
from workbench.store import Store, now_ms

__all__ = ["MAX_REQUEST_ID", "MAX_ROWS", "InferenceService", "RequestInvalid", "ScoringError",
           "routes_to_challenger"]

MAX_ROWS = 1_000
MAX_REQUEST_ID = 64


class RequestInvalid(InvalidInputError):
    """The request's rows do not fit the served models' schema."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
        super().__init__(problems[0].message + more)


class ScoringError(WorkbenchError):
    """The answering model failed on valid input."""


def routes_to_challenger(request_id: str, traffic_split: float) -> bool:
    """Whether ``request_id`` falls in the challenger's share (deterministic)."""
    if traffic_split <= 0.0:
        return False
    digest = hashlib.blake2b(request_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64 < traffic_split


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def _merged_schema(models: Mapping[str, LoadedModel]) -> dict[str, FeatureSpec]:
    merged: dict[str, FeatureSpec] = {}
    for model in models.values():
        for name, spec in model.schema.items():
            seen = merged.get(name)
            if seen is None:
                merged[name] = spec
            elif seen != spec:
                kind = seen.kind if seen.kind == spec.kind else "any"
                merged[name] = FeatureSpec(kind, seen.nullable or spec.nullable)
    return merged


class InferenceService:
    def __init__(self, store: Store, actor: str, config: ServeConfig, *,
                 log_predictions: bool = True, log_store: Store | None = None,
                 logger: PredictionLogger | None = None, poll_s: float = 1.0,
                 max_rows: int = MAX_ROWS, artifacts: ArtifactStore | None = None):
        self.store, self.actor, self.config, self.max_rows = store, actor, config, max_rows
        self.artifacts = artifacts or ArtifactStore.for_store(store.url)
        self.holders = {b.variant: ModelHolder(store, actor, b, self.artifacts)
                        for b in config.bindings}
        self.logger = logger or PredictionLogger(log_store or store, actor,
                                                 enabled=log_predictions)
        self.watcher = AliasWatcher(store, list(self.holders.values()), poll_s)
        self.started = time.monotonic()
        self.requests = 0
        self.answered_by: dict[str, int] = {v: 0 for v in self.holders}
        self.score_errors: dict[str, int] = {v: 0 for v in self.holders}
        self._schema_key: tuple[int, ...] = ()
        self._schema: dict[str, FeatureSpec] = {}
        self._running = False
        self._lock = threading.Lock()
        self.model_calls = 0  # predict_many calls that scored something (one per micro-batch)
        self.expectations = config.expectations or {}
        self._window_spec = window_spec(self.expectations) if window_rules(self.expectations) else None

    @classmethod
    def open(cls, store: Store, actor: str, graph_path: str, node_id: str,
             **options: Any) -> InferenceService:
        return cls(store, actor, resolve_config(graph_path, node_id), **options)

    # -- life cycle ----------------------------------------------------------------------
    def start(self) -> None:
        if self._running:
            return
        self._running = True
        for holder in self.holders.values():
            holder.record_start()
        self.logger.start()
        self.watcher.start()

    def close(self) -> dict[str, Any]:
        """Stop following aliases and flush the prediction log; returns the log stats."""
        self.watcher.stop()
        stats = self.logger.close().as_dict()
        self._running = False
        return stats

    # -- scoring -------------------------------------------------------------------------
    def answering_variant(self, request_id: str) -> str:
        if self.config.node_kind != "comparator":
            return self.config.bindings[0].variant
        if not self.config.shadow and routes_to_challenger(request_id, self.config.traffic_split):
            return "challenger"
        return "champion"

    def schema(self, models: Mapping[str, LoadedModel] | None = None) -> dict[str, FeatureSpec]:
        models = models or {v: h.current for v, h in self.holders.items()}
        key = tuple(m.version_id for m in models.values())
        with self._lock:
            if key != self._schema_key:
                self._schema, self._schema_key = _merged_schema(models), key
            return self._schema

    def predict(self, rows: Any, request_id: str | None = None) -> dict[str, Any]:
        """Score ``rows``; the response body of ``POST /predict`` (see ``app.py``)."""
        answer = self.predict_many([(rows, request_id)])[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def predict_many(self, requests: Sequence[tuple[Any, str | None]]
                     ) -> list[dict[str, Any] | RequestInvalid | ScoringError]:
        """Score several requests with one model call per served model (the app's micro-batch).

        Each request is checked on its own (an invalid one gets its :class:`RequestInvalid`,
        the others are scored); the answer for each is what :meth:`predict` returns for it
        alone — same rows, ids, answering variant and log rows — or its error."""
        models = {v: h.current for v, h in self.holders.items()}
        schema = self.schema(models)
        out: list[dict[str, Any] | RequestInvalid | ScoringError] = []
        valid: list[tuple[int, list[Any], str, list[str], str]] = []  # index, rows, rid, ids, variant
        for index, (rows, request_id) in enumerate(requests):
            if request_id is not None and (not request_id or len(request_id) > MAX_REQUEST_ID):
                out.append(RequestInvalid([Problem(None, None, f"request_id must be 1 to "
                                                               f"{MAX_REQUEST_ID} characters long",
                                                   "request_id")]))
                continue
            problems = check_rows(rows, schema, self.max_rows)
            if not problems and self.expectations:
                problems = [Problem(row, column, message, "expectation") for row, column, message
                            in row_problems(rows, self.expectations, MAX_PROBLEMS)]
            if problems:
                out.append(RequestInvalid(problems))
                continue
            rid = request_id or uuid.uuid4().hex
            ids = [rid] if len(rows) == 1 else [f"{rid}#{i}" for i in range(len(rows))]
            out.append(ScoringError("not scored"))
            valid.append((index, rows, rid, ids, self.answering_variant(rid)))
        if not valid:
            return out
        with self._lock:
            self.model_calls += 1
        ts = now_ms()
        all_rows = [row for _, rows, _, _, _ in valid for row in rows]
        all_ids = [i for _, _, _, ids, _ in valid for i in ids]
        frames: dict[tuple[str, ...], Any] = {}
        scored: dict[str, tuple[LoadedModel, list[Any], list[float | None]]] = {}
        failures: dict[str, str] = {}
        for variant, model in models.items():
            try:
                frame = frames.get(model.features)
                if frame is None:
                    frame = frames[model.features] = to_frame(all_rows, model.features, model.schema)
                labels, scores = model.predictor.predict_and_score(frame)
            except Exception as exc:
                with self._lock:
                    self.score_errors[variant] += 1
                failures[variant] = f"{model.label} failed to score the request: {exc}"
                continue
            label_list = [_plain(v) for v in np.asarray(labels).tolist()]
            score_list = [float(s) if math.isfinite(s) else None
                          for s in np.asarray(scores, dtype=np.float64).tolist()]
            self.logger.submit(LogEntry(self.holders[variant].binding.log_source,
                                        model.version_id, ts, all_ids, label_list, score_list,
                                        all_rows, model.predictor, model.schema,
                                        self._window_spec))
            scored[variant] = (model, label_list, score_list)
        start = 0
        answered: dict[str, int] = {}
        for index, rows, rid, _ids, variant in valid:
            span = slice(start, start + len(rows))
            start += len(rows)
            if variant not in scored:
                out[index] = ScoringError(failures.get(variant) or "no model answered")
                continue
            model, labels_out, scores_out = scored[variant]
            out[index] = {"predictions": [{"prediction": label, "score": score,
                                           "model": model.label, "variant": variant}
                                          for label, score in zip(labels_out[span], scores_out[span],
                                                                  strict=True)],
                          "request_id": rid}
            answered[variant] = answered.get(variant, 0) + 1
        with self._lock:
            self.requests += sum(answered.values())
            for variant, count in answered.items():
                self.answered_by[variant] += count
        return out

    # -- status --------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        stats = self.logger.stats()
        models = [h.describe() for h in self.holders.values()]
        problems = [m["error"] for m in models if m["error"]]
        if stats.enabled and stats.write_errors and stats.last_error:
            problems.append(f"prediction log: {stats.last_error}")
        if self.watcher.last_error:
            problems.append(self.watcher.last_error)
        return {
            "status": "degraded" if problems else "ok",
            "problems": problems,
            "graph": self.config.graph_name,
            "node": self.config.node_id,
            "mode": self.config.mode,
            "traffic_split": self.config.traffic_split if self.config.node_kind == "comparator"
            else None,
            "models": [{k: m[k] for k in ("variant", "name", "version", "version_id", "model",
                                          "alias", "switches")} for m in models],
            "requests": self.requests,
            "model_calls": self.model_calls,
            "answered_by": dict(self.answered_by),
            "score_errors": dict(self.score_errors),
            "queue_depth": stats.queued_rows,
            "dropped": stats.dropped,
            "log": stats.as_dict(),
            "uptime_s": round(time.monotonic() - self.started, 3),
        }

    def describe(self) -> dict[str, Any]:
        schema = self.schema()
        return {
            "graph": self.config.graph_name,
            "node": self.config.node_id,
            "node_kind": self.config.node_kind,
            "mode": self.config.mode,
            "comparator_mode": self.config.comparator_mode or None,
            "traffic_split": self.config.traffic_split,
            "shadow": self.config.shadow,
            "features": list(schema),
            "feature_types": {name: spec.kind for name, spec in schema.items()},
            "nullable": sorted(name for name, spec in schema.items() if spec.nullable),
            "max_rows": self.max_rows,
            "expectations": self.expectations or None,
            "models": [{**h.describe(), "features": list(h.current.features),
                        "log_source": h.binding.log_source,
                        "deployment_source": h.binding.deployment_source}
                       for h in self.holders.values()],
        }
