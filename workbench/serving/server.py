"""Running the inference service under uvicorn: in the foreground (the CLI) or in a
background thread (tests, embedding).

Owns :func:`run_server`, :func:`serve_in_thread` and :class:`RunningServer`.

Rules: the listening socket is bound before uvicorn starts (port 0 picks a free port, and the
URL is known before the first request); one process, one event loop, no access log, numeric
libraries single-threaded (``limit_numeric_threads``; the foreground server only). Ctrl-C
or SIGTERM stop it gracefully: uvicorn stops accepting, finishes open requests, and the app's
lifespan shutdown flushes the prediction log before the process exits (exit status 0).
Tokens, the body limit and TLS (``guard.Security``) are resolved before the models load: a
service that could not guard itself does not start.
"""

from __future__ import annotations

import logging
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import uvicorn

from workbench.errors import UnusableInputError
from workbench.serving.app import create_app
from workbench.serving.guard import Security, resolve_security
from workbench.serving.service import InferenceService
from workbench.store import Store

__all__ = ["RunningServer", "bind_socket", "limit_numeric_threads", "run_server", "serve_in_thread"]

GRACEFUL_S = 10


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: a free one); a clear error if taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only when the
    # listening socket says it is TCP; without it every answer waits ~40 ms (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise UnusableInputError(f"cannot listen on {host}:{port}: {exc.strerror}",
                                 hint="choose another --port (0 picks a free one)") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(sock: socket.socket, tls: bool = False) -> str:
    host, port = sock.getsockname()[:2]
    scheme = "https" if tls else "http"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def _uvicorn(service: InferenceService, security: Security) -> uvicorn.Server:
    config = uvicorn.Config(create_app(service, security), log_level="warning", access_log=False,
                            lifespan="on", timeout_graceful_shutdown=GRACEFUL_S,
                            server_header=False, ssl_certfile=security.certfile,
                            ssl_keyfile=security.keyfile)
    return uvicorn.Server(config)


@dataclass
class RunningServer:
    url: str
    service: InferenceService
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stop(self, timeout: float = 30) -> None:
        """Stop accepting, finish open requests, flush the prediction log."""
        self.server.should_exit = True
        self.thread.join(timeout)
        self.service.close()


def serve_in_thread(service: InferenceService, host: str = "127.0.0.1", port: int = 0,
                    start_timeout: float = 30, security: Security | None = None) -> RunningServer:
    """Serve ``service`` from a daemon thread; returns once it accepts requests."""
    security = resolve_security(service.store, host, security or Security())
    sock = bind_socket(host, port)
    server = _uvicorn(service, security)
    failure: list[BaseException] = []

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
        finally:
            sock.close()

    thread = threading.Thread(target=run, name=f"serving-{service.config.node_id}", daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not server.started:
        if failure or not thread.is_alive():
            raise UnusableInputError(f"the inference service did not start: "
                                     f"{failure[0] if failure else 'it stopped'}")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise UnusableInputError("the inference service did not start within "
                                     f"{start_timeout:.0f} s")
        time.sleep(0.02)
    return RunningServer(_url(sock, security.tls), service, server, thread)


def _log_to_stderr() -> None:
    logger = logging.getLogger("workbench.serving")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)


def limit_numeric_threads(threads: int = 1) -> None:
    """Run BLAS/OpenMP (and torch) single-threaded in this process: requests are small, and
    their thread pools, spinning between calls, would only compete with the event loop."""
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=threads)
    except Exception as exc:  # threadpoolctl comes with scikit-learn; without it, carry on
        logging.getLogger("workbench.serving").debug("thread limits not set: %s", exc)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def run_server(store: Store, actor: str, graph_path: str, node_id: str, host: str = "127.0.0.1",
               port: int = 8765, log_predictions: bool = True, *,
               on_ready: Callable[[str, InferenceService], None] | None = None,
               security: Security | None = None, listen: socket.socket | None = None,
               **options: Any) -> dict[str, Any]:
    """Serve ``node_id`` of ``graph_path`` until Ctrl-C / SIGTERM; returns the log stats.

    ``listen``: an already listening socket to serve on (a worker of ``serving.workers``)
    instead of binding ``host:port``.

    ``security`` is checked first (``guard.resolve_security``); the models are loaded and the
    port bound before this calls ``on_ready(url, service)``; ``options`` go to
    :class:`InferenceService` (``poll_s``, ``max_rows``, ``logger`` …).
    """
    security = resolve_security(store, host, security or Security())
    _log_to_stderr()
    service = InferenceService.open(store, actor, graph_path, node_id,
                                    log_predictions=log_predictions, **options)
    limit_numeric_threads()
    sock = listen if listen is not None else bind_socket(host, port)
    server = _uvicorn(service, security)
    stopped: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    previous: dict[signal.Signals, Any] = {}
    if main:
        # uvicorn replaces these while it runs and re-raises a caught signal afterwards; the
        # handlers below make that re-raise a no-op, so the process ends normally (exit 0)
        # after the lifespan shutdown has flushed the prediction log.
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda s, _f: stopped.append(s))
    try:
        if on_ready is not None:
            on_ready(_url(sock, security.tls), service)
        if not stopped:
            server.run(sockets=[sock])
    finally:
        sock.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        stats = service.close()
    return stats
