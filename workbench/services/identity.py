"""Who is acting: the named user must exist in the store; their roles come from there."""

from __future__ import annotations

from workbench.errors import PermissionDeniedError
from workbench.governance.permissions import require
from workbench.store import UnitOfWork
from workbench.store.entities import User


def acting(uow: UnitOfWork, name: str) -> User:
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
    return user


def authorise(uow: UnitOfWork, name: str, action: str) -> User:
    """The acting user, after checking they may perform ``action``."""
    user = acting(uow, name)
    require(user.name, user.roles, action)
    return user
