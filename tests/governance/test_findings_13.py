"""Issue 13 (hardening), the findings that the governance work closes, each as the attack the
review made: an upgrade by a non-admin (3), the audit head moved back (4), and a gate's
approver_role (13)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.cli import no_traceback, workbench


def _store(tmp_path: Path) -> tuple[str, Path]:
    db = tmp_path / "store.db"
    url = f"sqlite:///{db}"
    assert workbench("--store", url, "--user", "ada", "init").returncode == 0
    for name, role in (("alice", "scientist"), ("ann", "analyst"), ("rita", "approver")):
        assert workbench("--store", url, "--user", "ada", "users", "add", name, "--role", role).returncode == 0
    return url, db


def test_finding_3_only_an_admin_initialises_or_upgrades_a_store(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    for who in ("ann", "stranger"):
        refused = workbench("--store", url, "--user", who, "init")
        assert refused.returncode == 3 and "only an admin" in refused.stderr and no_traceback(refused)
    assert workbench("--store", url, "--user", "ada", "init").returncode == 0


def test_finding_4_deleting_the_newest_entries_and_moving_the_head_back_is_caught(tmp_path: Path) -> None:
    url, db = _store(tmp_path)
    intact = workbench("--store", url, "--user", "ada", "audit", "verify")
    assert intact.returncode == 0  # this machine now remembers the head
    with sqlite3.connect(db) as conn:
        last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
        keep = last - 2
        conn.execute("DELETE FROM audit_signatures WHERE entry_id > ?", (keep,))
        conn.execute("DELETE FROM audit_log WHERE id > ?", (keep,))
        conn.execute("UPDATE audit_head SET last_id = ?, last_hash = (SELECT hash FROM audit_log WHERE id = ?)",
                     (keep, keep))
    rolled_back = workbench("--store", url, "--user", "ada", "audit", "verify")
    assert rolled_back.returncode == 1 and no_traceback(rolled_back)
    assert f"entry {last}" in rolled_back.stderr and "rewritten" in rolled_back.stderr


def test_finding_13_the_gates_approver_role_is_enforced(tmp_path: Path) -> None:
    url, _ = _store(tmp_path)
    from workbench.services.models import decide
    from workbench.store import open_store

    store = open_store(url)
    with store.write("alice") as uow:
        request = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate",
                                        evidence={"approver_role": "admin"})
    refused = workbench("--store", url, "--user", "rita", "approve", str(request.id), "--reason", "fine")
    assert refused.returncode == 3 and "role admin" in refused.stderr
    workbench("--store", url, "--user", "ada", "users", "roles", "rita", "--role", "approver", "--role", "admin")
    decided = decide(store, "rita", request.id, "approved", "fine, as approver and admin")
    assert decided.status == "approved"
    listed = json.loads(workbench("--store", url, "--user", "rita", "approvals", "list", "--json").stdout)
    assert listed[0]["status"] == "approved"
    store.close()
