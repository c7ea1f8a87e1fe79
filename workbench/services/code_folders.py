"""Code folders: where the Python files that graphs run may live. A graph file is code (a
``train_torch`` script runs with the rights of whoever runs the step), so a run takes such a file
only from a declared folder; the orchestrator checks it before its step starts."""

from __future__ import annotations

from workbench.governance.code_trust import normal_folder
from workbench.services.identity import acting, authorise
from workbench.store import Store, UnitOfWork
from workbench.store.repos.code_folders import CodeFolder

__all__ = ["declare", "declared", "remove"]


def _may_manage(uow: UnitOfWork, actor: str) -> None:
    authorise(uow, actor, "code.folders")


def declare(store: Store, actor: str, folder: str) -> CodeFolder:
    """Declare a folder whose code graphs may run (``code.folders``: engineers and admins); the
    path is normalised first."""
    path = normal_folder(folder)
    with store.write(actor) as uow:
        _may_manage(uow, actor)
        return uow.code_folders.add(path)


def remove(store: Store, actor: str, folder: str) -> CodeFolder:
    """Withdraw a declared code folder (``code.folders``)."""
    path = normal_folder(folder)
    with store.write(actor) as uow:
        _may_manage(uow, actor)
        return uow.code_folders.remove(path)


def declared(store: Store, actor: str | None = None) -> list[CodeFolder]:
    """The declared code folders (any user of the store may read them)."""
    with store.read() as uow:
        if actor is not None:
            acting(uow, actor)
        return uow.code_folders.declared()
