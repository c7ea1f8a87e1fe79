"""The audit chain: every kind of tampering is caught and the first broken entry named."""

from __future__ import annotations

import pytest
from sqlalchemy import text


@pytest.fixture
def chained(store):
    with store.write("admin") as uow:
        for i in range(10):
            uow.audit.append("test.event", f"thing:{i}", {"i": i})
    with store.read() as uow:
        assert uow.audit.verify().ok and uow.audit.count() == 12  # + users.add, projects.add
    return store


def _tamper(store, sql: str) -> None:
    """Edit the log as its owner would: on PostgreSQL that takes switching the append-only
    triggers off first (``session_replication_role``), which only a superuser can."""
    with store.engine.begin() as conn:
        if store.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(sql))


def test_postgres_refuses_edits_of_the_log_even_to_its_owner(postgres_url: str) -> None:
    from workbench.store import init_store, open_store

    init_store(postgres_url, "admin")
    chained = open_store(postgres_url)
    with chained.write("admin") as uow:
        uow.audit.append("test.event", "thing:1", {"i": 1})
    for sql in ("UPDATE audit_log SET payload = '{}' WHERE id = 3", "DELETE FROM audit_log WHERE id = 3",
                "TRUNCATE audit_log CASCADE"):
        with pytest.raises(Exception, match="append-only"), chained.engine.begin() as conn:
            conn.execute(text(sql))
    assert _verify(chained).ok
    chained.close()


def _verify(store):
    with store.read() as uow:
        return uow.audit.verify()


def test_changed_payload_is_named(chained) -> None:
    _tamper(chained, "UPDATE audit_log SET payload = 'tampered' WHERE id = 7")
    result = _verify(chained)
    assert not result.ok and result.broken_id == 7
    assert "audit entry 7" in result.problem and "changed" in result.problem


def test_changed_actor_is_named(chained) -> None:
    _tamper(chained, "UPDATE audit_log SET actor = 'mallory' WHERE id = 3")
    assert _verify(chained).broken_id == 3


def test_deleted_middle_row_is_named(chained) -> None:
    _tamper(chained, "DELETE FROM audit_log WHERE id = 5")
    result = _verify(chained)
    assert not result.ok and result.broken_id == 5 and "missing" in result.problem


def test_deleted_newest_rows_are_noticed(chained) -> None:
    _tamper(chained, "DELETE FROM audit_log WHERE id >= 11")
    result = _verify(chained)
    assert not result.ok and result.broken_id == 11 and "head" in result.problem


def test_rewritten_hashes_still_break_the_link(chained) -> None:
    # Recomputing one row's own hash after changing it still breaks the next row's link.
    from workbench.store.repos.audit import entry_hash_v2

    with chained.engine.begin() as conn:
        if chained.dialect == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        row = conn.execute(text("SELECT id, ts, actor, action, subject, prev_hash FROM audit_log "
                                "WHERE id = 4")).one()
        forged = entry_hash_v2(row.id, row.ts, row.actor, row.action, row.subject, '{"i":100}', row.prev_hash)
        conn.execute(text("UPDATE audit_log SET payload = :p, hash = :h WHERE id = 4"),
                     {"p": '{"i":100}', "h": forged})
    result = _verify(chained)
    assert not result.ok and result.broken_id == 5 and "does not link" in result.problem
