"""Projects for the signed-in person: the projects of the store, which of them a person works
in, and (admins only) adding and removing projects and granting and revoking roles held in one
project. A role held in the whole store holds in every project; every change is audited.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass

from workbench.services.identity import acting, authorise
from workbench.store import Store
from workbench.store.entities import Project

DEFAULT_PROJECT = "default"


def chosen_project(explicit: str | None) -> str:
    """The project a person works in: ``--project``, else ``$WORKBENCH_PROJECT``, else "default"."""
    return (explicit or os.environ.get("WORKBENCH_PROJECT") or DEFAULT_PROJECT).strip() or DEFAULT_PROJECT


@dataclass(frozen=True)
class ProjectRoles:
    """One person's roles: those held in every project, and those held in single projects."""

    name: str
    everywhere: tuple[str, ...]
    projects: dict[str, tuple[str, ...]]

    def in_project(self, project: str) -> tuple[str, ...]:
        """The roles that count in ``project``."""
        return tuple(sorted(set(self.everywhere) | set(self.projects.get(project, ()))))


def list_projects(store: Store, actor: str) -> list[Project]:
    """Every project of the store (anyone known to the store may list them)."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.projects.all()


def get_project(store: Store, actor: str, name: str) -> Project:
    """The project ``name``; a clear error naming the store's projects when there is none."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.projects.get(name)


def my_projects(store: Store, actor: str) -> list[Project]:
    """The projects ``actor`` holds a role in (every project when they hold a store-wide role)."""
    with store.read() as uow:
        user = acting(uow, actor)
        projects = uow.projects.all()
        if user.roles:
            return projects
        held = uow.users.project_roles(user.name)
        return [p for p in projects if p.name in held]


def window_roles(store: Store, user: str, project: str) -> tuple[str, tuple[str, ...]]:
    """The project the desktop opens (``project``, or "default" when the store lacks it) and
    the roles it shows ``user`` there (store-wide and that project's; none for a name the store
    does not know, which the window says)."""
    with store.read() as uow:
        where = uow.projects.find(project) or uow.projects.find(DEFAULT_PROJECT)
        found = uow.users.find(user)
        name = where.name if where is not None else DEFAULT_PROJECT
        if found is None:
            return name, ()
        return name, (uow.users.roles_in(found, where.id) if where is not None else found.roles)


def roles_of(store: Store, actor: str, name: str | None = None) -> ProjectRoles:
    """``name``'s roles (the actor's when None), in every project and per project."""
    with store.read() as uow:
        acting(uow, actor)
        user = uow.users.get(name or actor)
        return ProjectRoles(user.name, user.roles, uow.users.project_roles(user.name))


def add_project(store: Store, actor: str, name: str, description: str = "") -> Project:
    """Add a project (``users.manage``: admins)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        return uow.projects.add(name, description)


def remove_project(store: Store, actor: str, name: str) -> Project:
    """Remove an empty project and the roles held in it (``users.manage``: admins)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        return uow.projects.remove(name)


def grant(store: Store, actor: str, name: str, project: str, roles: Iterable[str]) -> ProjectRoles:
    """Give ``name`` roles that hold in ``project`` only (``users.manage``: admins)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        held = uow.users.grant_in(name, project, roles)
        return ProjectRoles(name, uow.users.get(name).roles, held)


def add_person(store: Store, actor: str, name: str, project: str, roles: Iterable[str], display_name: str = "",
               *, password: str | None = None) -> ProjectRoles:
    """Add a person whose roles hold in ``project`` only, in one transaction (admins)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        uow.projects.get(project)
        uow.users.add(name, [], display_name)
        held = uow.users.grant_in(name, project, roles)
        if password is not None:
            uow.users.set_password(name, password)
        return ProjectRoles(name, (), held)


def revoke(store: Store, actor: str, name: str, project: str, roles: Iterable[str]) -> ProjectRoles:
    """Take from ``name`` roles they hold in ``project`` only (``users.manage``: admins)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        held = uow.users.revoke_in(name, project, roles)
        return ProjectRoles(name, uow.users.get(name).roles, held)


def all_project_roles(store: Store, actor: str) -> dict[str, dict[str, tuple[str, ...]]]:
    """Every person's roles held in single projects: {person: {project: roles}}."""
    with store.read() as uow:
        acting(uow, actor)
        return {u.name: held for u in uow.users.all() if (held := uow.users.project_roles(u.name))}
