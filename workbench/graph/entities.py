"""The graph's entities: ``Node``, ``Edge`` and ``Annotation``, and the checks of their fields.

Rules: entities are frozen dataclasses; an edit replaces an entity, never mutates it. Node and
annotation ids are identifiers that may also hold ``-`` (at most 100 characters) and never a
``.``, because files write ports as ``node.port``. Positions are two finite floats.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from workbench.graph.errors import GraphError, InvalidNodeIdError

__all__ = [
    "ID_RE",
    "Annotation",
    "Edge",
    "Node",
    "Position",
    "check_id",
    "check_position",
    "check_text",
]

Position = tuple[float, float]

ID_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]{0,99}\Z")


def check_id(value: Any, what: str = "node") -> str:
    """Return ``value`` if it is a usable id, else raise ``InvalidNodeIdError``."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise InvalidNodeIdError(
            f"{what} id {value!r} is not valid",
            node_id=value if isinstance(value, str) else None,
            hint="use a letter or '_' followed by letters, digits, '_' or '-' (at most 100)",
        )
    return value


def check_position(value: Any, owner: str = "") -> Position:
    """Return ``value`` as a ``(x, y)`` tuple of finite floats, else raise ``GraphError``."""
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )
    if ok:
        x, y = float(value[0]), float(value[1])
        if math.isfinite(x) and math.isfinite(y):
            return (x, y)
    prefix = f"{owner}: " if owner else ""
    raise GraphError(f"{prefix}position must be two finite numbers [x, y], got {value!r}")


def check_text(value: Any, what: str) -> str:
    if not isinstance(value, str) or "\x00" in value:
        raise GraphError(f"{what} must be text without NUL characters, got {value!r}")
    return value


@dataclass(frozen=True)
class Node:
    """One step of the application. ``params`` is a read-only mapping; ``target`` names the
    execution target the step runs on (None: the graph's default)."""

    id: str
    kind: str
    title: str
    position: Position = (0.0, 0.0)
    params: Mapping[str, Any] = field(default_factory=dict)
    target: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))
        object.__setattr__(self, "position", tuple(self.position))

    def __hash__(self) -> int:
        return hash((self.id, self.kind, self.title, self.position, self.target))


@dataclass(frozen=True, order=True)
class Edge:
    """A connection from an output port to an input port."""

    src_node: str
    src_port: str
    dst_node: str
    dst_port: str

    @property
    def source(self) -> str:
        return f"{self.src_node}.{self.src_port}"

    @property
    def target(self) -> str:
        return f"{self.dst_node}.{self.dst_port}"

    @property
    def id(self) -> str:
        return f"{self.source}->{self.target}"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Annotation:
    """A free-text note on the canvas."""

    id: str
    text: str
    position: Position = (0.0, 0.0)
