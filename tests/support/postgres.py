"""A private PostgreSQL server for tests and benchmarks, on 127.0.0.1 and a free port.

``initdb`` and ``postgres`` refuse to run as root, so as root they run as the ``postgres``
system user (``runuser``). The server lives in a temporary directory and is stopped by its
own data directory (``pg_ctl stop``), never by name.

Logins over TCP check passwords (``scram-sha-256``), as a shared server does: the superuser's
password is random and reaches libpq through a private password file (``$PGPASSFILE``), so
that no URL or command line carries it. People's logins get their own passwords in the tests.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

SEARCH_PATHS = ("/usr/local/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in SEARCH_PATHS:
        candidate = Path(folder) / name
        if candidate.exists():
            return str(candidate)
    return None


def available() -> tuple[bool, str]:
    missing = [b for b in ("initdb", "pg_ctl", "postgres") if find_binary(b) is None]
    if missing:
        return False, f"PostgreSQL binaries not found: {', '.join(missing)}"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return False, "psycopg is not installed (pip install '.[postgres]')"
    return True, ""


@dataclass
class PostgresServer:
    root: Path
    port: int
    _as_postgres: bool
    password: str = ""

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=False)

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or f"wb_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        self._run(find_binary("pg_ctl") or "pg_ctl", "-D", str(self.data_dir), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def remember_password(port: int, login: str, password: str) -> None:
    """Add a login's password to this process's libpq password file (``$PGPASSFILE``, 0600),
    which child processes inherit."""
    path = os.environ.get("PGPASSFILE")
    if not path or not Path(path).name.startswith("wb-pgpass-"):
        handle, path = tempfile.mkstemp(prefix="wb-pgpass-")
        os.close(handle)
        os.environ["PGPASSFILE"] = path
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"127.0.0.1:{port}:*:{login}:{password}\n")
    os.chmod(path, 0o600)


def start(*, durable: bool = False) -> PostgresServer:
    """Start a server; ``durable=False`` (tests) turns fsync off, benchmarks keep it on."""
    ok, why = available()
    if not ok:
        raise RuntimeError(why)
    as_postgres = os.geteuid() == 0
    root = Path(tempfile.mkdtemp(prefix="wb-pg-"))
    (root / "sock").mkdir()
    if as_postgres:
        shutil.chown(root, "postgres", "postgres")
        shutil.chown(root / "sock", "postgres", "postgres")
    server = PostgresServer(root, free_port(), as_postgres)
    server.password = secrets.token_urlsafe(18)
    pwfile = root / "pwfile"
    pwfile.write_text(server.password + "\n")
    if as_postgres:
        shutil.chown(pwfile, "postgres", "postgres")
    pwfile.chmod(0o600)
    init = server._run(find_binary("initdb") or "initdb", "-D", str(server.data_dir), "-U", "postgres",
                       "--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}",
                       "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
    pwfile.unlink()
    remember_password(server.port, "postgres", server.password)
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    options = f"-h 127.0.0.1 -p {server.port} -k {root / 'sock'} -c max_connections=200"
    if not durable:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    started = server._run(find_binary("pg_ctl") or "pg_ctl", "-D", str(server.data_dir), "-l",
                          str(root / "server.log"), "-w", "-o", options, "start")
    if started.returncode != 0:
        log = (root / "server.log").read_text() if (root / "server.log").exists() else ""
        raise RuntimeError(f"PostgreSQL did not start: {started.stderr.strip()} {log[-2000:]}")
    return server
