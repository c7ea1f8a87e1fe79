"""Execution targets: where steps run (local, a Spark cluster, an SSH host). Parameters are
plain settings; secrets belong in the OS keyring."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select

from workbench.store.clock import now_ms
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, dumps, loads
from workbench.store.schema import TARGET_KINDS, TargetRow

SECRET_WORDS = ("password", "passphrase", "secret", "token", "private_key")


@dataclass(frozen=True)
class Target:
    id: int
    name: str
    kind: str
    params: dict[str, Any]
    created_at: int
    created_by: str


def _entity(row: TargetRow) -> Target:
    return Target(row.id, row.name, row.kind, loads(row.params), row.created_at, row.created_by)


class TargetsRepo(Repo):
    def add(self, name: str, kind: str, params: dict[str, Any]) -> Target:
        """Register a target (audited); refuses unknown kinds and a parameter whose key looks like
        it holds a secret (password, passphrase, token, secret)."""
        if kind not in TARGET_KINDS:
            raise ConflictError(f"unknown target kind {kind!r}", hint=f"kinds are: {', '.join(TARGET_KINDS)}")
        secret = [k for k in params if any(word in k.lower() for word in SECRET_WORDS)]
        if secret:
            raise ConflictError(f"target {name!r}: the parameter {secret[0]!r} looks like a secret; "
                                "secrets go to the OS keyring, never into the store")
        if self.find(name) is not None:
            raise ConflictError(f"a target named {name!r} already exists")
        row = TargetRow(name=name, kind=kind, params=dumps(params), created_at=now_ms(), created_by=self.actor)
        self.session.add(row)
        self.session.flush()
        self.audit("targets.add", f"target:{name}", {"kind": kind, "params": params})
        self.uow.record_change("targets", name, "added")
        return _entity(row)

    def find(self, name: str) -> Target | None:
        """The target of this name; None when there is none."""
        row = self.session.scalar(select(TargetRow).where(TargetRow.name == name))
        return None if row is None else _entity(row)

    def get(self, name: str) -> Target:
        """The target of this name."""
        target = self.find(name)
        if target is None:
            raise NotFoundError(f"no target named {name!r}", hint="'workbench targets list' shows them")
        return target

    def all(self) -> list[Target]:
        """Every registered target by name."""
        return [_entity(r) for r in self.session.scalars(select(TargetRow).order_by(TargetRow.name))]

    def update_params(self, name: str, params: dict[str, Any], action: str, detail: dict[str, Any]) -> Target:
        """Replace a target's parameters (audited as ``action`` with ``detail``)."""
        self.get(name)
        row = self.session.scalar(select(TargetRow).where(TargetRow.name == name))
        assert row is not None
        row.params = dumps(params)
        self.session.flush()
        self.audit(action, f"target:{name}", detail)
        self.uow.record_change("targets", name, "changed")
        return _entity(row)

    def remove(self, name: str) -> None:
        """Remove a target (audited)."""
        self.get(name)
        self.session.execute(delete(TargetRow).where(TargetRow.name == name))
        self.audit("targets.remove", f"target:{name}", {})
        self.uow.record_change("targets", name, "removed")
