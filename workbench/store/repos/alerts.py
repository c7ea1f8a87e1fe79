"""Monitoring alerts: raised by nodes (drift, divergence), acknowledged by people."""

from __future__ import annotations

from sqlalchemy import select

from workbench.store.db import now_ms
from workbench.store.entities import Alert
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, to_entity
from workbench.store.schema import AlertRow


class AlertsRepo(Repo):
    def raise_alert(self, source: str, kind: str, message: str, run_id: int | None = None) -> Alert:
        row = AlertRow(source=source, kind=kind, message=message, run_id=run_id, status="open",
                       created_at=now_ms(), acknowledged_by="")
        self.session.add(row)
        self.session.flush()
        self.audit("alerts.raise", f"alert:{row.id}", {"source": source, "kind": kind, "message": message})
        self.uow.record_change("alerts", row.id, "raised")
        return to_entity(Alert, row)

    def list(self, *, status: str | None = None, source: str | None = None, since_id: int = 0) -> list[Alert]:
        query = select(AlertRow).where(AlertRow.id > since_id)
        if status:
            query = query.where(AlertRow.status == status)
        if source:
            query = query.where(AlertRow.source == source)
        return [to_entity(Alert, r) for r in self.session.scalars(query.order_by(AlertRow.id))]

    def acknowledge(self, alert_id: int) -> Alert:
        row = self.session.get(AlertRow, alert_id)
        if row is None:
            raise NotFoundError(f"no alert with id {alert_id}")
        if row.status != "open":
            raise ConflictError(f"alert {alert_id} is {row.status}, not open")
        row.status, row.acknowledged_by, row.acknowledged_at = "acknowledged", self.actor, now_ms()
        self.session.flush()
        self.audit("alerts.acknowledge", f"alert:{alert_id}", {})
        self.uow.record_change("alerts", alert_id, "acknowledged")
        return to_entity(Alert, row)
