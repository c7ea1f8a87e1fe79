"""Access control of the REST inference service, as people run it: ``workbench serve`` in its own
process on a free port, ``workbench serve tokens`` to make and revoke bearer tokens, and plain
HTTP(S) clients. Bound to 0.0.0.0 (not loopback; the tests connect through 127.0.0.1) every
endpoint needs a token; on loopback only with ``--require-token``. Also: the body size limit
(413), HTTPS with a self-signed certificate, and tokens kept as hashes (SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime
import hashlib
import http.client
import ipaddress
import json
import os
import queue
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import text

from tests.serving.helpers import Served
from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.errors import PermissionDeniedError
from workbench.services import serve_tokens
from workbench.serving.guard import TokenCheck, is_loopback

ENDPOINTS = (("GET", "/health"), ("GET", "/model"), ("GET", "/docs"), ("GET", "/openapi.json"),
             ("POST", "/predict"))


class Service:
    """``workbench serve`` in a subprocess (port 0); the URL it prints, rewritten to reach a
    0.0.0.0 bind through 127.0.0.1."""

    def __init__(self, served: Served, *extra: str):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "WORKBENCH_STORE": served.url}
        self.errors = served.folder / f"serve-{time.monotonic_ns()}.err"
        with open(self.errors, "w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "workbench", "--user", "bob", "serve", str(served.canary),
                 "--node", "canary", "--port", "0", *extra],
                stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.out = [self.lines.get(timeout=90) or "", self.lines.get(timeout=10) or "",
                    self.lines.get(timeout=10) or ""]
        match = re.search(r" on (https?)://([0-9.]+):(\d+)", self.out[0])
        if not match:
            self.process.kill()
            raise AssertionError(f"the service did not start: {self.out!r} {self.errors.read_text()}")
        self.scheme, self.port = match.group(1), int(match.group(3))
        self.bound = match.group(2)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def call(port: int, method: str, path: str, *, token: str | None = None, body: Any = None,
         context: ssl.SSLContext | None = None, headers: dict[str, str] | None = None,
         data: bytes | None = None) -> tuple[int, dict[str, str], Any]:
    """One request to 127.0.0.1:``port``: (status, headers in lower case, JSON or text)."""
    if context is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    else:
        connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    payload = data if data is not None else None if body is None else json.dumps(body).encode()
    if payload is not None:
        sent["Content-Type"] = "application/json"
    try:
        connection.request(method, path, payload, sent)
        response = connection.getresponse()
        data = response.read()
        answer = {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()
    is_json = answer.get("content-type", "").startswith("application/json")
    return response.status, answer, json.loads(data) if is_json else data.decode(errors="replace")


def raw(port: int, request: bytes) -> tuple[int, Any]:
    """Send ``request`` bytes as they are and read the answer's status and JSON body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, json.loads(response.read())


def rows(served: Served, n: int = 1) -> list[dict[str, Any]]:
    frame = pd.read_parquet(served.dataset).drop(columns=["row_id", "target"])
    return frame.head(n).to_dict("records")


def add_token(served: Served, name: str, user: str = "bob") -> str:
    made = workbench("--user", user, "serve", "tokens", "add", name, env={"WORKBENCH_STORE": served.url})
    assert made.returncode == 0, made.stderr
    assert "shown this once" in made.stderr
    return made.stdout.strip()


@pytest.fixture
def service(served: Served) -> Iterator[list[Service]]:
    started: list[Service] = []
    yield started
    for each in started:
        assert each.stop() == 0, each.errors.read_text()


def test_loopback_is_only_the_loopback() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "::", "192.168.1.10", "example.org"))


