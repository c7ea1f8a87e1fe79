"""Checking the audit trail and reading it; ``export`` writes a bundle that ``verify_bundle``
checks with no store at all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from workbench.governance.audit_verify import (
    ChainReport,
    DecisionRecord,
    EntryRecord,
    KeyRecord,
    verify_chain,
)
from workbench.store import Store
from workbench.store.entities import AuditEntry

ASSERTED_MARK = '"identity":"asserted"'


def is_asserted(entry: EntryRecord) -> bool:
    """Written on the embedded store, where nothing proves who wrote it."""
    return ASSERTED_MARK in entry.payload_text


def _entries(uow: Any) -> Iterator[EntryRecord]:
    for record in uow.audit.records():
        yield EntryRecord(**record)


def _material(uow: Any) -> tuple[list[KeyRecord], tuple[int, str] | None, list[DecisionRecord]]:
    keys = [KeyRecord(**k) for k in uow.audit.public_keys()]
    decisions = [DecisionRecord(**d) for d in uow.approvals.decision_rows()]
    return keys, uow.audit.head(), decisions


def verify(store: Store, *, remember: bool = True) -> ChainReport:
    """The chain checked in full (``governance.audit_verify``): links, hashes, each entry's
    signature by a key registered for its actor, the head, and every approval decision against
    the audit entry that recorded it. With ``remember`` also against what this machine saw when
    it last verified the same store (``governance.known_heads``), so a replaced key or a
    rewritten past is reported even when the store is consistent with itself; that memory moves
    forward when all is well."""
    from dataclasses import replace

    with store.read() as uow:
        keys, head, decisions = _material(uow)
        report = verify_chain(_entries(uow), keys, head, decisions, asserted=is_asserted)
        if not remember or not report.ok:
            return report
        from workbench.governance.known_heads import check_and_remember

        checked = check_and_remember(store.store_id(), report.head, uow.audit.hash_of, keys)
    notes = report.notes + tuple(checked.notes)
    if checked:  # the problems: a rewritten past or a replaced key
        return replace(report, ok=False, problem="; ".join(checked), notes=notes)
    return replace(report, notes=notes)


def export(store: Store, path: Path, *, exported_by: str | None = None) -> ChainReport:
    """Write the audit bundle (entries, public keys, decisions, head) to ``path``; returns the
    verification of what was written. The exporter's registered key, when this machine holds
    it, signs the bundle, so that even its newest entries cannot be cut off unnoticed."""
    from workbench.governance.audit_bundle import verify_bundle, write_bundle

    with store.read() as uow:
        keys, head, decisions = _material(uow)
        signer = None
        if exported_by:
            from workbench.governance.signing import load_or_create

            key, created = load_or_create(store.store_id(), exported_by)
            if not created and any(k.key_id == key.key_id and k.person == exported_by for k in keys):
                signer = key
        write_bundle(path, store.display_url, _entries(uow), keys, head, decisions,
                     signer=signer, exported_by=exported_by if signer else None)
    return verify_bundle(path)


def entries(store: Store, *, subject: str | None = None, since_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
    """Audit entries, oldest first: those about ``subject`` (all when None) after ``since_id``."""
    with store.read() as uow:
        return uow.audit.all(subject=subject, since_id=since_id, limit=limit)
