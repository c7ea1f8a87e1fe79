"""The tamper-evident audit trail and the change feed.

Audit: entry *n* stores ``prev_hash`` = hash of entry *n−1* (64 zeros for the first) and
``hash`` = sha256 over its own canonical content (id, time, actor, action, subject, payload,
prev_hash). Appends run in the serial section, take id = last id + 1, and move the head row
(``audit_head``) in the same transaction; ``verify()`` walks the chain, recomputes every
hash and compares the end with the head, so a changed payload, a deleted or inserted row,
and deleted newest entries are all caught and the first broken entry is named.

Change feed: ``since(last_id)`` returns events with larger ids; ids are monotonic and are
committed in order, so a reader that remembers the last id it saw never misses one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select

from workbench.store.db import now_ms
from workbench.store.entities import AuditEntry, AuditVerification, Change
from workbench.store.repos.base import Repo, dumps, loads, to_entity
from workbench.store.schema import AuditHeadRow, AuditRow, ChangeRow

GENESIS = "0" * 64


def entry_hash(id_: int, ts: int, actor: str, action: str, subject: str, payload: str,
               prev_hash: str) -> str:
    content = dumps([id_, ts, actor, action, subject, payload, prev_hash])
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _describe(row: AuditRow) -> str:
    return f"audit entry {row.id} ({row.action} by {row.actor} at {row.ts})"


class AuditRepo(Repo):
    def append(self, action: str, subject: str, payload: dict[str, Any] | None = None) -> AuditEntry:
        actor = self.actor
        self.uow.serialise()
        head = self.session.get(AuditHeadRow, 1)
        last_id, prev = (head.last_id, head.last_hash) if head else (0, GENESIS)
        ts = now_ms()
        text = dumps(payload or {})
        new_id = last_id + 1
        digest = entry_hash(new_id, ts, actor, action, subject, text, prev)
        row = AuditRow(id=new_id, ts=ts, actor=actor, action=action, subject=subject,
                       payload=text, prev_hash=prev, hash=digest)
        self.session.add(row)
        if head is None:
            self.session.add(AuditHeadRow(singleton=1, last_id=new_id, last_hash=digest))
        else:
            head.last_id, head.last_hash = new_id, digest
        self.session.flush()
        self.uow.record_change("audit", new_id, action)
        return to_entity(AuditEntry, row, json_fields=("payload",))

    def count(self) -> int:
        return int(self.session.scalar(select(func.count()).select_from(AuditRow)) or 0)

    def list(self, *, subject: str | None = None, since_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
        query = select(AuditRow).where(AuditRow.id > since_id)
        if subject is not None:
            query = query.where(AuditRow.subject == subject)
        rows = self.session.scalars(query.order_by(AuditRow.id).limit(limit))
        return [to_entity(AuditEntry, r, json_fields=("payload",)) for r in rows]

    def _walk(self, batch: int = 5000) -> Iterator[AuditRow]:
        last = 0
        while True:
            rows = self.session.scalars(
                select(AuditRow).where(AuditRow.id > last).order_by(AuditRow.id).limit(batch)
            ).all()
            if not rows:
                return
            yield from rows
            last = rows[-1].id
            self.session.expunge_all()

    def verify(self) -> AuditVerification:
        expected_id, expected_prev, count = 1, GENESIS, 0
        head = self.session.get(AuditHeadRow, 1)
        head_id, head_hash = (head.last_id, head.last_hash) if head else (0, GENESIS)
        for row in self._walk():
            count += 1
            if row.id != expected_id:
                return AuditVerification(False, count, expected_id,
                                         f"audit entry {expected_id} is missing (deleted); "
                                         f"the chain jumps to entry {row.id}")
            if row.prev_hash != expected_prev:
                return AuditVerification(False, count, row.id,
                                         f"{_describe(row)} does not link to the entry before it")
            recomputed = entry_hash(row.id, row.ts, row.actor, row.action, row.subject,
                                    row.payload, row.prev_hash)
            if recomputed != row.hash:
                return AuditVerification(False, count, row.id,
                                         f"{_describe(row)} was changed after it was written "
                                         "(its hash no longer matches its content)")
            expected_id, expected_prev = row.id + 1, row.hash
        if expected_id - 1 != head_id or expected_prev != head_hash:
            last = expected_id - 1
            return AuditVerification(False, count, last + 1 if head_id > last else head_id,
                                     f"the chain ends at entry {last} but its head records entry "
                                     f"{head_id}: entries were deleted or the head was altered")
        return AuditVerification(True, count)


class ChangesRepo(Repo):
    def latest_id(self) -> int:
        return int(self.session.scalar(select(func.max(ChangeRow.id))) or 0)

    def since(self, last_id: int, *, topics: tuple[str, ...] | None = None,
              limit: int = 1000) -> list[Change]:
        query = select(ChangeRow).where(ChangeRow.id > last_id)
        if topics:
            query = query.where(ChangeRow.topic.in_(topics))
        rows = self.session.scalars(query.order_by(ChangeRow.id).limit(limit))
        return [to_entity(Change, r) for r in rows]


__all__ = ["AuditRepo", "ChangesRepo", "GENESIS", "entry_hash", "loads"]