def test_beyond_loopback_every_endpoint_needs_a_valid_token_and_a_revoked_one_is_refused_at_once(
        served: Served, service: list[Service]) -> None:
    env = {"WORKBENCH_STORE": served.url}
    refused = workbench("--user", "bob", "serve", str(served.canary), "--node", "canary",
                        "--host", "0.0.0.0", "--port", "0", env=env)
    assert refused.returncode == 2 and no_traceback(refused)
    assert "0.0.0.0, which is not a loopback address" in refused.stderr
    assert "workbench serve tokens add NAME" in refused.stderr

    token = add_token(served, "ci")
    other = add_token(served, "dashboard")
    assert len(token) >= 40 and token != other
    running = Service(served, "--host", "0.0.0.0")
    service.append(running)
    assert running.bound == "0.0.0.0" and "every request needs 'Authorization: Bearer TOKEN'" in running.out[2]
    port, row = running.port, {"rows": rows(served)}

    for method, path in ENDPOINTS:
        status, headers, answer = call(port, method, path, body=row if method == "POST" else None)
        assert status == 401, (path, answer)
        assert headers["www-authenticate"].startswith("Bearer")
        assert answer["error"] == "missing_token" and "no Authorization header" in answer["message"]
        status, headers, answer = call(port, method, path, token="not-" + token,
                                       body=row if method == "POST" else None)
        assert status == 401 and 'error="invalid_token"' in headers["www-authenticate"]
        assert "unknown or revoked" in answer["message"]
        status, _, answer = call(port, method, path, token=token, body=row if method == "POST" else None)
        assert status == 200, (path, answer)
    status, _, answer = call(port, "GET", "/health", headers={"Authorization": f"Basic {token}"})
    assert status == 401 and answer["error"] == "invalid_request"
    status, _, answer = call(port, "POST", "/predict", token=token, body=row)
    assert answer["predictions"][0]["variant"] in ("champion", "challenger")
    spec = call(port, "GET", "/openapi.json", token=token)[2]
    assert spec["security"] == [{"bearer": []}]

    # the default body limit (10 MiB) holds here too, after the token: a client that waits for
    # 100 Continue gets 413 without sending its body; one that sends it all still reads the 413
    status, answer = raw(port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Authorization: Bearer " + token.encode() + b"\r\n"
                               b"Expect: 100-continue\r\nContent-Length: 10485761\r\n\r\n")
    assert status == 413 and answer["max_body"] == 10 * 1024 * 1024
    status, _, answer = call(port, "POST", "/predict", token=token, data=b" " * (11 * 1024 * 1024))
    assert status == 413 and "the body is 11534336 bytes" in answer["message"]
    assert call(port, "POST", "/predict", data=b" " * (11 * 1024 * 1024))[0] == 401  # the token first

    # replay: refused with a clear message without a token, answered with one from the environment
    blind = workbench("replay", str(served.csv), "--url", f"http://127.0.0.1:{port}", "--count", "5",
                      env={"WORKBENCH_SERVE_TOKEN": ""})
    assert blind.returncode == 2 and "needs a valid bearer token" in blind.stderr and no_traceback(blind)
    sent = workbench("replay", str(served.csv), "--url", f"http://127.0.0.1:{port}", "--count", "5",
                     "--json", env={"WORKBENCH_SERVE_TOKEN": token})
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["answered"] == 5

    revoked = workbench("--user", "bob", "serve", "tokens", "revoke", "ci", env=env)
    assert revoked.returncode == 0, revoked.stderr
    after = time.monotonic()
    while call(port, "GET", "/health", token=token)[0] == 200:
        assert time.monotonic() - after < 4, "a revoked token was still accepted after 4 s"
        time.sleep(0.1)
    status, _, answer = call(port, "POST", "/predict", token=token, body=row)
    assert status == 401 and "revoked" in answer["message"]
    assert call(port, "GET", "/health", token=other)[0] == 200  # the other token still works


