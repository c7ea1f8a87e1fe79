"""Tampering with a store's evidence, on SQLite and on a real PostgreSQL, as the owner of the
tables would (on PostgreSQL switching the append-only triggers off first): `workbench audit
verify` exits 1 and names what it found; an exported bundle verifies with no store and fails
after any edit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.support.cli import no_traceback, workbench
from tests.support.logins import know_password, sign_in
from workbench.governance.signing import SigningKey
from workbench.store.repos.audit import entry_hash, entry_hash_v2


@pytest.fixture
def decided(store_url: str):  # noqa: ANN201
    """A store where alice requested an approval and rita approved it, every entry signed."""
    from workbench.governance.store_signing import KeyringSigner
    from workbench.store import init_store, open_store

    init_store(store_url, "ada", admin_password=know_password(store_url, "ada")
               if store_url.startswith("postgresql") else None)
    store = open_store(store_url)
    store.enable_signing(KeyringSigner(store))
    with store.write("ada") as uow:
        uow.users.add("alice", ["scientist"])
        uow.users.add("rita", ["approver"])
        if store.dialect == "postgresql":
            uow.users.set_password("rita", know_password(store_url, "rita"))
    with store.write("alice") as uow:
        request = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate")
    with store.write("rita") as uow:
        uow.approvals.decide(request.id, "approved", "holds on production data")
    yield store
    store.close()


def _verify(store_url: str, *extra: str):  # noqa: ANN202
    argv, env = sign_in(store_url, "ada")
    return workbench(*argv, "audit", "verify", *extra, env=env)


def _owner_edits(store, *statements: str, **params: object) -> None:  # noqa: ANN001
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        for sql in statements:
            conn.execute(text(sql), params)


def _rewrite_from(store, first: int, payload: str) -> None:  # noqa: ANN001
    """The owner's consistent rewrite: entry ``first`` gets a new payload and every hash from
    there on, and the head, are recomputed so that the chain is whole again."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        rows = conn.execute(text("SELECT * FROM audit_log WHERE id >= :f ORDER BY id"), {"f": first}).mappings().all()
        prev = rows[0]["prev_hash"]
        for row in rows:
            body = payload if row["id"] == first else row["payload"]
            scheme = entry_hash_v2 if row["hash_version"] == 2 else entry_hash
            digest = scheme(row["id"], row["ts"], row["actor"], row["action"], row["subject"], body, prev)
            conn.execute(text("UPDATE audit_log SET payload = :p, prev_hash = :prev, hash = :h WHERE id = :i"),
                         {"p": body, "prev": prev, "h": digest, "i": row["id"]})
            prev = digest
        conn.execute(text("UPDATE audit_head SET last_hash = :h"), {"h": prev})


def _entry(store, action: str) -> int:  # noqa: ANN001
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT max(id) FROM audit_log WHERE action = :a"), {"a": action}).scalar())


def test_an_untouched_store_verifies_and_says_what_it_holds(decided, store_url: str) -> None:  # noqa: ANN001
    result = _verify(store_url, "--json")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["ok"], result.stderr
    assert report["signed"] >= 3 and report["decisions"] == 1
    assert (report["asserted"] > 0) is store_url.startswith("sqlite")


def test_an_edited_reason_in_the_decisions_table_is_named(decided, store_url: str) -> None:  # noqa: ANN001
    _owner_edits(decided, "UPDATE approval_decisions SET reason = 'rubber-stamped'")
    result = _verify(store_url)
    assert result.returncode == 1 and no_traceback(result)
    assert "approval 1" in result.stderr and "reason" in result.stderr


def test_an_edited_payload_is_named(decided, store_url: str) -> None:  # noqa: ANN001
    entry = _entry(decided, "approvals.request")
    _owner_edits(decided, "UPDATE audit_log SET payload = '{\"node_id\":\"other\"}' WHERE id = :i", i=entry)
    result = _verify(store_url)
    assert result.returncode == 1 and f"entry {entry}" in result.stderr


