"""Users and roles: only an admin changes them; everyone known may list them."""

from __future__ import annotations

from collections.abc import Iterable

from workbench.services.identity import acting, authorise
from workbench.store import Store
from workbench.store.entities import User


def add_user(store: Store, actor: str, name: str, roles: Iterable[str], display_name: str = "", *,
             password: str | None = None) -> User:
    """Add a person with these roles (``users.manage``), with a password when one is given (PostgreSQL)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        user = uow.users.add(name, roles, display_name)
        if password is not None:
            uow.users.set_password(name, password)
        return user


def set_password(store: Store, actor: str, name: str, password: str) -> None:
    """A person sets their own password; an admin sets anyone's (PostgreSQL only)."""
    with store.write(actor) as uow:
        if name != actor:
            authorise(uow, actor, "users.manage")
        else:
            acting(uow, actor)
        uow.users.set_password(name, password)


def remove_user(store: Store, actor: str, name: str) -> User:
    """Remove a person from the store (``users.manage``)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        return uow.users.remove(name)


def set_roles(store: Store, actor: str, name: str, roles: Iterable[str]) -> User:
    """Replace a person's roles (``users.manage``)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "users.manage")
        return uow.users.set_roles(name, roles)


def list_users(store: Store, actor: str) -> list[User]:
    """Every person of the store with their roles."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.users.all()
