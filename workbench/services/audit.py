"""Checking the audit chain and reading it."""

from __future__ import annotations

from workbench.store import Store
from workbench.store.entities import AuditEntry, AuditVerification


def verify(store: Store) -> AuditVerification:
    with store.read() as uow:
        return uow.audit.verify()


def entries(store: Store, *, subject: str | None = None, since_id: int = 0, limit: int = 1000) -> list[AuditEntry]:
    with store.read() as uow:
        return uow.audit.list(subject=subject, since_id=since_id, limit=limit)
