"""Presence for the signed-in person: saying what this workbench has open, and who else has a
thing open (targets are written as in discussions: ``graph:NAME``, ``run:ID`` …)."""

from __future__ import annotations

import os
import secrets
import socket

from workbench.errors import InvalidInputError
from workbench.services.identity import acting
from workbench.store import Store
from workbench.store.repos.presence import Presence

__all__ = ["REFRESH_S", "TTL_S", "here", "leave", "new_session", "present", "seconds_from_env"]



def seconds_from_env(name: str, default: float) -> float:
    """A positive number of seconds from the environment variable ``name`` (``default`` when
    it is unset or empty)."""
    given = os.environ.get(name, "").strip()
    if not given:
        return default
    try:
        value = float(given)
    except ValueError:
        value = 0.0
    if not value > 0:
        raise InvalidInputError(f"{name}={given!r} is not a number of seconds above 0",
                                hint=f"unset it to use the default of {default:g} s")
    return value


#: Readers count a row as there for ``TTL_S`` seconds after its last refresh (so a workbench
#: that crashed or lost its network drops out within that time), and a session refreshes every
#: ``REFRESH_S`` seconds, kept below the time-to-live or a workbench that is there would blink
#: out between refreshes. Both can be shortened for a test or a demo through the environment.
TTL_S = seconds_from_env("WORKBENCH_PRESENCE_TTL_S", 30.0)
REFRESH_S = min(seconds_from_env("WORKBENCH_PRESENCE_REFRESH_S", 10.0), TTL_S / 3)


def new_session() -> str:
    """An id for this workbench session (host, process and a random part)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def here(store: Store, actor: str, session: str, targets: list[str]) -> None:
    """This session of ``actor`` has ``targets`` open now (and nothing else)."""
    with store.write(actor) as uow:
        acting(uow, actor)
        uow.presence.here(session, targets)


def leave(store: Store, actor: str, session: str) -> None:
    """Say that ``session`` closed: it no longer counts as present anywhere."""
    with store.write(actor) as uow:
        uow.presence.leave(session)


def present(store: Store, target: str, ttl_s: float = TTL_S) -> list[Presence]:
    """Who has ``target`` open now."""
    with store.read() as uow:
        return uow.presence.present(target, ttl_s)
