"""Approval requests and the decisions on them; the store records who decided, the services
(and on PostgreSQL the database, ``store.pg_security``) check who may."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from workbench.store.clock import now_ms
from workbench.store.entities import ApprovalDecision, ApprovalRequest
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, dumps, to_entity
from workbench.store.schema import ApprovalDecisionRow, ApprovalRequestRow


class ApprovalsRepo(Repo):
    def _entity(self, row: ApprovalRequestRow) -> ApprovalRequest:
        decision_row = self.session.scalar(
            select(ApprovalDecisionRow).where(ApprovalDecisionRow.request_id == row.id))
        decision = None if decision_row is None else to_entity(ApprovalDecision, decision_row)
        return to_entity(ApprovalRequest, row, json_fields=("evidence",), decision=decision)

    def request(self, *, model_version_id: int | None, run_id: int | None, node_id: str = "",
                evidence: dict[str, Any] | None = None, expires_at: int | None = None) -> ApprovalRequest:
        """Open a request in the run's (else the model's) project, audited, and notify the holders
        of the gate's ``approver_role`` there."""
        project_id = self.uow.projects.of_run(run_id) if run_id is not None or model_version_id is None \
            else self.uow.models.get_by_id(model_version_id).project_id
        row = ApprovalRequestRow(project_id=project_id, model_version_id=model_version_id, run_id=run_id,
                                 node_id=node_id,
                                 status="open", requested_by=self.actor, created_at=now_ms(),
                                 expires_at=expires_at, evidence=dumps(evidence or {}))
        self.session.add(row)
        self.session.flush()
        self.audit("approvals.request", f"approval:{row.id}",
                   {"model_version_id": model_version_id, "run_id": run_id, "node_id": node_id})
        self.uow.record_change("approvals", row.id, "requested")
        role = str((evidence or {}).get("approver_role") or "approver")
        model = (evidence or {}).get("model") or {}
        what = (f"model {model.get('name')} version {model.get('version')}" if model.get("name")
                else f"run {run_id}" if run_id is not None else "a decision")
        self.uow.notifications.notify(self.uow.notifications.holders_of(role, project_id=project_id), "approval",
                                      f"approval:{row.id}",
                                      f"approval requested for {what} (request {row.id}, by {self.actor})")
        return self._entity(row)

    def get(self, request_id: int) -> ApprovalRequest:
        """The request ``request_id`` with its decision, if any; ``NotFoundError`` when there is none."""
        row = self.session.get(ApprovalRequestRow, request_id)
        if row is None:
            raise NotFoundError(f"no approval request with id {request_id}",
                                hint="'workbench approvals list' shows the open ones")
        return self._entity(row)

    def all(self, *, status: str | None = None, project_id: int | None = None) -> list[ApprovalRequest]:
        """Requests in id order, of one status and one project when given."""
        query = select(ApprovalRequestRow)
        if status:
            query = query.where(ApprovalRequestRow.status == status)
        if project_id is not None:
            query = query.where(ApprovalRequestRow.project_id == project_id)
        return [self._entity(r) for r in self.session.scalars(query.order_by(ApprovalRequestRow.id))]

    def expire_due(self, now: int | None = None) -> list[int]:
        """Mark open requests past their expiry as expired; returns their ids."""
        now = now_ms() if now is None else now
        rows = self.session.scalars(select(ApprovalRequestRow).where(
            ApprovalRequestRow.status == "open", ApprovalRequestRow.expires_at.is_not(None),
            ApprovalRequestRow.expires_at <= now)).all()
        for row in rows:
            row.status = "expired"
            self.audit("approvals.expire", f"approval:{row.id}", {"expires_at": row.expires_at})
            self.uow.record_change("approvals", row.id, "expired")
        self.session.flush()
        return [r.id for r in rows]

    def decide(self, request_id: int, decision: str, reason: str) -> ApprovalRequest:
        """Record ``approved`` or ``rejected`` by the actor, audited; returns the request.

        Needs a non-empty reason (the database checks it too) and an open request that has not
        expired, so a request is decided once. Who may decide is the services' check.
        """
        if decision not in ("approved", "rejected"):
            raise ConflictError(f"a decision is 'approved' or 'rejected', not {decision!r}")
        if not reason.strip():
            raise ConflictError(f"approval request {request_id}: a decision needs a reason")
        row = self.session.get(ApprovalRequestRow, request_id,
                               with_for_update=self.uow.dialect == "postgresql")
        if row is None:
            raise NotFoundError(f"no approval request with id {request_id}")
        if row.expires_at is not None and row.status == "open" and row.expires_at <= now_ms():
            row.status = "expired"
            self.session.flush()
        if row.status != "open":
            raise ConflictError(f"approval request {request_id} is {row.status}, not open")
        # the decision first: on PostgreSQL a request becomes approved only with its decision row
        self.session.add(ApprovalDecisionRow(request_id=request_id, decision=decision, reason=reason.strip(),
                                             decided_by=self.actor, decided_at=now_ms()))
        self.session.flush()
        row.status = decision
        self.session.flush()
        self.audit("approvals.approve" if decision == "approved" else "approvals.reject",
                   f"approval:{request_id}",
                   {"decision": decision, "reason": reason.strip(),
                    "model_version_id": row.model_version_id, "run_id": row.run_id})
        self.uow.record_change("approvals", request_id, decision)
        return self._entity(row)

    def decision_rows(self) -> list[dict[str, Any]]:
        """Every decision as recorded in ``approval_decisions`` (the verifier compares each with
        the audit entry that recorded it)."""
        rows = self.session.scalars(select(ApprovalDecisionRow).order_by(ApprovalDecisionRow.request_id))
        return [{"request_id": r.request_id, "decision": r.decision, "reason": r.reason,
                 "decided_by": r.decided_by} for r in rows]
