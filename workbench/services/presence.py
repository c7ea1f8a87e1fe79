"""Presence for the signed-in person: saying what this workbench has open, and who else has a
thing open. Targets are written as in discussions (``graph:NAME``, ``run:ID``,
``approval:ID`` …). A session refreshes every ``REFRESH_S`` seconds; readers count a row as
there for ``TTL_S`` seconds after its last refresh, so a workbench that crashed or lost its
network drops out within that time."""

from __future__ import annotations

import os
import secrets
import socket

from workbench.services.identity import acting
from workbench.store import Store
from workbench.store.repos.presence import Presence

__all__ = ["REFRESH_S", "TTL_S", "here", "leave", "new_session", "present"]

REFRESH_S = 10.0
TTL_S = 30.0


def new_session() -> str:
    """An id for this workbench session (host, process and a random part)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def here(store: Store, actor: str, session: str, targets: list[str]) -> None:
    """This session of ``actor`` has ``targets`` open now (and nothing else)."""
    with store.write(actor) as uow:
        acting(uow, actor)
        uow.presence.here(session, targets)


def leave(store: Store, actor: str, session: str) -> None:
    with store.write(actor) as uow:
        uow.presence.leave(session)


def present(store: Store, target: str, ttl_s: float = TTL_S) -> list[Presence]:
    """Who has ``target`` open now."""
    with store.read() as uow:
        return uow.presence.present(target, ttl_s)
