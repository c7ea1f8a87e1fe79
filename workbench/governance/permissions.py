"""Roles and what each may do. The services layer asks here once per use case.

Roles: ``scientist``, ``engineer``, ``analyst`` (read-only business view), ``operator``,
``approver`` (the risk officer) and ``admin`` (users and roles). Reading is open to every
known user; each action below lists the roles that may perform it.

Roles are held in the whole store or in one project (a risk officer for credit models need
not be one for marketing models): an action on a thing of a project counts the roles held in
that project too, and a refusal names the project.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.errors import PermissionDeniedError
from workbench.store.states import Role

ROLE_TITLES: dict[str, str] = {
    Role.SCIENTIST: "data scientist",
    Role.ENGINEER: "data/ML engineer",
    Role.ANALYST: "business analyst",
    Role.OPERATOR: "operator",
    Role.APPROVER: "risk officer",
    Role.ADMIN: "administrator",
}

PERMISSIONS: dict[str, frozenset[str]] = {
    "users.manage": frozenset({"admin"}),
    "graphs.save": frozenset({"scientist", "engineer"}),
    "runs.start": frozenset({"scientist", "engineer"}),
    "runs.cancel": frozenset({"scientist", "engineer", "operator"}),
    "models.promote": frozenset({"engineer", "approver"}),
    "models.serve": frozenset({"engineer", "scientist", "operator"}),
    "serve.tokens": frozenset({"engineer", "admin"}),
    "code.folders": frozenset({"engineer", "admin"}),
    "approvals.decide": frozenset({"approver"}),
    "targets.manage": frozenset({"engineer", "admin"}),
    "kpis.import": frozenset({"engineer", "operator", "admin"}),
    "alerts.acknowledge": frozenset({"operator", "engineer"}),
    "comments.add": frozenset({"scientist", "engineer", "operator", "approver", "admin"}),
}


def allowed(roles: Iterable[str], action: str) -> bool:
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    return bool(PERMISSIONS[action] & set(roles))


# how a refusal names an action whose id does not read as words
ACTION_WORDS: dict[str, str] = {
    "serve.tokens": "make or revoke serve tokens",
    "code.folders": "declare or remove code folders",
    "approvals.decide": "decide approval requests",
    "graphs.save": "save graphs",
    "runs.start": "start runs",
    "runs.cancel": "cancel runs",
    "models.promote": "promote models",
    "kpis.import": "import KPIs",
    "alerts.acknowledge": "acknowledge alerts",
    "users.manage": "manage users and projects",
}


def require(user_name: str, roles: Iterable[str], action: str, *, project: str | None = None) -> None:
    """Refuse ``action`` unless ``roles`` allow it; ``roles`` are those held where the action
    happens (in ``project``, when it names one)."""
    roles = tuple(roles)
    if allowed(roles, action):
        return
    needed = " or ".join(r for r in ROLE_TITLES if r in PERMISSIONS[action])
    doing = ACTION_WORDS.get(action, action.replace(".", " "))
    if project is None:
        held = ", ".join(roles) or "no roles"
        raise PermissionDeniedError(
            f"{user_name!r} may not {doing}: it needs the role {needed} "
            f"(they hold {held})",
            hint="an admin grants roles with 'workbench users add/roles'",
        )
    held = ", ".join(roles) or "no roles there"
    raise PermissionDeniedError(
        f"{user_name!r} may not {doing} in project {project!r}: it needs the role {needed} "
        f"there (they hold {held})",
        hint=f"an admin grants a role in one project with 'workbench users grant {user_name} ROLE "
             f"--project {project}', or in every project with 'workbench users roles'",
    )
