"""Who may call the inference service and how much they may send: bearer tokens, the body
size limit and TLS settings.

Owns :class:`Security` (the settings), :func:`resolve_security` (checks them before anything
is loaded or bound), :func:`is_loopback`, :class:`TokenCheck` (tokens against the store, with
a short cache) and :class:`Guard` (the ASGI middleware in front of every endpoint).

Rules:

* A service bound to anything but a loopback address (127.0.0.0/8, ``::1``, ``localhost``)
  requires ``Authorization: Bearer <token>`` on every request, ``/docs`` and
  ``/openapi.json`` included; on loopback only when asked (``--require-token``). A missing,
  malformed, unknown or revoked token gets 401 with ``WWW-Authenticate: Bearer`` (RFC 6750)
  and a JSON body saying what is missing. Such a service refuses to start while the store
  holds no token that is not revoked.
* Tokens are checked against the store (sha256 only; ``store.repos.tokens``); an answer is
  cached for ``token_ttl_s`` (2 s), so a revoked token is refused within that time. A store
  that cannot answer gives 503, never a pass.
* A body larger than ``max_body`` bytes gets 413 and is never parsed: at once when
  ``Content-Length`` says so and the client waits for ``100 Continue`` (nothing of the body is
  sent), otherwise once the streamed bytes pass the limit. A client that sends its body
  without waiting could only read the 413 after it has sent everything (closing a socket with
  unread data resets the connection), so up to ``DRAIN_LIMIT`` bytes of it are read and
  dropped first; beyond that the connection is closed. The body is read before the endpoint
  parses it; the token is checked before the body is read.
* TLS needs both a certificate and its key; both are loaded once before the port is bound,
  so a wrong file is a clear error at start, not at the first connection.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
import ssl
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from workbench.errors import UnusableInputError
from workbench.store import Store

__all__ = ["DEFAULT_MAX_BODY", "Guard", "Security", "TokenCheck", "is_loopback", "resolve_security"]

LOG = logging.getLogger("workbench.serving")
DEFAULT_MAX_BODY = 10 * 1024 * 1024
DRAIN_LIMIT = 64 * 1024 * 1024  # what a refused body may still cost us, so its sender sees the 413
TOKEN_TTL_S = 2.0
REALM = 'Bearer realm="workbench serve"'
ADD_HINT = "an engineer makes one with 'workbench serve tokens add NAME'"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(frozen=True)
class Security:
    """How the service guards itself; ``require_token`` is final after :func:`resolve_security`."""

    require_token: bool = False
    max_body: int = DEFAULT_MAX_BODY
    certfile: str | None = None
    keyfile: str | None = None
    token_ttl_s: float = TOKEN_TTL_S

    @property
    def tls(self) -> bool:
        return self.certfile is not None


def is_loopback(host: str) -> bool:
    """Whether ``host`` reaches this machine only (``0.0.0.0`` and names other than
    ``localhost`` do not count: they may be reachable from elsewhere)."""
    name = host.strip().strip("[]")
    if name.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def resolve_security(store: Store, host: str, security: Security) -> Security:
    """``security`` with the token requirement decided for ``host``, after checking that the
    service can start with it: the TLS pair loads, and a guarded service has a token."""
    if security.max_body < 1:
        raise UnusableInputError(f"--max-body must be a positive number of bytes, got {security.max_body}")
    if (security.certfile is None) != (security.keyfile is None):
        given, missing = (("--certfile", "--keyfile") if security.keyfile is None
                          else ("--keyfile", "--certfile"))
        raise UnusableInputError(f"{given} was given without {missing}",
                                 hint="HTTPS needs both the certificate and its private key")
    if security.certfile is not None and security.keyfile is not None:
        server_ssl_context(security.certfile, security.keyfile)
    required = security.require_token or not is_loopback(host)
    if required:
        with store.read() as uow:
            usable = uow.tokens.any_valid()
        if not usable:
            where = ("with --require-token" if is_loopback(host)
                     else f"on {host}, which is not a loopback address,")
            raise UnusableInputError(
                f"the service would need a bearer token {where} but the store {store.display_url} "
                "holds none that is not revoked",
                hint="make one with 'workbench serve tokens add NAME' (an engineer or admin), "
                     "or serve on 127.0.0.1")
    return replace(security, require_token=required)


def server_ssl_context(certfile: str, keyfile: str) -> ssl.SSLContext:
    """The TLS context the service would use; a clear error for a missing or wrong file."""
    for flag, path in (("--certfile", certfile), ("--keyfile", keyfile)):
        if not Path(path).is_file():
            raise UnusableInputError(f"{flag} {path}: no such file")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(certfile, keyfile)
    except (ssl.SSLError, OSError) as exc:
        raise UnusableInputError(
            f"cannot use the certificate {certfile} with the key {keyfile}: {exc}",
            hint="give a PEM certificate and the PEM private key that belongs to it") from None
    return context


class TokenCheck:
    """Whether a presented token is valid, asking the store at most once per ``ttl_s`` per token."""

    def __init__(self, store: Store, ttl_s: float = TOKEN_TTL_S, max_cached: int = 1024):
        self.store, self.ttl_s, self.max_cached = store, ttl_s, max_cached
        self._cache: dict[str, tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def cached(self, token: str) -> bool | None:
        """The cached answer for ``token`` while it is fresh, else None."""
        key = hashlib.sha256(token.encode("utf-8")).hexdigest()
        with self._lock:
            found = self._cache.get(key)
        if found is None or time.monotonic() - found[0] >= self.ttl_s:
            return None
        return found[1]

    def valid(self, token: str) -> bool:
        known = self.cached(token)
        if known is not None:
            return known
        with self.store.read() as uow:
            answer = uow.tokens.find_valid(token) is not None
        key = hashlib.sha256(token.encode("utf-8")).hexdigest()
        with self._lock:
            if len(self._cache) >= self.max_cached:
                self._cache.clear()
            self._cache[key] = (time.monotonic(), answer)
        return answer


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def _answer(send: Send, status: int, body: dict[str, Any], headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode("utf-8")
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()), *headers]})
    await send({"type": "http.response.body", "body": payload})


async def _drain(receive: Receive, limit: int) -> None:
    """Read and drop the rest of a refused body, up to ``limit`` bytes."""
    dropped = 0
    while dropped <= limit:
        message = await receive()
        if message["type"] != "http.request":
            return
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            return


class Guard:
    """ASGI middleware: the token check, then the body limit, then the app (module rules)."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Awaitable[None]], *,
                 tokens: TokenCheck | None, max_body: int = DEFAULT_MAX_BODY):
        self.app, self.tokens, self.max_body = app, tokens, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.tokens is not None and not await self._authorised(scope, send):
            return
        length = _header(scope, b"content-length")
        if length is not None:
            if not length.strip().isdigit():
                await _answer(send, 400, {"message": f"the Content-Length header {length!r} is not a number"})
                return
            if int(length) > self.max_body:
                waits = (_header(scope, b"expect") or "").lower() == "100-continue"
                if not waits and int(length) <= DRAIN_LIMIT:
                    await _drain(receive, DRAIN_LIMIT)
                await self._too_large(send, f"the body is {int(length)} bytes")
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                if message.get("more_body", False):
                    await _drain(receive, DRAIN_LIMIT)
                await self._too_large(send, f"the body passed {self.max_body} bytes")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        sent = False

        async def replayed() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replayed, send)

    async def _too_large(self, send: Send, what: str) -> None:
        await _answer(send, 413, {"message": f"{what}; this service accepts at most {self.max_body} "
                                             "bytes per request (its --max-body)",
                                  "max_body": self.max_body},
                      [(b"connection", b"close")])

    async def _authorised(self, scope: Scope, send: Send) -> bool:
        assert self.tokens is not None
        header = _header(scope, b"authorization")
        if header is None:
            problem = ("missing_token", "no Authorization header: this service needs "
                                        "'Authorization: Bearer <token>'", REALM)
        else:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            if scheme.lower() != "bearer" or not token:
                problem = ("invalid_request", "the Authorization header must be 'Bearer <token>'",
                           f'{REALM}, error="invalid_request"')
            else:
                known = self.tokens.cached(token)
                if known is None:
                    try:
                        known = await asyncio.to_thread(self.tokens.valid, token)
                    except Exception as exc:  # the store did not answer: refuse, never pass
                        LOG.warning("cannot check a bearer token: the store %s did not answer: %s",
                                    self.tokens.store.display_url, exc)
                        await _answer(send, 503, {"message": "cannot check the bearer token now: the "
                                                             "service's store did not answer; try again "
                                                             "(the service's log says why)"})
                        return False
                if known:
                    return True
                problem = ("invalid_token", "the bearer token is not valid: unknown or revoked",
                           f'{REALM}, error="invalid_token"')
        error, message, challenge = problem
        await _answer(send, 401, {"message": f"{message} ({ADD_HINT})", "error": error},
                      [(b"www-authenticate", challenge.encode("latin-1"))])
        return False
