"""``POST /explain``: SHAP values of served rows, by the model that would answer them.

A request is what ``/predict`` takes (``{"rows": [...], "request_id": "optional"}``) and is
checked the same way — the training schema, the node's row expectations, the request id — but
at most ``MAX_ROWS`` rows, since explaining costs hundreds of model calls per row. The
answering model is the one ``/predict`` would route the request id to (the canary split), so an
explanation belongs to the prediction the caller got. Answer::

    {"request_id", "model": "name/version", "variant", "method", "outputs": [...],
     "base_values": {output: E[f(background)]},
     "rows": [{"contributions": {output: {feature: value}}, "output_values": {output: f(x)}}]}

Each row's contributions add up to its output value minus the base value. The background is
``BACKGROUND_ROWS`` seeded hold-out rows of the model's training data, read once per version.
Work stops after ``MAX_SECONDS`` (``ExplanationTooSlow``, 503 from the app). Explanations are
not predictions: nothing is written to the prediction log.
"""

from __future__ import annotations

import threading
import time
import uuid
from typing import Any

import numpy as np

from workbench.errors import InvalidInputError
from workbench.serving.validation import MAX_PROBLEMS, Problem, check_rows, to_frame

MAX_ROWS = 20
MAX_SECONDS = 20.0
BACKGROUND_ROWS = 50


class Explainer:
    """Explains requests for one ``InferenceService``; backgrounds cached per model version."""

    def __init__(self, service: Any) -> None:
        self.service = service
        self._backgrounds: dict[int, Any] = {}
        self._lock = threading.Lock()

    def _background(self, model: Any) -> Any:
        with self._lock:
            found = self._backgrounds.get(model.version_id)
        if found is not None:
            return found
        import pandas as pd

        from workbench.engines.runtime.explain import holdout_frame

        with self.service.store.read() as uow:
            version = uow.models.get_by_id(model.version_id)
            meta = dict(uow.artifacts.get(version.artifact_id).lineage.get("meta") or {})
        data_sha = str(meta.get("data_sha256") or "")
        path = self.service.artifacts.path(data_sha) if len(data_sha) == 64 else None
        if path is None or not path.is_file():
            raise InvalidInputError(f"{model.label}: its training data is not available here, and explanations "
                                    "are measured against it", where="POST /explain",
                                    hint="serve from a store that holds the model's training dataset artifact")
        frame = holdout_frame(path, meta, 10**9)
        frame = frame if len(frame) else pd.read_parquet(path)
        rng = np.random.default_rng(0)
        picked = np.sort(rng.permutation(len(frame))[:BACKGROUND_ROWS])
        background = frame.iloc[picked].loc[:, list(model.features)].reset_index(drop=True)
        with self._lock:
            self._backgrounds[model.version_id] = background
        return background

    def explain(self, rows: Any, request_id: str | None = None) -> dict[str, Any]:
        """The response body of ``POST /explain``; ``RequestInvalid`` for a request that does
        not fit, ``ExplanationTooSlow`` past ``MAX_SECONDS``."""
        from workbench.engines.runtime.shapley import explain
        from workbench.monitoring.expectations import row_problems
        from workbench.serving.service import MAX_REQUEST_ID, RequestInvalid

        service = self.service
        if request_id is not None and (not request_id or len(request_id) > MAX_REQUEST_ID):
            raise RequestInvalid([Problem(None, None, f"request_id must be 1 to {MAX_REQUEST_ID} characters long",
                                          "request_id")])
        models = {v: h.current for v, h in service.holders.items()}
        problems = check_rows(rows, service.schema(models), MAX_ROWS)
        if not problems and service.expectations:
            problems = [Problem(row, column, message, "expectation") for row, column, message
                        in row_problems(rows, service.expectations, MAX_PROBLEMS)]
        if problems:
            raise RequestInvalid(problems)
        rid = request_id or uuid.uuid4().hex
        variant = service.answering_variant(rid)
        model = models[variant]
        frame = to_frame(rows, model.features, model.schema)
        found = explain(model.predictor, frame, self._background(model), deadline=time.monotonic() + MAX_SECONDS,
                        where=f"POST /explain ({model.label})")
        outputs = list(found.outputs)
        totals = found.values.sum(axis=1) + found.base
        return {"request_id": rid, "model": model.label, "variant": variant, "method": found.method,
                "outputs": outputs, "base_values": {o: float(b) for o, b in zip(outputs, found.base, strict=True)},
                "rows": [{"contributions": {o: {f: float(found.values[i, j, k]) for j, f in enumerate(found.features)}
                                            for k, o in enumerate(outputs)},
                          "output_values": {o: float(totals[i, k]) for k, o in enumerate(outputs)}}
                         for i in range(len(found.values))]}
