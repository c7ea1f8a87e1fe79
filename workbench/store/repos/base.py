"""What every repository shares: its unit of work, canonical JSON, and row → entity copying."""

from __future__ import annotations

import json
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from workbench.store.repos import UnitOfWork

E = TypeVar("E")


def dumps(value: Any) -> str:
    """Canonical JSON text: sorted keys, no insignificant white space, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def loads(text: str | None) -> Any:
    """The value of canonical JSON text ({} for none)."""
    return json.loads(text) if text else {}


def to_entity(cls: type[E], row: Any, json_fields: tuple[str, ...] = (), **extra: Any) -> E:
    """An entity of ``cls`` from an ORM row: fields by name, ``json_fields`` decoded, ``extra`` given."""
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name in extra:
            values[f.name] = extra[f.name]
        elif hasattr(row, f.name):
            value = getattr(row, f.name)
            values[f.name] = loads(value) if f.name in json_fields else value
    return cls(**values)


class Repo:
    def __init__(self, uow: UnitOfWork):
        self.uow = uow

    @property
    def session(self):  # noqa: ANN201 - the ORM session stays inside the store
        """The unit of work's ORM session."""
        return self.uow.session

    @property
    def actor(self) -> str:
        """Who writes (a read-only unit of work refuses)."""
        return self.uow.require_actor()

    def audit(self, action: str, subject: str, payload: dict[str, Any]) -> None:
        """Append an audit entry in this unit of work."""
        self.uow.audit.append(action, subject, payload)
