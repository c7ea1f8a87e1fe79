"""The model registry and approvals, for the signed-in user (roles count in the project the
model or request belongs to; see docs/architecture.md, "Rules every service keeps")."""

from __future__ import annotations

from workbench.errors import InvalidInputError, PermissionDeniedError
from workbench.services.identity import acting, authorise, project_of
from workbench.store import Store
from workbench.store.entities import AliasMove, ApprovalRequest, ModelVersion


def list_models(store: Store, actor: str, name: str | None = None, *,
                project: str | None = None) -> list[ModelVersion]:
    """Registered model versions, of one model when ``name`` is given."""
    with store.read() as uow:
        acting(uow, actor)
        project_id = None if project is None else project_of(uow, project).id
        return uow.models.all(name, project_id=project_id)


def promote(store: Store, actor: str, name: str, version: int, alias: str) -> AliasMove:
    """Move ``alias`` to a version (``models.promote``: engineer or approver, in the model's project).

    ``champion`` (what production serves) only for a version a risk officer approved — engineers
    included (on PostgreSQL the database checks it too). The move is audited in the same transaction.
    """
    from workbench.governance.decision_trust import approved, champion_refusal

    with store.write(actor) as uow:
        authorise(uow, actor, "models.promote", uow.projects.by_id(uow.models.get(name, version).project_id))
        if alias == "champion" and not approved(uow, uow.models.get(name, version).id):
            raise PermissionDeniedError(champion_refusal(name, version))
        return uow.models.set_alias(name, version, alias)


def gate_role_of(request: ApprovalRequest) -> str:
    """The role the request's approval gate names (``approver_role``); ``approver`` for
    requests made before gates recorded it."""
    return str(request.evidence.get("approver_role") or "approver")


def list_approvals(store: Store, actor: str, status: str | None = None, *,
                   project: str | None = None) -> list[ApprovalRequest]:
    """Approval requests (of one status when given), after expiring those past their deadline."""
    with store.write(actor) as uow:
        acting(uow, actor)
        uow.approvals.expire_due()
    with store.read() as uow:
        project_id = None if project is None else project_of(uow, project).id
        return uow.approvals.all(status=status, project_id=project_id)


def decide(store: Store, actor: str, request_id: int, decision: str, reason: str) -> ApprovalRequest:
    """Approve or reject a request (``approvals.decide``, in the request's project) with a reason.

    The requester never decides their own, and the decider must hold the role the gate names. The
    decision is audited in the same transaction.
    """
    if not reason or not reason.strip():
        raise InvalidInputError(f"approval request {request_id}: a decision needs a reason (--reason TEXT)")
    with store.write(actor) as uow:
        request = uow.approvals.get(request_id)
        project = uow.projects.by_id(request.project_id)
        user = authorise(uow, actor, "approvals.decide", project)
        if request.requested_by == user.name:
            raise PermissionDeniedError(
                f"{user.name!r} requested approval {request_id} and may not decide it",
                hint="another user with the approver role must decide")
        gate_role = gate_role_of(request)
        if gate_role not in user.roles:
            raise PermissionDeniedError(
                f"approval {request_id} is decided by the role {gate_role} (its gate's approver_role); "
                f"{user.name!r} holds {', '.join(user.roles)} in project {project.name!r}", hint="an admin grants the role, or ask one who holds it")
        return uow.approvals.decide(request_id, decision, reason)