def test_a_deleted_entry_is_named(decided, store_url: str) -> None:  # noqa: ANN001
    entry = _entry(decided, "approvals.request")
    _owner_edits(decided, "DELETE FROM audit_signatures WHERE entry_id = :i", "DELETE FROM audit_log WHERE id = :i",
                 i=entry)
    result = _verify(store_url)
    assert result.returncode == 1 and f"entry {entry}" in result.stderr and "missing" in result.stderr


def test_a_consistent_rewrite_of_the_chain_by_its_owner_is_caught(decided, store_url: str) -> None:  # noqa: ANN001
    entry = _entry(decided, "approvals.approve")
    forged = json.dumps({"decision": "approved", "reason": "rubber-stamped"}, separators=(",", ":"))
    _owner_edits(decided, "UPDATE approval_decisions SET reason = 'rubber-stamped'")
    _rewrite_from(decided, entry, forged)
    with decided.read() as uow:  # the chain alone is whole again: hashes, links and head agree
        assert uow.audit.verify().ok
    result = _verify(store_url)
    assert result.returncode == 1 and f"entry {entry}" in result.stderr and "signature" in result.stderr


def test_forged_keys_after_a_rewrite_are_caught_by_what_this_machine_remembers(decided, store_url: str) -> None:  # noqa: ANN001
    assert _verify(store_url).returncode == 0  # remembered: the head and everyone's keys
    entry = _entry(decided, "approvals.approve")
    forger = SigningKey.generate()
    _rewrite_from(decided, entry, json.dumps({"decision": "approved", "reason": "x"}, separators=(",", ":")))
    with decided.engine.connect() as conn:
        rows = conn.execute(text("SELECT id, hash FROM audit_log WHERE actor = 'rita'")).all()
    _owner_edits(decided, "UPDATE approval_decisions SET reason = 'x'",
                 "UPDATE person_keys SET key_id = :k, public_key = :p WHERE person = 'rita'",
                 k=forger.key_id, p=forger.public_key)
    for entry_id, digest in rows:  # every one of rita's entries signed again, with the forged key
        _owner_edits(decided, "UPDATE audit_signatures SET key_id = :k, signature = :s WHERE entry_id = :i",
                     k=forger.key_id, s=forger.sign_entry(digest), i=entry_id)
    result = _verify(store_url)
    assert result.returncode == 1 and no_traceback(result)
    assert "rita" in result.stderr and ("replaced" in result.stderr or "rewritten" in result.stderr)


def test_an_exported_bundle_verifies_offline_and_fails_after_any_edit(decided, store_url: str,
                                                                     tmp_path: Path) -> None:  # noqa: ANN001
    bundle = tmp_path / "audit.jsonl"
    argv, env = sign_in(store_url, "rita")
    exported = workbench(*argv, "audit", "export", "-o", str(bundle), env=env)
    assert exported.returncode == 0, exported.stderr
    offline = {"WORKBENCH_STORE": f"sqlite:///{tmp_path / 'none' / 'x.db'}"}
    assert workbench("audit", "verify", "--bundle", str(bundle), env=offline).returncode == 0
    lines = bundle.read_text().splitlines()
    for i, line in enumerate(lines):
        if "holds on production data" in line:
            edited = [*lines[:i], line.replace("holds on production data", "rubber-stamped"), *lines[i + 1:]]
            break
    else:
        raise AssertionError("the bundle lacks the decision's reason")
    bundle.write_text("\n".join(edited) + "\n")
    broken = workbench("audit", "verify", "--bundle", str(bundle), env=offline)
    assert broken.returncode == 1 and no_traceback(broken)
    bundle.write_text("\n".join(lines[:-2] + lines[-1:]) + "\n")  # a line cut out
    assert workbench("audit", "verify", "--bundle", str(bundle), env=offline).returncode == 1
