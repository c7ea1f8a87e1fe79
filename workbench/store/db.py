"""Opening a store and the one managed-session helper every repository goes through: a unit of
work shares one transaction, committed when its block ends and rolled back on any error, so
nothing is ever half-written."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from workbench.store.clock import now_ms
from workbench.store.errors import StoreError, StoreReadOnlyError
from workbench.store.repos import NOTIFY_CHANNEL, UnitOfWork
from workbench.store.urls import redact, resolve_store_url, sqlite_path

__all__ = ["NOTIFY_CHANNEL", "Store", "UnitOfWork", "now_ms"]

SQLITE_BUSY_TIMEOUT_S = 60


def _create_private(path: Path) -> None:
    """A new embedded store is readable by its owner only: the database file is created 0600
    just before SQLite would create it (SQLite gives its -wal and -shm files the database
    file's permissions). An existing file keeps the permissions its owner gave it; anything
    that stops the creation is left for SQLite to report in its own words."""
    if str(path) in ("", ":memory:") or path.exists():
        return
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except OSError:  # created a moment ago by another workbench, or its folder is gone
        pass


def _sqlite_engine(url: str, *, read_only: bool, immediate: bool) -> Engine:
    """WAL journal, foreign keys on, a busy timeout, and write transactions that start with
    ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing half-way; a read-only
    store opens the file with ``mode=ro``."""
    path = sqlite_path(url)
    assert path is not None
    if read_only:
        if not path.exists():
            raise StoreError(f"store file {path} does not exist")
        engine = create_engine(
            f"sqlite:///file:{path}?mode=ro&uri=true",
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            poolclass=NullPool,
        )
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder: its owner's only
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            poolclass=NullPool,
        )

    if not read_only:
        @event.listens_for(engine, "do_connect")
        def _before_connect(*_: Any) -> None:
            _create_private(path)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        if not read_only:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_S * 1000}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _postgres_engine(url: str, *, read_only: bool) -> Engine:
    """psycopg 3; a read-only store sets ``default_transaction_read_only``."""
    connect_args: dict[str, Any] = {"connect_timeout": 10}
    if read_only:
        connect_args["options"] = "-c default_transaction_read_only=on"
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, pool_size=4)


class Store:
    """One open store. Cheap to keep around; ``close()`` releases its connections."""

    def __init__(self, url: str | None = None, *, read_only: bool = False):
        self.url = resolve_store_url(url)
        self.read_only = read_only
        self.dialect = "sqlite" if self.url.startswith("sqlite") else "postgresql"
        self._writing = threading.local()
        if self.dialect == "sqlite":
            self._read_engine = _sqlite_engine(self.url, read_only=read_only, immediate=False)
            self._write_engine = (
                None if read_only else _sqlite_engine(self.url, read_only=False, immediate=True)
            )
        else:
            self._read_engine = _postgres_engine(self.url, read_only=read_only)
            self._write_engine = None if read_only else self._read_engine

        self._login: tuple[str, bool] | None = None
        self._store_id: str | None = None
        self.signer: Any = None  # set by ``enable_signing``; see ``store.signing``

    # -- plumbing -------------------------------------------------------------------------
    @property
    def display_url(self) -> str:
        """The store's URL without its password, for messages."""
        return redact(self.url)

    def login(self) -> tuple[str, bool] | None:
        """On PostgreSQL the login this store is signed in with and whether it is the database's
        administrator (a superuser, or the owner of the store's tables, whom no grant binds);
        None on the embedded SQLite store, which has no logins."""
        if self.dialect != "postgresql":
            return None
        if self._login is None:
            with self._read_engine.connect() as conn:
                row = conn.execute(text(
                    "SELECT session_user, coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), "
                    "false) OR EXISTS (SELECT 1 FROM pg_tables WHERE tablename = 'audit_log' "
                    "AND tableowner = session_user)")).one()
            self._login = (str(row[0]), bool(row[1]))
        return self._login

    def store_id(self) -> str:
        """The store's own id (``store_info``): what keyrings and verifiers remember it by.
        A store without one (an older schema) is known by its URL without the password."""
        if self._store_id is None:
            from sqlalchemy import inspect

            with self._read_engine.connect() as conn:
                found = None
                if inspect(conn).has_table("store_info"):
                    found = conn.execute(text("SELECT store_id FROM store_info WHERE singleton = 1")).scalar()
            self._store_id = str(found) if found else self.display_url
        return self._store_id

    def enable_signing(self, signer: Any) -> None:
        """Sign every audit entry written through this store with its actor's key. ``signer``
        has ``key_for(person)``: a key with ``key_id``, ``public_key`` and ``sign_entry(hash)``,
        or None; the workbench's own is
        ``governance.store_signing.KeyringSigner``."""
        self.signer = signer

    def check_actor(self, actor: str) -> None:
        """On PostgreSQL a login writes as itself: naming another actor is refused, except for
        a superuser (the database's administrator, who can do anything in SQL anyway)."""
        login = self.login()
        if login is None or login[0] == actor or login[1]:
            return
        from workbench.errors import PermissionDeniedError

        raise PermissionDeniedError(
            f"signed in to {self.display_url} as {login[0]}, who cannot act as {actor!r}",
            hint=f"on PostgreSQL you act as the login you sign in with; to act as {actor}, "
                 f"sign in as {actor} (their login and password)")

    @property
    def engine(self) -> Engine:
        """The engine writes go through (migrations use it)."""
        if self._write_engine is None:
            raise StoreReadOnlyError(f"the store {self.display_url} is open read-only")
        return self._write_engine

    def ping(self) -> None:
        """Connect once, turning driver errors into one clear line."""
        try:
            with self._read_engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, DBAPIError) as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise StoreError(f"cannot open the store {self.display_url}: {reason}") from None

    def close(self) -> None:
        """Release the store's connections."""
        self._read_engine.dispose()
        if self._write_engine is not None and self._write_engine is not self._read_engine:
            self._write_engine.dispose()

    # -- units of work --------------------------------------------------------------------
    @contextmanager
    def read(self) -> Iterator[UnitOfWork]:
        """A read-only unit of work; whatever it did is rolled back when the block ends."""
        with self._session(self._read_engine) as session:
            yield UnitOfWork(self, session, actor=None)
            session.rollback()

    @contextmanager
    def write(self, actor: str) -> Iterator[UnitOfWork]:
        """A unit of work that writes as ``actor``: committed when the block ends, rolled back on any error."""
        if self._write_engine is None:
            raise StoreReadOnlyError(
                f"the store {self.display_url} is open read-only; {actor!r} cannot change it"
            )
        if getattr(self._writing, "active", False):
            # A second write transaction on the same thread waits for the first one, which
            # waits for it: a self-deadlock. Refuse it at once instead.
            raise RuntimeError("a write unit of work was opened inside another one on the same thread")
        self.check_actor(actor)
        self._writing.active = True
        try:
            with self._session(self._write_engine) as session:
                uow = UnitOfWork(self, session, actor=actor)
                try:
                    yield uow
                    uow.flush_changes()
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            self._writing.active = False

    @contextmanager
    def _session(self, engine: Engine) -> Iterator[Session]:
        session = Session(bind=engine, expire_on_commit=False, autoflush=False)
        try:
            yield session
        except (OperationalError, DBAPIError) as exc:
            if self.read_only and _is_read_only_violation(exc):
                raise StoreReadOnlyError(
                    f"the store {self.display_url} refused a write: it is open read-only"
                ) from None
            if getattr(exc.orig, "sqlstate", None) == "42501":  # insufficient_privilege
                from workbench.errors import PermissionDeniedError

                reason = str(exc.orig).strip().splitlines()[0]
                raise PermissionDeniedError(f"the database refused it: {reason}",
                                            hint="the store's rules hold for every login") from None
            raise
        finally:
            session.close()


def _is_read_only_violation(exc: DBAPIError) -> bool:
    message = str(exc.orig or exc).lower()
    return "readonly" in message or "read-only" in message or "read only" in message
