"""Signing in: open a store and learn who is acting, how that is known, and with which roles.
The GUI and the CLI both start here; nothing else decides who acts (docs/architecture.md, "Who
acts"). Every session signs its audit entries with the person's key."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from workbench.errors import PermissionDeniedError
from workbench.store import Store, open_store, resolve_store_url
from workbench.store.entities import User
from workbench.store.feed import ChangeFeed
from workbench.store.urls import default_store_url

__all__ = ["ASSERTED", "ChangeFeed", "Session", "Store", "change_feed", "claimed_user", "default_store_url",
           "identify", "keyring_key", "open_session", "os_login", "read_only_twin", "sign_in_url",
           "start_session"]

ASSERTED = "asserted identity, embedded store"
KEYRING_KIND = "postgres"


@dataclass(frozen=True)
class Session:
    store: Store
    user: User
    proven: bool
    how: str  # one line: how the workbench knows who this is
    warning: str = ""  # something the person should know about this session (shown once)

    @property
    def name(self) -> str:
        """Who acts."""
        return self.user.name

    @property
    def roles(self) -> tuple[str, ...]:
        """The roles of who acts."""
        return self.user.roles

    def close(self) -> None:
        """Close the store this session opened."""
        self.store.close()


def os_login() -> str:
    """The OS account's login name, or "unknown" where the machine has none."""
    try:
        return getpass.getuser()
    except Exception:  # no login name on this machine (some containers)
        return "unknown"


def claimed_user(explicit: str | None) -> str | None:
    """The name the person typed: ``--user``, else ``$WORKBENCH_USER``, else None."""
    return explicit or os.environ.get("WORKBENCH_USER") or None


def keyring_key(url: str) -> str:
    """What a store's password is filed under in the keyring: the URL without its password."""
    from workbench.store.urls import without_password

    return without_password(url)


def sign_in_url(url: str | None, claimed: str | None) -> str:
    """The URL to connect with: on PostgreSQL the claimed person's login when the URL names
    none, and the password from the OS keyring (kind ``postgres``, keyed by the URL without
    password) when the URL carries none; else libpq's own ``PGPASSWORD``, ``.pgpass`` or client
    certificate apply."""
    resolved = resolve_store_url(url)
    if not resolved.startswith("postgresql"):
        return resolved
    from sqlalchemy.engine import make_url

    parsed = make_url(resolved)
    if not parsed.username and claimed:
        parsed = parsed.set(username=claimed)
    if parsed.password is None and parsed.username:
        from workbench.governance.secrets import get_secret

        password = get_secret(KEYRING_KIND, keyring_key(parsed.render_as_string(hide_password=False)))
        if password:
            parsed = parsed.set(password=password)
    return parsed.render_as_string(hide_password=False)


def identify(store: Store, claimed: str | None) -> tuple[str, bool, str]:
    """(who acts, whether it is proven, how it is known) on an open store. On PostgreSQL the
    database login acts: a claim that names someone else is refused, and so is a login that is
    not a person of the store (a superuser, the tables' owner). The embedded SQLite store has no
    logins: the identity is asserted (the claim, else the OS account) and says so."""
    login = store.login()
    if login is None:
        name = claimed or os_login()
        return name, False, ASSERTED
    name, superuser = login
    if claimed and claimed != name:
        raise PermissionDeniedError(
            f"signed in to {store.display_url} as {name}; the name {claimed!r} (from --user or "
            "$WORKBENCH_USER) is someone else",
            hint=f"on PostgreSQL you act as the login you sign in with: to act as {claimed}, sign in as "
                 f"{claimed} (--store postgresql://{claimed}@HOST:PORT/DB, with their password in the OS "
                 "keyring, PGPASSWORD or ~/.pgpass)")
    if superuser:
        raise PermissionDeniedError(
            f"{name} administers the database behind {store.display_url} (a superuser, or the owner of "
            "its tables): it is not a person of the workbench",
            hint="people sign in with their own logins; the administrator only runs "
                 "'workbench init' and adds the first admin")
    return name, True, f"database login {name} (PostgreSQL)"


def open_session(url: str | None, claimed: str | None = None, *, read_only: bool = False,
                 must_be_current: bool = True, sign: bool = True) -> Session:
    """Open the store and sign in; raises a clear error when the store cannot be used or the
    person is not one of its users."""
    from workbench.services.identity import acting

    store = open_store(sign_in_url(url, claimed), read_only=read_only, must_be_current=must_be_current)
    try:
        name, proven, how = identify(store, claimed)
        with store.read() as uow:
            user = acting(uow, name)
        warning = ""
        if sign and not read_only:
            from workbench.governance.secrets import keyring_status
            from workbench.governance.store_signing import KeyringSigner

            store.enable_signing(KeyringSigner(store))
            usable, why = keyring_status()
            if not usable:
                warning = (f"your signing key lasts for this session only ({why}); what you sign still "
                           "verifies, and the next session registers another key")
    except BaseException:
        store.close()
        raise
    return Session(store, user, proven, how, warning)


def read_only_twin(store: Store) -> Store:
    """A second, read-only connection to the store a session opened, signed in with the same
    login (the analyst's views read through it, so nothing they do can write)."""
    return open_store(store.url, read_only=True)


def start_session(url: str | None, claimed: str | None = None) -> tuple[Session, str]:
    """Sign in for the desktop workbench: the session and a line saying what start-up did to the
    store. An embedded store that is missing is created (the person becomes its admin) and one
    with an older schema is upgraded in place, data kept; a shared store with an older schema
    is never upgraded here: its error says what to run instead."""
    from workbench.store import StoreSchemaError, init_store

    resolved = resolve_store_url(url)
    try:
        return open_session(resolved, claimed), ""
    except StoreSchemaError:
        if not resolved.startswith("sqlite"):
            raise
        result = init_store(resolved, claimed or os_login())
    note = (f"Created a new store at {result.url}; {result.admin} is its admin."
            if result.created else
            f"Upgraded the store from schema {result.revision_before} to {result.revision_after}.")
    return open_session(resolved, claimed), note


def change_feed(store: Store) -> ChangeFeed:
    """A reader of the store's change feed from now on (``wait`` returns what changed; SQLite is
    polled, PostgreSQL wakes on NOTIFY); close it when done."""
    return ChangeFeed(store)
