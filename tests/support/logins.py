"""Signing in as a person in tests, on either store: on the embedded store a name is asserted
(``--user``); on PostgreSQL a person signs in with their own login and password (the URL
names the login; the password sits in the test process's libpq password file, which child
processes inherit)."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from tests.support.postgres import remember_password


def password_for(name: str) -> str:
    return f"{name}-Secret-42"


def as_login(store_url: str, name: str) -> str:
    """The store URL signed in as ``name`` (SQLite URLs are returned as they are)."""
    if store_url.startswith("sqlite"):
        return store_url
    return make_url(store_url)._replace(username=name, password=None).render_as_string(hide_password=False)


def sign_in(store_url: str, name: str) -> tuple[list[str], dict[str, str]]:
    """CLI arguments and environment that act as ``name``."""
    return ["--store", as_login(store_url, name), "--user", name], {"WORKBENCH_USER": name}


def know_password(store_url: str, name: str) -> str:
    """Put ``name``'s password where libpq finds it; returns it (to pipe into --password-stdin)."""
    password = password_for(name)
    if store_url.startswith("postgresql"):
        remember_password(int(make_url(store_url).port or 5432), name, password)
    return password
