"""The REST inference service: models bound to aliases, canary splits, prediction logging.

Sits between ``services`` (which checks the ``models.serve`` permission and calls in here) and
the orchestrator/engines/store below; it never imports ``services``, ``cli`` or ``ui``, and
nothing here imports Qt. Submodules (imported on use; this package itself loads nothing):

* ``config`` — graph file + node id → :class:`ServeConfig` (bindings, split, sources);
* ``models`` — :class:`ModelHolder` / :class:`AliasWatcher`: sha256-verified loading, alias
  polling, atomic swaps, deployment events;
* ``validation`` — rows against the training schema (422 problems naming row and field);
* ``prediction_log`` — :class:`PredictionLogger`: the non-blocking, bounded log writer and
  its prediction windows; ``windows`` — their summaries, in the batch inference format;
* ``service`` — :class:`InferenceService`: scoring, the deterministic canary split, health;
* ``app`` — ``create_app(service, security)``: the FastAPI app (``/predict``, ``/explain``,
  ``/health``, ``/model``, ``/openapi.json``); ``explaining`` — the SHAP values ``/explain`` gives;
* ``guard`` — :class:`Security`, bearer tokens (required beyond loopback), the body size limit
  and TLS settings, and the middleware in front of every endpoint;
* ``server`` — ``run_server(...)`` (foreground, uvicorn) and ``serve_in_thread(service)``;
* ``replay`` — ``replay(dataset, url, …)``: the traffic replayer.
"""
