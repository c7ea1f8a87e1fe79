"""Who is acting: the named user must exist in the store; their roles come from there
(store-wide roles, and with a project the roles held in that project only)."""

from __future__ import annotations

from workbench.errors import PermissionDeniedError
from workbench.governance.permissions import require
from workbench.store import UnitOfWork
from workbench.store.entities import Project, User


def acting(uow: UnitOfWork, name: str) -> User:
    """The user ``name`` of this store; refused (with how to add one) when there is none.

    On PostgreSQL a role counts only when the database agrees: the person's login is a member of
    the role's group (which only the trigger on ``user_roles`` grants), so a role row written
    around that path — with the triggers switched off — grants nothing.
    """
    user = uow.users.find(name)
    if user is None:
        raise PermissionDeniedError(
            f"{name!r} is not a user of the store {uow.store.display_url}",
            hint="an admin adds users with 'workbench users add NAME --role ROLE'; "
            "choose who you act as with --user or $WORKBENCH_USER",
        )
    if user.disabled_at is not None:
        raise PermissionDeniedError(f"{name!r} was removed from the store {uow.store.display_url}",
                                    hint="an admin adds them again with 'workbench users add'")
    if uow.dialect == "postgresql" and user.roles:
        from dataclasses import replace

        from sqlalchemy import text

        held = uow.session.execute(text(
            "SELECT r FROM unnest(CAST(:roles AS text[])) AS r "
            "WHERE pg_has_role(:name, current_database() || '_' || r, 'MEMBER')"),
            {"roles": list(user.roles), "name": user.name}).scalars().all()
        if set(held) != set(user.roles):
            user = replace(user, roles=tuple(r for r in user.roles if r in held))
    return user


def authorise(uow: UnitOfWork, name: str, action: str, project: Project | str | None = None) -> User:
    """The acting user, after checking they may perform ``action``; given a ``project`` (or its
    name), with the roles they hold there (store-wide roles hold in every project), which the
    returned user carries."""
    user = acting(uow, name)
    if project is None:
        require(user.name, user.roles, action)
        return user
    from dataclasses import replace

    where = uow.projects.get(project) if isinstance(project, str) else project
    roles = uow.users.roles_in(user, where.id)
    require(user.name, roles, action, project=where.name)
    return replace(user, roles=roles)


def project_of(uow: UnitOfWork, name: str | None) -> Project:
    """The project named ``name`` (the default project when None); a clear error when the
    store has no such project."""
    return uow.projects.get(name or uow.projects.DEFAULT)