def test_loopback_needs_no_token_unless_required_and_bodies_are_limited(
        served: Served, service: list[Service]) -> None:
    open_service = Service(served, "--max-body", "2000")
    service.append(open_service)
    assert "no token needed on this loopback address" in open_service.out[2]
    port, row = open_service.port, {"rows": rows(served)}
    assert len(json.dumps(row)) < 2000
    for method, path in ENDPOINTS:
        status, _, answer = call(port, method, path, body=row if method == "POST" else None)
        assert status == 200, (path, answer)

    # Content-Length over the limit: 413 before the body is sent (the client waits for 100 Continue)
    status, answer = raw(port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Expect: 100-continue\r\nContent-Length: 2001\r\n\r\n")
    assert status == 413 and "at most 2000 bytes" in answer["message"] and answer["max_body"] == 2000
    # ... or after a client that does not wait has sent it: never parsed (it is not even JSON)
    status, _, answer = call(port, "POST", "/predict", data=b"{" * 2001)
    assert status == 413 and "the body is 2001 bytes" in answer["message"]
    # a streamed (chunked) body is counted as it arrives
    chunk = b"x" * 1500
    status, answer = raw(port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Transfer-Encoding: chunked\r\n\r\n"
                               + (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 2 + b"0\r\n\r\n")
    assert status == 413 and "passed 2000 bytes" in answer["message"]
    small = json.dumps(row).encode()
    status, answer = raw(port, b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                               + b"%x\r\n" % len(small) + small + b"\r\n0\r\n\r\n")
    assert status == 200 and len(answer["predictions"]) == 1

    env = {"WORKBENCH_STORE": served.url}
    refused = workbench("--user", "bob", "serve", str(served.canary), "--node", "canary", "--port", "0",
                        "--require-token", env=env)
    assert refused.returncode == 2 and "with --require-token" in refused.stderr
    assert "workbench serve tokens add NAME" in refused.stderr
    token = add_token(served, "local")
    guarded = Service(served, "--require-token")
    service.append(guarded)
    assert guarded.bound == "127.0.0.1"
    for method, path in ENDPOINTS:
        body = row if method == "POST" else None
        assert call(guarded.port, method, path, body=body)[0] == 401, path
        assert call(guarded.port, method, path, body=body, token=token)[0] == 200, path


def _self_signed(folder: Path) -> tuple[Path, Path]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return certfile, keyfile


def test_https_with_a_certificate_and_plain_http_refused(served: Served, service: list[Service]) -> None:
    certfile, keyfile = _self_signed(served.folder)
    env = {"WORKBENCH_STORE": served.url}
    for given in (("--certfile", str(certfile)), ("--keyfile", str(keyfile))):
        half = workbench("--user", "bob", "serve", str(served.canary), "--node", "canary", *given, env=env)
        assert half.returncode == 2 and "without --" in half.stderr and no_traceback(half)
    wrong = workbench("--user", "bob", "serve", str(served.canary), "--node", "canary",
                      "--certfile", str(keyfile), "--keyfile", str(certfile), env=env)
    assert wrong.returncode == 2 and "cannot use the certificate" in wrong.stderr and no_traceback(wrong)

    secure = Service(served, "--certfile", str(certfile), "--keyfile", str(keyfile))
    service.append(secure)
    assert secure.scheme == "https" and "HTTPS" in secure.out[2]
    trusting = ssl.create_default_context(cafile=str(certfile))
    status, _, health = call(secure.port, "GET", "/health", context=trusting)
    assert status == 200 and health["status"] == "ok"
    status, _, answer = call(secure.port, "POST", "/predict", body={"rows": rows(served, 2)}, context=trusting)
    assert status == 200 and len(answer["predictions"]) == 2
    with pytest.raises(ssl.SSLCertVerificationError):  # really that certificate: others do not trust it
        call(secure.port, "GET", "/health", context=ssl.create_default_context())
    with pytest.raises((http.client.HTTPException, ConnectionError)):
        call(secure.port, "GET", "/health")  # plain HTTP gets no answer

    sent = workbench("replay", str(served.csv), "--url", f"https://127.0.0.1:{secure.port}",
                     "--count", "4", "--cacert", str(certfile), "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["answered"] == 4


def test_tokens_cli_shows_a_token_once_and_only_engineers_and_admins_manage_them(served: Served) -> None:
    env = {"WORKBENCH_STORE": served.url}
    first = add_token(served, "ci")
    second = add_token(served, "ops", user="alice")  # an admin may too
    for user in ("anna", "olga", "rita"):  # analyst; operator (who may serve); approver
        denied = workbench("--user", user, "serve", "tokens", "add", "mine", env=env)
        assert denied.returncode == 3 and no_traceback(denied), denied.stderr
        assert f"'{user}' may not make or revoke serve tokens" in denied.stderr
        assert "engineer or admin" in denied.stderr and denied.stdout == ""
    denied = workbench("--user", "olga", "serve", "tokens", "revoke", "ci", env=env)
    assert denied.returncode == 3 and "may not make or revoke serve tokens" in denied.stderr
    twice = workbench("--user", "bob", "serve", "tokens", "add", "ci", env=env)
    assert twice.returncode == 1 and "already exists" in twice.stderr

    assert workbench("--user", "bob", "serve", "tokens", "revoke", "ops", env=env).returncode == 0
    listed = workbench("--user", "anna", "serve", "tokens", "list", env=env)
    as_json = workbench("--user", "anna", "serve", "tokens", "list", "--json", env=env)
    assert listed.returncode == 0 and as_json.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["NAME", "CREATED", "BY", "CREATED", "AT", "REVOKED"]
    assert lines[1].startswith("ci ") and lines[1].endswith("no")
    assert lines[2].startswith("ops ") and lines[2].endswith("by bob")
    entries = json.loads(as_json.stdout)
    assert [(e["name"], e["created_by"], e["revoked"]) for e in entries] == [("ci", "bob", False),
                                                                             ("ops", "alice", True)]
    for token in (first, second):
        digest = hashlib.sha256(token.encode()).hexdigest()
        for shown in (listed.stdout, listed.stderr, as_json.stdout):
            assert token not in shown and digest not in shown


def test_tokens_are_kept_hashed_and_checks_follow_revocation(store_url: str) -> None:
    store = cast_store(store_url)
    try:
        made, token = serve_tokens.add_token(store, "bob", "ci")
        with pytest.raises(PermissionDeniedError, match="may not make or revoke serve tokens"):
            serve_tokens.add_token(store, "anna", "mine")
        with store.engine.connect() as conn:
            table = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM serve_tokens"))]
        assert len(table) == 1 and table[0]["name"] == "ci" and table[0]["created_by"] == "bob"
        assert table[0]["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
        assert not any(token in str(value) for value in table[0].values())
        with store.read() as uow:
            audited = [(e.action, e.subject) for e in uow.audit.all() if e.action.startswith("serve_tokens")]
        assert audited == [("serve_tokens.add", "serve_token:ci")]

        check = TokenCheck(store, ttl_s=0.5)
        assert check.valid(token) and not check.valid(token[:-1]) and not check.valid("")
        serve_tokens.revoke_token(store, "bob", "ci")
        assert check.valid(token)  # cached for at most ttl_s ...
        time.sleep(0.6)
        assert not check.valid(token)  # ... then the store's answer
        with store.read() as uow:
            assert not uow.tokens.any_valid() and uow.tokens.find_valid(token) is None
            assert [t.revoked_by for t in uow.tokens.all()] == ["bob"]
    finally:
        store.close()


def test_on_postgresql_the_database_lets_only_engineers_and_admins_write_tokens(postgres_server) -> None:  # noqa: ANN001
    import psycopg
    from sqlalchemy.engine import make_url

    from tests.support.logins import as_login, know_password, sign_in

    url = postgres_server.create_database()

    def as_person(name: str, *args: str, stdin: str | None = None):  # noqa: ANN202
        argv, env = sign_in(url, name)
        return workbench(*argv, *args, env=env, stdin=stdin)

    init = workbench("--store", url, "--user", "ada", "init", "--admin-password-stdin",
                     stdin=know_password(url, "ada") + "\n", env={"WORKBENCH_USER": "ada"})
    assert init.returncode == 0, init.stderr
    for name, role in (("erin", "engineer"), ("alice", "scientist"), ("ann", "analyst")):
        added = as_person("ada", "users", "add", name, "--role", role, "--password-stdin",
                          stdin=know_password(url, name) + "\n")
        assert added.returncode == 0, added.stderr

    made = as_person("erin", "serve", "tokens", "add", "ci")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    denied = as_person("alice", "serve", "tokens", "add", "mine")
    assert denied.returncode == 3 and "may not make or revoke serve tokens" in denied.stderr

    def sql(login: str, statement: str) -> None:
        parsed = make_url(as_login(url, login))
        with psycopg.connect(host=parsed.host, port=parsed.port, dbname=parsed.database, user=login,
                             autocommit=True) as conn:
            conn.execute(statement)

    forged = "INSERT INTO serve_tokens (name, token_hash, created_by, created_at) VALUES ('mine', '{}', '{}', 0)"
    for login in ("alice", "ann"):  # plain SQL cannot route around the service's check
        with pytest.raises(psycopg.Error) as refused:
            sql(login, forged.format("a" * 64, login))
        assert refused.value.sqlstate == "42501", refused.value
        with pytest.raises(psycopg.Error) as refused:
            sql(login, "UPDATE serve_tokens SET revoked_at = 1, revoked_by = 'x' WHERE name = 'ci'")
        assert refused.value.sqlstate == "42501", refused.value
    with pytest.raises(psycopg.Error) as refused:  # an engineer revokes, but never swaps a hash in
        sql("erin", f"UPDATE serve_tokens SET token_hash = '{'b' * 64}' WHERE name = 'ci'")
    assert refused.value.sqlstate == "42501", refused.value

    revoked = as_person("erin", "serve", "tokens", "revoke", "ci")
    assert revoked.returncode == 0, revoked.stderr
    listed = as_person("ann", "serve", "tokens", "list")
    assert listed.returncode == 0 and token not in listed.stdout
    assert listed.stdout.splitlines()[1].startswith("ci ") and listed.stdout.rstrip().endswith("by erin")


def test_a_store_that_cannot_answer_refuses_tokens_it_has_not_just_checked(served: Served) -> None:
    from workbench.serving.guard import Security
    from workbench.serving.server import serve_in_thread
    from workbench.serving.service import InferenceService

    _, token = serve_tokens.add_token(served.store, "bob", "ci")
    service = InferenceService.open(served.store, "bob", str(served.canary), "canary", log_predictions=False)
    server = serve_in_thread(service, security=Security(require_token=True, token_ttl_s=0.2))
    try:
        assert call(server.port, "GET", "/health", token=token)[0] == 200
        (served.folder / "store.db").rename(served.folder / "elsewhere.db")  # the store is gone
        time.sleep(0.3)
        status, _, answer = call(server.port, "GET", "/health", token=token)
        assert status == 503 and "cannot check the bearer token" in answer["message"]
    finally:
        server.stop()
