"""The naive floor of ``serve_throughput.py``: a bare FastAPI + uvicorn app, as a person would
write it in an afternoon, serving the same model for the same features.

``POST /predict`` takes ``{"rows": [{feature: value, …}, …]}`` (a pydantic body), builds a
pandas frame of the features and calls the estimator's ``predict_proba``; no validation beyond
pydantic's, no logging, no canary. It loads the model the store's alias points at (sha256
checked by the workbench's loader) and prints ``naive floor on http://HOST:PORT`` when ready.

    python benchmarks/_naive_serve.py STORE_URL MODEL_NAME ALIAS
"""

from __future__ import annotations

import socket
import sys
import threading
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def load_estimator(url: str, name: str, alias: str) -> tuple[Any, list[str]]:
    from workbench.engines.runtime.models import load_model
    from workbench.orchestrator.artifacts import ArtifactStore
    from workbench.store import open_store

    store = open_store(url)
    with store.read() as uow:
        version = uow.models.by_alias(name, alias)
        artifact = uow.artifacts.get(version.artifact_id)
    store.close()
    artifacts = ArtifactStore.for_store(url)
    predictor = load_model(artifacts.path(artifact.sha256), artifact.sha256, artifact.lineage.get("meta"))
    return predictor.estimator, list(predictor.features)  # type: ignore[attr-defined]


class Body(BaseModel):
    rows: list[dict[str, Any]]


def main() -> int:
    import pandas as pd
    import uvicorn
    from fastapi import FastAPI
    from threadpoolctl import threadpool_limits

    url, name, alias = sys.argv[1:4]
    estimator, features = load_estimator(url, name, alias)
    app = FastAPI()

    @app.post("/predict")
    async def predict(body: Body) -> dict[str, Any]:
        frame = pd.DataFrame(body.rows)[features]
        proba = estimator.predict_proba(frame)[:, 1]
        return {"predictions": [{"prediction": int(p >= 0.5), "score": float(p)} for p in proba]}

    with socket.socket() as probe:  # a free port; uvicorn binds it itself, as `uvicorn.run` does
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    threading.Thread(target=_say_when_ready, args=(server, port), daemon=True).start()
    with threadpool_limits(limits=1):
        server.run()
    return 0


def _say_when_ready(server: Any, port: int) -> None:
    while not server.started:
        time.sleep(0.02)
    print(f"naive floor on http://127.0.0.1:{port}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
