"""Store URLs: which database a workbench opens (``sqlite:///PATH``, ``postgresql://…`` or
``postgresql+psycopg://…``), and the clear errors when it cannot."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from workbench.store.errors import StoreError

APP_NAME = "mlops-workbench"
_POSTGRES_SCHEMES = {"postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2"}


def default_data_dir() -> Path:
    """This account's data folder for the workbench (platformdirs)."""
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_store_url() -> str:
    """The URL of this account's embedded store, in the platform's user data folder."""
    return f"sqlite:///{default_data_dir() / 'workbench.db'}"


def resolve_store_url(url: str | None) -> str:
    """The URL to open: the argument, else ``$WORKBENCH_STORE``, else the embedded default."""
    chosen = url or os.environ.get("WORKBENCH_STORE") or default_store_url()
    return normalise_store_url(chosen)


def normalise_store_url(url: str) -> str:
    """The URL in the store's own form: a bare file path becomes a SQLite URL, PostgreSQL always
    goes through psycopg 3; an in-memory SQLite store or another scheme is refused."""
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"store URL {redact(url)!r} cannot be parsed: {exc}") from None
    scheme = parsed.drivername
    if scheme in {"sqlite", "sqlite+pysqlite"}:
        if not parsed.database or parsed.database == ":memory:":
            raise StoreError(
                f"store URL {url!r} names no file",
                hint="use sqlite:///PATH/TO/workbench.db; an in-memory store cannot be shared",
            )
        return str(parsed.set(drivername="sqlite"))
    if scheme in _POSTGRES_SCHEMES:
        return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise StoreError(
        f"store URL {redact(url)!r} has the unknown scheme {scheme!r}",
        hint="use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB",
    )


def without_password(url: str) -> str:
    """The URL with its password removed (not hidden): what may be shown, logged, filed as a
    keyring entry's name or passed on a command line. (``URL.set(password=None)`` keeps it.)"""
    parsed = make_url(url)
    return parsed._replace(password=None).render_as_string(hide_password=False)


def redact(url: str | URL) -> str:
    """The URL with any password hidden, for messages and logs."""
    try:
        parsed = url if isinstance(url, URL) else make_url(url)
    except ArgumentError:
        return "<unparseable URL>"
    return parsed.render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for any other database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database or "")
