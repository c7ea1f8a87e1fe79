"""Serving a graph node's models over REST, for the signed-in user; everything after the
permission check is ``workbench.serving``, which logs predictions and records deployment events
as this user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workbench.services.identity import authorise
from workbench.store import Store

__all__ = ["check_may_serve", "serve", "serve_workers"]


def check_may_serve(store: Store, actor: str) -> None:
    """Refuse, before any model is loaded or any port is bound, a person who may not serve
    models (``models.serve``: engineer, scientist or operator)."""
    with store.read() as uow:
        authorise(uow, actor, "models.serve")


def serve(store: Store, actor: str, graph_file: str, node_id: str, *, host: str = "127.0.0.1",
          port: int = 8765, log_predictions: bool = True,
          on_ready: Callable[[str, Any], None] | None = None, require_token: bool = False,
          max_body: int | None = None, certfile: str | None = None, keyfile: str | None = None,
          **options: Any) -> dict[str, Any]:
    """Serve ``node_id`` of ``graph_file`` until stopped; returns the prediction log's stats. How
    the service guards itself (bearer tokens beyond loopback or when required, the body limit,
    TLS) is ``serving.guard.Security``."""
    check_may_serve(store, actor)
    from workbench.serving.guard import DEFAULT_MAX_BODY, Security
    from workbench.serving.server import run_server

    security = Security(require_token=require_token,
                        max_body=DEFAULT_MAX_BODY if max_body is None else max_body,
                        certfile=certfile, keyfile=keyfile)
    return run_server(store, actor, str(graph_file), node_id, host, port, log_predictions,
                      on_ready=on_ready, security=security, **options)


def serve_workers(store: Store, actor: str, graph_file: str, node_id: str, workers: int, *,
                  host: str = "127.0.0.1", port: int = 8765, require_token: bool = False,
                  max_body: int | None = None, certfile: str | None = None,
                  keyfile: str | None = None, child_args: list[str] | None = None,
                  on_ready: Callable[[str, int], None] | None = None) -> dict[str, Any]:
    """Serve with ``workers`` processes on one port (``serving.workers``); the summed log stats."""
    check_may_serve(store, actor)
    from workbench.serving.guard import DEFAULT_MAX_BODY, Security
    from workbench.serving.workers import run_workers

    security = Security(require_token=require_token,
                        max_body=DEFAULT_MAX_BODY if max_body is None else max_body,
                        certfile=certfile, keyfile=keyfile)
    return run_workers(store, actor, str(graph_file), node_id, workers, host=host, port=port,
                       security=security, child_args=child_args, on_ready=on_ready)
