"""Signing in (``services.session``): who acts, how that is known, and where a PostgreSQL
password comes from."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from tests.support.logins import as_login, know_password
from workbench.errors import PermissionDeniedError
from workbench.services.session import ASSERTED, keyring_key, open_session
from workbench.store import StoreError, init_store, open_store


def test_the_embedded_store_asserts_who_acts(tmp_path) -> None:  # noqa: ANN001
    url = f"sqlite:///{tmp_path / 'store.db'}"
    init_store(url, "ada")
    session = open_session(url, "ada")
    assert (session.name, session.proven, session.how, session.roles) == ("ada", False, ASSERTED, ("admin",))
    with session.store.write("ada") as uow:
        uow.users.add("bob", ["scientist"])
    with session.store.read() as uow:
        added = uow.audit.all(subject="user:bob")[-1]
    assert added.payload["identity"] == "asserted"
    session.close()
    with pytest.raises(PermissionDeniedError, match="not a user"):
        open_session(url, "mallory")


def test_a_postgres_password_comes_from_the_keyring_and_the_login_is_who_acts(postgres_url: str) -> None:
    from workbench.governance import secrets

    init_store(postgres_url, "ada", admin_password=know_password(postgres_url, "ada"))
    admin = open_store(postgres_url)
    with admin.write("ada") as uow:
        uow.users.add("kim", ["operator"])
        uow.users.set_password("kim", "kim-only-in-the-keyring")
    admin.close()
    parsed = make_url(postgres_url)
    without_login = f"postgresql+psycopg://{parsed.host}:{parsed.port}/{parsed.database}"
    with pytest.raises(StoreError, match="password"):  # neither the keyring nor .pgpass knows it yet
        open_session(without_login, "kim")
    secrets.store_secret("postgres", keyring_key(as_login(postgres_url, "kim")), "kim-only-in-the-keyring")
    session = open_session(without_login, "kim")  # no login in the URL: the claimed person signs in
    assert (session.name, session.proven, session.roles) == ("kim", True, ("operator",))
    assert session.store.login() == ("kim", False) and "kim-only" not in session.store.display_url
    session.close()
    with pytest.raises(PermissionDeniedError, match="someone else"):
        open_session(as_login(postgres_url, "kim"), "ada")
    removed = open_session(as_login(postgres_url, "ada"), "ada")
    with removed.store.write("ada") as uow:
        uow.users.remove("kim")
    removed.close()
    with pytest.raises(Exception, match="not permitted to log in|password authentication failed"):
        open_session(without_login, "kim")


def test_without_a_keyring_the_person_is_told_their_key_lasts_one_session(tmp_path) -> None:  # noqa: ANN001
    from tests.support.cli import workbench

    url = f"sqlite:///{tmp_path / 'store.db'}"
    init_store(url, "ada")
    no_keyring = {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    added = workbench("--store", url, "--user", "ada", "users", "add", "bob", "--role", "scientist", env=no_keyring)
    assert added.returncode == 0 and "signing key lasts for this session only" in added.stderr
    assert "no OS keyring is available" in added.stderr
    verified = workbench("--store", url, "--user", "ada", "audit", "verify", env=no_keyring)
    assert verified.returncode == 0 and "2 signed" in verified.stdout  # the key registered, bob added: both verify
