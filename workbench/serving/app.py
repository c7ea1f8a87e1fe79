"""The FastAPI app of the inference service: HTTP in front of :class:`InferenceService`.

Endpoints:

* ``POST /predict`` — body ``{"rows": [{feature: value, …}, …], "request_id": "optional"}``;
  answers ``{"predictions": [{"prediction", "score", "model": "name/version", "variant"}],
  "request_id"}``, one prediction per row in row order. A request that does not fit the
  training schema gets 422 ``{"message": "…", "detail": [{"loc": ["body", "rows", i, field],
  "msg": "row i, feature 'f': …", "type": …}, …]}``; malformed JSON and a body of the wrong
  shape get the same form. A model that fails on valid input gives 500 ``{"message"}``.
* ``POST /explain`` — the same body and validation as ``/predict`` (at most
  ``explaining.MAX_ROWS`` rows); answers each row's SHAP values per feature and the base value,
  by the model ``/predict`` would route the request to (``serving.explaining``); 503 when it
  takes longer than ``explaining.MAX_SECONDS``. It runs on a worker thread.
* ``GET /health`` — status (``ok`` / ``degraded`` with the problems), the served models and
  versions, request counts per variant, the log queue depth and the dropped-row count.
* ``GET /model`` — what is served: features and their types, the models with their aliases,
  the split, the log and deployment sources.
* ``GET /openapi.json`` (and ``/docs``) — the schema; a row's properties are the served
  features as of the last promotion.

In front of all of them sits ``guard.Guard`` with the service's :class:`Security`: the bearer
token (401) and the body size limit (413), checked before a handler runs or a body is parsed.

Rules: handlers are ``async``. ``/predict`` reads its body itself (pydantic-core parses and
checks it in one pass) and hands the rows to ``batching.MicroBatcher``: concurrent requests
share one model call on the event loop (a short, CPU-bound call, where a thread hop would cost
more than it saves); a request of more than ``INLINE_ROWS`` rows scores on a worker thread, so
``/health`` and small requests keep answering while it runs. The app's lifespan starts and closes the
service: the alias watcher and the log writer run while the app does, and shutdown flushes
the prediction log.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError

from workbench import __version__
from workbench.engines.runtime.shapley import ExplanationTooSlow
from workbench.errors import WorkbenchError
from workbench.serving.batching import MicroBatcher
from workbench.serving.explaining import Explainer
from workbench.serving.guard import Guard, Security, TokenCheck
from workbench.serving.service import (
    MAX_REQUEST_ID,
    InferenceService,
    RequestInvalid,
    ScoringError,
)

__all__ = ["INLINE_ROWS", "PredictRequest", "PredictResponse", "create_app"]

INLINE_ROWS = 64


class PredictRequest(BaseModel):
    rows: list[Any] = Field(description="rows to score: one object of feature values per row")
    request_id: str | None = Field(
        default=None, max_length=MAX_REQUEST_ID,
        description="an id for the request (generated when absent); it decides the canary "
                    "split, so replays with the same ids split the same way")


class Prediction(BaseModel):
    prediction: Any = Field(description="the predicted label (classification) or value")
    score: float | None = Field(description="positive-class probability (binary), probability "
                                            "of the predicted class, or the predicted value")
    model: str = Field(description="the answering model as name/version")
    variant: str = Field(description="champion or challenger (or the alias served)")


class PredictResponse(BaseModel):
    predictions: list[Prediction]
    request_id: str


class Problem(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    message: str
    detail: list[Problem]


def _loc_text(loc: Any) -> str:
    parts = [str(p) for p in loc if p != "body"]
    return ".".join(parts) or "body"


def _invalid(errors: list[Any]) -> JSONResponse:
    detail = []
    for error in errors:
        loc = list(error.get("loc") or ())
        detail.append({"loc": loc, "msg": f"{_loc_text(loc)}: {error.get('msg', 'invalid')}",
                       "type": str(error.get("type", "invalid"))})
    message = detail[0]["msg"] if detail else "the request body is invalid"
    return JSONResponse({"message": message, "detail": detail}, status_code=422)


_PREDICT_BODY = {"required": True, "content": {"application/json": {
    "schema": {"$ref": "#/components/schemas/PredictRequest"}}}}


def create_app(service: InferenceService, security: Security | None = None) -> FastAPI:
    """The app serving ``service``; ``security`` (after ``guard.resolve_security``) guards it."""
    security = security or Security()
    batcher = MicroBatcher(service, inline_rows=INLINE_ROWS)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            await asyncio.to_thread(service.close)

    config = service.config
    app = FastAPI(
        title=f"MLOps Workbench inference: {config.graph_name} / {config.node_id}",
        version=__version__,
        description=f"Serves {', '.join(f'{b.model_name}@{b.alias}' for b in config.bindings)} "
                    f"({config.mode} mode).",
        lifespan=lifespan,
    )
    tokens = TokenCheck(service.store, security.token_ttl_s) if security.require_token else None
    app.add_middleware(Guard, tokens=tokens, max_body=security.max_body)

    @app.exception_handler(RequestValidationError)
    async def _on_validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _invalid(list(exc.errors()))

    @app.post("/predict", response_model=PredictResponse, summary="score rows",
              openapi_extra={"requestBody": _PREDICT_BODY},
              responses={422: {"model": ValidationErrorBody,
                               "description": "the rows do not fit the training schema"}})
    async def predict(request: Request) -> Any:
        batcher.in_flight += 1  # counted before its body is read, so a batch can wait for it
        try:
            raw = await request.body()
            try:
                body = PredictRequest.model_validate_json(raw)
            except ValidationError as exc:
                return _invalid([{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()])
            answer = await batcher.predict(body.rows, body.request_id)
            return JSONResponse(answer)
        except RequestInvalid as exc:
            return JSONResponse({"message": str(exc),
                                 "detail": [p.as_detail() for p in exc.problems]},
                                status_code=422)
        except ScoringError as exc:
            return JSONResponse({"message": str(exc)}, status_code=500)
        finally:
            batcher.in_flight -= 1

    explainer = Explainer(service)

    @app.post("/explain", summary="SHAP values of rows: how each feature moves the prediction",
              openapi_extra={"requestBody": _PREDICT_BODY},
              responses={422: {"model": ValidationErrorBody, "description": "the rows do not fit the training schema"},
                         503: {"description": "explaining took longer than allowed: send fewer rows"}})
    async def explain(request: Request) -> Any:
        raw = await request.body()
        try:
            body = PredictRequest.model_validate_json(raw)
        except ValidationError as exc:
            return _invalid([{**e, "loc": ("body", *e.get("loc", ()))} for e in exc.errors()])
        try:
            return JSONResponse(await asyncio.to_thread(explainer.explain, body.rows, body.request_id))
        except RequestInvalid as exc:
            return JSONResponse({"message": str(exc), "detail": [p.as_detail() for p in exc.problems]},
                                status_code=422)
        except ExplanationTooSlow as exc:
            return JSONResponse({"message": str(exc)}, status_code=503)
        except WorkbenchError as exc:
            return JSONResponse({"message": str(exc)}, status_code=500)
        except Exception as exc:  # the model failed on valid rows: said, as /predict says it
            return JSONResponse({"message": f"explaining failed: {type(exc).__name__}: {exc}"}, status_code=500)

    @app.get("/health", summary="service status, served versions, log queue")
    async def health() -> Any:
        return JSONResponse(service.health())

    @app.get("/model", summary="what is served: features, models, split")
    async def model() -> Any:
        return JSONResponse(service.describe())

    default_openapi = app.openapi
    cached: dict[tuple[Any, ...], dict[str, Any]] = {}

    def openapi() -> dict[str, Any]:
        schema = service.schema()
        key = tuple(schema.items())
        if key not in cached:
            app.openapi_schema = None
            document = default_openapi()
            document.setdefault("components", {}).setdefault("schemas", {})["PredictRequest"] = \
                PredictRequest.model_json_schema(ref_template="#/components/schemas/{model}")
            row = {"type": "object", "title": "Row", "additionalProperties": False,
                   "properties": {name: spec.json_schema() for name, spec in schema.items()},
                   "required": list(schema)}
            request = document.get("components", {}).get("schemas", {}).get("PredictRequest")
            if request is not None:
                request["properties"]["rows"]["items"] = row
                request["properties"]["rows"]["minItems"] = 1
                request["properties"]["rows"]["maxItems"] = service.max_rows
            if security.require_token:
                document.setdefault("components", {})["securitySchemes"] = {
                    "bearer": {"type": "http", "scheme": "bearer",
                               "description": "a token from 'workbench serve tokens add NAME'"}}
                document["security"] = [{"bearer": []}]
            cached.clear()
            cached[key] = document
        app.openapi_schema = cached[key]
        return cached[key]

    app.openapi = openapi  # type: ignore[method-assign]
    return app
