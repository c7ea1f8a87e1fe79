"""The tamper-evident audit trail (a hash chain: entry *n* stores the hash of entry *n−1*, 64
zeros for the first) and the change feed."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import func, select, text

from workbench.store.clock import now_ms
from workbench.store.entities import AuditEntry, AuditVerification, Change
from workbench.store.repos.base import Repo, dumps, loads, to_entity
from workbench.store.schema import (
    AuditHeadRow,
    AuditRow,
    AuditSignatureRow,
    ChangeRow,
    PersonKeyRow,
)

GENESIS = "0" * 64


def entry_hash(id_: int, ts: int, actor: str, action: str, subject: str, payload: str,
               prev_hash: str) -> str:
    """The hash of an audit entry in the first scheme: sha256 over the canonical JSON of (id,
    time, actor, action, subject, payload, prev_hash)."""
    content = dumps([id_, ts, actor, action, subject, payload, prev_hash])
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def entry_hash_v2(id_: int, ts: int, actor: str, action: str, subject: str, payload: str,
                  prev_hash: str) -> str:
    """The hash of an audit entry in the second scheme (``hash_version`` 2, every entry written
    since signatures came): the fields length-prefixed, so that PostgreSQL computes the same
    digest; there entries are written only by the ``wb_audit_append`` function, which stamps the
    login and the server's clock (``store.pg_security``)."""
    parts = (str(id_), str(ts), actor, action, subject, payload, prev_hash)
    content = "".join(f"{len(p)}:{p}\n" for p in parts)
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def row_hash(row: Any) -> str:
    """The hash of an audit row in the scheme it was written with."""
    scheme = entry_hash_v2 if getattr(row, "hash_version", 1) == 2 else entry_hash
    return scheme(row.id, row.ts, row.actor, row.action, row.subject, row.payload, row.prev_hash)


def _record(row: AuditRow, key_id: str | None, signature: str | None) -> dict[str, Any]:
    """An entry as the verifier reads it (``governance.audit_verify.EntryRecord``'s fields)."""
    return {"id": row.id, "ts": row.ts, "actor": row.actor, "action": row.action, "subject": row.subject,
            "payload_text": row.payload, "prev_hash": row.prev_hash, "hash": row.hash,
            "hash_version": row.hash_version, "key_id": key_id, "signature": signature}


def _describe(row: AuditRow) -> str:
    return f"audit entry {row.id} ({row.action} by {row.actor} at {row.ts})"


