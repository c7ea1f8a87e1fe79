"""Bearer tokens of the REST inference service, for the signed-in user. A token's text is
returned once, by :func:`add_token`, and stored only as its sha256."""

from __future__ import annotations

from workbench.services.identity import acting, authorise
from workbench.store import Store, UnitOfWork
from workbench.store.repos.tokens import ServeToken

__all__ = ["add_token", "list_tokens", "revoke_token"]


def _may_manage(uow: UnitOfWork, actor: str) -> None:
    authorise(uow, actor, "serve.tokens")


def add_token(store: Store, actor: str, name: str) -> tuple[ServeToken, str]:
    """A new token named ``name``: its entity and its text, which nobody can read again."""
    with store.write(actor) as uow:
        _may_manage(uow, actor)
        return uow.tokens.add(name)


def revoke_token(store: Store, actor: str, name: str) -> ServeToken:
    """Revoke a serving token by name (``serve.tokens``: engineers and admins); requests bearing
    it are refused from now on."""
    with store.write(actor) as uow:
        _may_manage(uow, actor)
        return uow.tokens.revoke(name)


def list_tokens(store: Store, actor: str) -> list[ServeToken]:
    """The serving tokens (any user): names, who made them, when, whether revoked; never a token."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.tokens.all()
