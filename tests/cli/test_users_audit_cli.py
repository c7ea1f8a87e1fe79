"""``workbench init``, ``users`` and ``audit`` through the real command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from tests.support.cli import no_traceback, workbench


@pytest.fixture
def store_arg(store_url: str) -> list[str]:
    return ["--store", store_url]


def test_init_users_and_roles(store_arg: list[str]) -> None:
    created = workbench(*store_arg, "--user", "alice", "init")
    assert created.returncode == 0 and "alice is its admin" in created.stdout
    added = workbench(*store_arg, "--user", "alice", "users", "add", "bob", "--role", "scientist",
                      "--role", "engineer")
    assert added.returncode == 0, added.stderr
    listed = workbench(*store_arg, "--user", "bob", "users", "list", "--json")
    users = {u["name"]: u["roles"] for u in json.loads(listed.stdout)}
    assert users == {"alice": ["admin"], "bob": ["engineer", "scientist"]}


def test_only_an_admin_adds_users(store_arg: list[str]) -> None:
    workbench(*store_arg, "--user", "alice", "init")
    workbench(*store_arg, "--user", "alice", "users", "add", "bob", "--role", "scientist")
    denied = workbench(*store_arg, "--user", "bob", "users", "add", "eve", "--role", "admin")
    assert denied.returncode == 3 and "needs the role admin" in denied.stderr and no_traceback(denied)
    stranger = workbench(*store_arg, "--user", "mallory", "users", "list")
    assert stranger.returncode == 3 and "is not a user" in stranger.stderr
    env_user = workbench(*store_arg, "users", "add", "eve", "--role", "analyst",
                         env={"WORKBENCH_USER": "alice"})
    assert env_user.returncode == 0, env_user.stderr
    listed = json.loads(workbench(*store_arg, "--user", "alice", "users", "list", "--json").stdout)
    assert "eve" in {u["name"] for u in listed}


def test_audit_verify_names_the_tampered_entry(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}", "--user", "alice"]
    workbench(*store, "init")
    for name in ("bob", "carol", "dave"):
        workbench(*store, "users", "add", name, "--role", "operator")
    ok = workbench(*store, "audit", "verify")
    assert ok.returncode == 0 and "5 entries verified" in ok.stdout
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
