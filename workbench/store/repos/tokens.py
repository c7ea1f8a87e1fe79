"""Bearer tokens of the REST inference service (``workbench serve tokens …``). The store keeps
only a token's sha256; every add and revoke writes an audit entry and a change-feed event
(topic ``serve_tokens``)."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from workbench.store.clock import now_ms
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo
from workbench.store.schema import ServeTokenRow

__all__ = ["ServeToken", "TokensRepo", "token_hash"]

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,99}")


def token_hash(token: str) -> str:
    """The sha256 (hex) the store keeps of ``token``."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ServeToken:
    """What the store tells about a token: never the token itself, nor its hash."""

    id: int
    name: str
    created_by: str
    created_at: int
    revoked_at: int | None
    revoked_by: str | None

    @property
    def revoked(self) -> bool:
        """Whether the token was revoked."""
        return self.revoked_at is not None


def _entity(row: ServeTokenRow) -> ServeToken:
    return ServeToken(row.id, row.name, row.created_by, row.created_at, row.revoked_at, row.revoked_by)


class TokensRepo(Repo):
    def add(self, name: str) -> tuple[ServeToken, str]:
        """A new token named ``name``: its entity and its text, ``secrets.token_urlsafe(32)``
        (256 random bits), shown once and stored only as its sha256 (hex)."""
        if not NAME_PATTERN.fullmatch(name):
            raise ConflictError(f"the token name {name!r} is not usable",
                                hint="use up to 100 letters, digits, '.', '_', '-' or '@', "
                                     "starting with a letter or digit")
        if self._row(name) is not None:
            raise ConflictError(f"a serve token named {name!r} already exists (names stay taken "
                                "after revoking)", hint="choose another name")
        token = secrets.token_urlsafe(32)
        row = ServeTokenRow(name=name, token_hash=token_hash(token), created_by=self.actor,
                            created_at=now_ms(), revoked_at=None, revoked_by=None)
        self.session.add(row)
        self.session.flush()
        self.audit("serve_tokens.add", f"serve_token:{name}", {})
        self.uow.record_change("serve_tokens", name, "added")
        return _entity(row), token

    def all(self) -> list[ServeToken]:
        """Every serving token by name (no secrets)."""
        return [_entity(r) for r in self.session.scalars(select(ServeTokenRow).order_by(ServeTokenRow.name))]

    def get(self, name: str) -> ServeToken:
        """The serving token of this name."""
        row = self._row(name)
        if row is None:
            raise NotFoundError(f"no serve token named {name!r}",
                                hint="'workbench serve tokens list' shows them")
        return _entity(row)

    def revoke(self, name: str) -> ServeToken:
        """Revoke a serving token: its row stays (who made it, who revoked it, when) and is never
        valid again; the name stays taken, so the audit trail names one token per name."""
        row = self._row(name)
        if row is None:
            raise NotFoundError(f"no serve token named {name!r}",
                                hint="'workbench serve tokens list' shows them")
        if row.revoked_at is not None:
            raise ConflictError(f"the serve token {name!r} was already revoked by {row.revoked_by}")
        row.revoked_at = now_ms()
        row.revoked_by = self.actor
        self.session.flush()
        self.audit("serve_tokens.revoke", f"serve_token:{name}", {})
        self.uow.record_change("serve_tokens", name, "revoked")
        return _entity(row)

    def find_valid(self, token: str) -> ServeToken | None:
        """The token that ``token`` is, when it exists and is not revoked; else None (hashes are
        compared in constant time)."""
        if not token:
            return None
        wanted = token_hash(token)
        row = self.session.scalar(select(ServeTokenRow).where(ServeTokenRow.token_hash == wanted))
        if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, wanted):
            return None
        return _entity(row)

    def any_valid(self) -> bool:
        """Whether some token is not revoked (a service bound beyond this machine needs one)."""
        found = self.session.scalar(select(ServeTokenRow.id).where(ServeTokenRow.revoked_at.is_(None)).limit(1))
        return found is not None

    def _row(self, name: str) -> ServeTokenRow | None:
        return self.session.scalar(select(ServeTokenRow).where(ServeTokenRow.name == name))
