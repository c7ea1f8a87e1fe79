"""The shared store every open workbench sees: SQLite (embedded default) or PostgreSQL.
``open_store(url)`` opens an existing, current store; ``init_store(url, actor)`` creates or
upgrades one. Work happens in units of work: ``store.read()`` and ``store.write(actor)``."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.store.db import Store, UnitOfWork, now_ms
from workbench.store.errors import (
    ConflictError,
    NotFoundError,
    StoreError,
    StoreReadOnlyError,
    StoreSchemaError,
)
from workbench.store.urls import default_store_url, redact, resolve_store_url, sqlite_path

__all__ = [
    "ConflictError", "InitResult", "NotFoundError", "Store", "StoreError", "StoreReadOnlyError",
    "StoreSchemaError", "UnitOfWork", "default_store_url", "init_store", "now_ms", "open_store",
    "redact", "resolve_store_url",
]


def open_store(url: str | None = None, *, read_only: bool = False, must_be_current: bool = True) -> Store:
    """Open an existing store; a missing, unreachable or out-of-date one is a clear error."""
    resolved = resolve_store_url(url)
    path = sqlite_path(resolved)
    if path is not None and not path.exists():
        raise StoreSchemaError(
            f"there is no store at {path}",
            hint="run 'workbench init' (with the same --store) to create it",
        )
    store = Store(resolved, read_only=read_only)
    try:
        store.ping()
        if must_be_current:
            from workbench.store.migrate import check_current

            check_current(store)
    except BaseException:
        store.close()
        raise
    return store


@dataclass(frozen=True)
class InitResult:
    url: str
    created: bool
    revision_before: str | None
    revision_after: str | None
    admin: str | None


def init_store(url: str | None, actor: str, *, admin_password: str | None = None) -> InitResult:
    """Create or upgrade the store. On a store without users, ``actor`` becomes its admin (on
    PostgreSQL with ``admin_password`` as their login's password). On PostgreSQL the URL's
    login is the database's administrator: it may create roles, and is never a person."""
    from workbench.store.migrate import upgrade

    store = Store(url)
    try:
        store.ping()
        _check_may_init(store, actor)
        before, after = upgrade(store)
        admin = None
        with store.write(actor) as uow:
            if uow.users.count() == 0:
                uow.users.add(actor, ["admin"])
                admin = actor
                if admin_password is not None:
                    uow.users.set_password(actor, admin_password)
            uow.projects.ensure()
        return InitResult(store.display_url, before is None, before, after, admin)
    finally:
        store.close()


def _check_may_init(store: Store, actor: str) -> None:
    """Upgrading or re-initialising a store that has people is an admin's work (on PostgreSQL
    also the database's administrator's, whose login runs the migrations)."""
    from sqlalchemy import inspect, text

    login = store.login()
    if login is not None and login[1]:
        return
    with store._read_engine.connect() as conn:
        if not inspect(conn).has_table("users"):
            return  # a new store: its creator becomes the admin
        people = conn.execute(text("SELECT count(*) FROM users")).scalar()
        admin = conn.execute(text(
            "SELECT count(*) FROM users u JOIN user_roles r ON r.user_id = u.id "
            "WHERE u.name = :n AND r.role = 'admin'"), {"n": actor}).scalar()
    if people and not admin:
        from workbench.errors import PermissionDeniedError

        raise PermissionDeniedError(
            f"{actor!r} may not initialise or upgrade the store {store.display_url}: only an admin does",
            hint="ask an admin of this store to run 'workbench init'")