class AuditRepo(Repo):
    def __init__(self, uow: Any):
        super().__init__(uow)
        self._registered: set[str] = set()

    def append(self, action: str, subject: str, payload: dict[str, Any] | None = None) -> AuditEntry:
        """Append an entry to the audit chain as the unit of work's actor. It runs in the serial
        section, takes id = last id + 1 and moves the head row (``audit_head``) in the same
        transaction. On the embedded store the payload says ``"identity": "asserted"`` (nothing
        proves who wrote it); when the store has a signer (``Store.enable_signing``) the entry
        is signed with its actor's registered key right after it is written."""
        actor = self.actor
        key = self._signing_key(actor)
        content = dict(payload or {})
        if self.uow.dialect == "sqlite":
            content.setdefault("identity", "asserted")
        text_ = dumps(content)
        if self.uow.dialect == "postgresql":
            new_id, ts, actor, prev, digest = self.session.execute(
                text("SELECT * FROM wb_audit_append(:action, :subject, :payload, :actor)"),
                {"action": action, "subject": subject, "payload": text_, "actor": actor}).one()
        else:
            self.uow.serialise()
            head = self.session.get(AuditHeadRow, 1)
            last_id, prev = (head.last_id, head.last_hash) if head else (0, GENESIS)
            ts, new_id = now_ms(), last_id + 1
            digest = entry_hash_v2(new_id, ts, actor, action, subject, text_, prev)
            self.session.add(AuditRow(id=new_id, ts=ts, actor=actor, action=action, subject=subject,
                                      payload=text_, prev_hash=prev, hash=digest, hash_version=2))
            if head is None:
                self.session.add(AuditHeadRow(singleton=1, last_id=new_id, last_hash=digest))
            else:
                head.last_id, head.last_hash = new_id, digest
            self.session.flush()
        if key is not None:
            self._sign(new_id, key, key.sign_entry(digest))
        self.uow.record_change("audit", new_id, action)
        return AuditEntry(id=new_id, ts=ts, actor=actor, action=action, subject=subject,
                          payload=content, prev_hash=prev, hash=digest)

    # -- signatures and keys ----------------------------------------------------------------
    def _signing_key(self, actor: str) -> Any:
        """The actor's key when this store signs, registered in the store first (checked once
        per unit of work: a registration rolled back with its transaction is made again)."""
        signer = self.uow.store.signer
        if signer is None:
            return None
        key = signer.key_for(actor)
        if key is None or key.key_id in self._registered:
            return key
        self._registered.add(key.key_id)  # before the entry below, which it signs
        if self.session.scalar(select(PersonKeyRow.person).where(PersonKeyRow.key_id == key.key_id)) is None:
            if self.uow.dialect == "postgresql":
                self.session.execute(text("SELECT wb_register_key(:p, :k, :pub)"),
                                     {"p": actor, "k": key.key_id, "pub": key.public_key})
            else:
                self.session.add(PersonKeyRow(person=actor, key_id=key.key_id, public_key=key.public_key,
                                              registered_at=now_ms()))
                self.session.flush()
            self.append("keys.register", f"user:{actor}", {"key_id": key.key_id, "public_key": key.public_key})
        return key

    def _sign(self, entry_id: int, key: Any, signature: str) -> None:
        if self.uow.dialect == "postgresql":
            self.session.execute(text("SELECT wb_audit_sign(:e, :k, :s)"),
                                 {"e": entry_id, "k": key.key_id, "s": signature})
        else:
            self.session.add(AuditSignatureRow(entry_id=entry_id, key_id=key.key_id, signature=signature))
            self.session.flush()

    def public_keys(self) -> list[dict[str, Any]]:
        """Every registered public key: person, key id, key and when it was registered."""
        rows = self.session.scalars(select(PersonKeyRow).order_by(PersonKeyRow.id))
        return [{"person": r.person, "key_id": r.key_id, "public_key": r.public_key,
                 "registered_at": r.registered_at} for r in rows]

    def head(self) -> tuple[int, str] | None:
        """(last id, last hash) of the chain; None when it is empty."""
        head = self.session.get(AuditHeadRow, 1)
        return None if head is None else (head.last_id, head.last_hash)

    def records(self, batch: int = 5000) -> Iterator[dict[str, Any]]:
        """Every entry with its signature (if any), in id order, a batch at a time."""
        last = 0
        while True:
            rows = self.session.execute(
                select(AuditRow, AuditSignatureRow.key_id, AuditSignatureRow.signature)
                .outerjoin(AuditSignatureRow, AuditSignatureRow.entry_id == AuditRow.id)
                .where(AuditRow.id > last).order_by(AuditRow.id).limit(batch)).all()
            if not rows:
                return
            for row, key_id, signature in rows:
                yield _record(row, key_id, signature)
            last = rows[-1][0].id
            self.session.expunge_all()

    def decision_record(self, request_id: int) -> dict[str, Any] | None:
        """The newest audit entry that recorded a decision on approval ``request_id``, as a
        record with its signature (see ``records``), or None."""
        row = self.session.execute(
            select(AuditRow, AuditSignatureRow.key_id, AuditSignatureRow.signature)
            .outerjoin(AuditSignatureRow, AuditSignatureRow.entry_id == AuditRow.id)
            .where(AuditRow.subject == f"approval:{request_id}",
                   AuditRow.action.in_(("approvals.approve", "approvals.reject")))
            .order_by(AuditRow.id.desc()).limit(1)).first()
        if row is None:
            return None
        return _record(*row)

    def hash_of(self, entry_id: int) -> str | None:
        """The hash of the entry ``entry_id``; None when there is none."""
        return self.session.scalar(select(AuditRow.hash).where(AuditRow.id == entry_id))

    def count(self) -> int:
        """How many entries the chain holds."""
        return int(self.session.scalar(select(func.count()).select_from(AuditRow)) or 0)

    def all(self, *, subject: str | None = None, since_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Entries after ``since_id``, oldest first (about ``subject`` when given)."""
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
        """Walk the whole chain, recompute every hash and compare the end with the head, so a
        changed payload, a deleted or inserted row and deleted newest entries are all caught and
        the first broken entry is named (signatures: ``governance.audit_verify``)."""
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
            if row_hash(row) != row.hash:
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
        """The id of the newest change-feed event (0 when none)."""
        return int(self.session.scalar(select(func.max(ChangeRow.id))) or 0)

    def since(self, last_id: int, *, topics: tuple[str, ...] | None = None,
              limit: int = 1000) -> list[Change]:
        """Change-feed events after ``last_id``, oldest first (of these topics when given). Ids are
        monotonic and committed in order, so a reader that remembers the last id it saw never
        misses one."""
        query = select(ChangeRow).where(ChangeRow.id > last_id)
        if topics:
            query = query.where(ChangeRow.topic.in_(topics))
        rows = self.session.scalars(query.order_by(ChangeRow.id).limit(limit))
        return [to_entity(Change, r) for r in rows]


__all__ = ["AuditRepo", "ChangesRepo", "GENESIS", "entry_hash", "entry_hash_v2", "loads", "row_hash"]
