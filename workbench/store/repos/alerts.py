"""Monitoring alerts: raised by nodes (drift, divergence), acknowledged by people. An alert is
one *episode* of a condition, the triple (source, kind, condition)."""

from __future__ import annotations

import re

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from workbench.store.clock import now_ms
from workbench.store.entities import Alert
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, to_entity
from workbench.store.schema import AlertRow

CONDITION_LENGTH = 500
_PARENTHESISED = re.compile(r"\s*\([^()]*\)")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?(?![\w])")


def condition_of(message: str) -> str:
    """The condition a message reports: numbers become ``#``, parenthesised parts go."""
    masked = _NUMBER.sub("#", _PARENTHESISED.sub("", message))
    return " ".join(masked.split())[:CONDITION_LENGTH]


class AlertsRepo(Repo):
    def _holding(self, source: str, kind: str, condition: str) -> AlertRow | None:
        return self.session.scalar(select(AlertRow).where(
            AlertRow.source == source, AlertRow.kind == kind, AlertRow.condition == condition,
            AlertRow.cleared_at.is_(None)))

    def raise_alert(self, source: str, kind: str, message: str, run_id: int | None = None, *,
                    condition: str | None = None, at: int | None = None) -> Alert:
        """Open a new episode of the condition, or bump the one that still holds.

        The condition is what the caller names, or else the message with its numbers and
        parenthesised parts masked (``condition_of``), so "window 2: psi 0.31" and "window 3:
        psi 0.29" are one condition. While it holds (``cleared_at`` is null) raising it again
        adds no row: the holding alert's ``count`` and ``last_seen_at`` go up (its status stays
        what people made it). A partial unique index on holding episodes keeps two writers
        (SQLite or PostgreSQL) from opening one twice: the loser of that race bumps the
        winner's row."""
        condition = (condition or condition_of(message))[:CONDITION_LENGTH]
        seen = now_ms() if at is None else int(at)
        row = self._holding(source, kind, condition)
        if row is None:
            row = AlertRow(source=source, kind=kind, message=message, run_id=run_id, status="open",
                           created_at=seen, last_seen_at=seen, count=1, condition=condition,
                           acknowledged_by="")
            try:
                with self.session.begin_nested():
                    self.session.add(row)
            except IntegrityError:  # another writer opened this episode first: count on theirs
                row = self._holding(source, kind, condition)
                if row is None:
                    raise
            else:
                self.audit("alerts.raise", f"alert:{row.id}", {"source": source, "kind": kind, "message": message})
                self.uow.record_change("alerts", row.id, "raised")
                self.uow.notifications.notify(self.uow.notifications.holders_of("operator"), "alert",
                                              f"alert:{row.id}", f"{kind} alert on {source}: {message[:200]}",
                                              to_actor=True)
                return to_entity(Alert, row)
        self.session.execute(update(AlertRow).where(AlertRow.id == row.id).values(
            count=AlertRow.count + 1, last_seen_at=seen, message=message))
        self.session.refresh(row)
        self.uow.record_change("alerts", row.id, "repeated")
        return to_entity(Alert, row)

    def clear(self, source: str, kind: str | None = None, condition: str | None = None,
              at: int | None = None) -> list[int]:
        """The condition(s) no longer hold: end their episodes (only a raise after this opens a
        new row); returns the alerts' ids."""
        query = select(AlertRow).where(AlertRow.source == source, AlertRow.cleared_at.is_(None))
        if kind is not None:
            query = query.where(AlertRow.kind == kind)
        if condition is not None:
            query = query.where(AlertRow.condition == condition)
        rows = self.session.scalars(query).all()
        when = now_ms() if at is None else int(at)
        for row in rows:
            row.cleared_at = max(when, row.last_seen_at)
            self.uow.record_change("alerts", row.id, "cleared")
        self.session.flush()
        return [r.id for r in rows]

    def all(self, *, status: str | None = None, source: str | None = None, since_id: int = 0,
            project_id: int | None = None) -> list[Alert]:
        """Alerts after ``since_id``, of one status, source and project when given (an alert
        belongs to its run's project; one raised outside a run to the default project)."""
        query = select(AlertRow).where(AlertRow.id > since_id)
        if status:
            query = query.where(AlertRow.status == status)
        if source:
            query = query.where(AlertRow.source == source)
        if project_id is not None:
            from sqlalchemy import func

            from workbench.store.schema import RunRow

            default = self.uow.projects.find(self.uow.projects.DEFAULT)
            query = query.outerjoin(RunRow, RunRow.id == AlertRow.run_id).where(
                func.coalesce(RunRow.project_id, default.id if default is not None else -1) == project_id)
        return [to_entity(Alert, r) for r in self.session.scalars(query.order_by(AlertRow.id))]

    def project_of(self, alert_id: int) -> int:
        """The id of the project an alert belongs to (its run's; else the default project's)."""
        row = self.session.get(AlertRow, alert_id)
        if row is None:
            raise NotFoundError(f"no alert with id {alert_id}", hint="'workbench alerts list' shows them")
        return self.uow.projects.of_run(row.run_id)

    def acknowledge(self, alert_id: int) -> Alert:
        """Acknowledge an open alert (audited); refuses one that is not open."""
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
