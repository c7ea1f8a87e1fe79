"""``workbench init``, ``users`` and ``audit`` through the real command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import no_traceback, workbench
from tests.support.logins import know_password, sign_in


def _init(store_url: str, admin: str = "alice") -> None:
    password = know_password(store_url, admin)
    created = workbench("--store", store_url, "--user", admin, "init",
                        *(["--admin-password-stdin"] if store_url.startswith("postgresql") else []),
                        stdin=password + "\n", env={"WORKBENCH_USER": admin})
    assert created.returncode == 0 and f"{admin} is its admin" in created.stdout, created.stderr


def _as(store_url: str, name: str, *args: str, stdin: str | None = None):  # noqa: ANN202
    argv, env = sign_in(store_url, name)
    return workbench(*argv, *args, env=env, stdin=stdin)


def _add(store_url: str, admin: str, name: str, *roles: str):  # noqa: ANN202
    role_args = [a for r in roles for a in ("--role", r)]
    if store_url.startswith("postgresql"):
        return _as(store_url, admin, "users", "add", name, *role_args, "--password-stdin",
                   stdin=know_password(store_url, name) + "\n")
    return _as(store_url, admin, "users", "add", name, *role_args)


def test_init_users_and_roles(store_url: str) -> None:
    _init(store_url)
    added = _add(store_url, "alice", "bob", "scientist", "engineer")
    assert added.returncode == 0, added.stderr
    listed = _as(store_url, "bob", "users", "list", "--json")
    users = {u["name"]: u["roles"] for u in json.loads(listed.stdout)}
    assert users == {"alice": ["admin"], "bob": ["engineer", "scientist"]}
    who = json.loads(_as(store_url, "bob", "whoami", "--json").stdout)
    assert who["name"] == "bob" and who["proven"] is store_url.startswith("postgresql")
    assert who["how"] == ("database login bob (PostgreSQL)" if who["proven"] else "asserted identity, embedded store")


def test_only_an_admin_adds_users(store_url: str) -> None:
    _init(store_url)
    _add(store_url, "alice", "bob", "scientist")
    denied = _add(store_url, "bob", "eve", "admin")
    assert denied.returncode == 3 and "needs the role admin" in denied.stderr and no_traceback(denied)
    stranger = workbench("--store", store_url, "--user", "mallory", "users", "list")
    assert stranger.returncode == 3 and no_traceback(stranger)
    assert ("is not a user" in stranger.stderr if store_url.startswith("sqlite")
            else "someone else" in stranger.stderr)
    listed = json.loads(_as(store_url, "alice", "users", "list", "--json").stdout)
    assert "eve" not in {u["name"] for u in listed}


def test_audit_verify_names_the_tampered_entry(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}", "--user", "alice"]
    workbench(*store, "init")
    for name in ("bob", "carol", "dave"):
        workbench(*store, "users", "add", name, "--role", "operator")
    ok = workbench(*store, "audit", "verify")
    assert ok.returncode == 0 and "6 entries verified" in ok.stdout  # + alice's key registered
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET payload = '{\"roles\":[\"admin\"]}' WHERE id = 4")
    broken = workbench(*store, "audit", "verify")
    assert broken.returncode == 1 and "entry 4" in broken.stderr and no_traceback(broken)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM audit_log WHERE id = 5")
    as_json = json.loads(workbench(*store, "audit", "verify", "--json").stdout)
    assert as_json["ok"] is False and as_json["broken_id"] == 4


@pytest.mark.parametrize("store_value, message", [
    ("mysql://x@y/z", "unknown scheme"),
    ("postgresql://u:pw@127.0.0.1:1/db", "cannot open the store"),
])
def test_unusable_store_is_exit_2_with_one_line(store_value: str, message: str) -> None:
    result = workbench("--store", store_value, "users", "list")
    assert result.returncode == 2 and message in result.stderr and no_traceback(result)
    assert len(result.stderr.strip().splitlines()) == 1 and "pw" not in result.stderr


def test_store_not_initialised_says_what_to_run(tmp_path: Path) -> None:
    result = workbench("--store", f"sqlite:///{tmp_path / 'new.db'}", "users", "list")
    assert result.returncode == 2 and "workbench init" in result.stderr
    assert not (tmp_path / "new.db").exists()
