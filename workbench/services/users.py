"""Users and roles: only an admin changes them; everyone known may list them."""

from __future__ import annotations

from collections.abc import Iterable

from workbench.services.identity import acting, authorise
from workbench.store import Store
from workbench.store.entities import User


def add_user(store: Store, actor: str, name: str, roles: Iterable[str], display_name: str = "") -> User:
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        return uow.users.add(name, roles, display_name)


def set_roles(store: Store, actor: str, name: str, roles: Iterable[str]) -> User:
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        return uow.users.set_roles(name, roles)


def list_users(store: Store, actor: str) -> list[User]:
    with store.read() as uow:
        acting(uow, actor)
        return uow.users.list()
