"""The node catalog: which kinds of node exist (what a kind is: ``graph.kinds``, re-exported here).

A ``Catalog`` maps kind ids to kinds. ``default_catalog()`` is built on first use from the built-in kinds
(``workbench.graph.builtin_kinds``) plus every entry point in the group
``workbench.node_kinds``; an entry point yields a ``NodeKind``, an iterable of them, or a
zero-argument callable returning either, so plug-ins add kinds without touching the editor. A
broken plug-in is skipped and recorded in ``Catalog.load_errors``; it never breaks start-up.
The catalog only declares kinds: a plug-in kind runs when its package also names the kind's
executor in the entry point group ``workbench.node_executors`` (``engines.runtime.registry``
looks it up where the step runs).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib import metadata
from typing import Any

from workbench.graph.builtin_kinds import BUILTIN_KINDS
from workbench.graph.errors import DuplicateNodeKindError, UnknownNodeKindError
from workbench.graph.kinds import (
    ENTRY_POINT_GROUP,
    PARAM_TYPES,
    PORT_TYPES,
    NodeKind,
    ParamSpec,
    PortSpec,
    is_plain_data,
    ports_compatible,
    validate_param,
)

__all__ = [
    "ENTRY_POINT_GROUP",
    "PARAM_TYPES",
    "PORT_TYPES",
    "Catalog",
    "NodeKind",
    "ParamSpec",
    "PortSpec",
    "default_catalog",
    "is_plain_data",
    "kinds_by_category",
    "ports_compatible",
    "reset_default_catalog",
    "validate_param",
]

_log = logging.getLogger(__name__)

class Catalog:
    """A registry of node kinds by id."""

    def __init__(self, kinds: Iterable[NodeKind] = ()):
        self._kinds: dict[str, NodeKind] = {}
        self.load_errors: list[str] = []
        for kind in kinds:
            self.register(kind)

    def register(self, kind: NodeKind, *, replace: bool = False) -> NodeKind:
        if not isinstance(kind, NodeKind):
            raise TypeError(f"expected a NodeKind, got {kind!r}")
        if kind.kind in self._kinds and not replace:
            raise DuplicateNodeKindError(f"node kind '{kind.kind}' is already registered")
        self._kinds[kind.kind] = kind
        return kind

    def get(self, kind: str, *, node_id: str | None = None) -> NodeKind:
        try:
            return self._kinds[kind]
        except (KeyError, TypeError):
            raise UnknownNodeKindError(str(kind), self.kinds(), node_id=node_id) from None

    def find(self, kind: str) -> NodeKind | None:
        return self._kinds.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._kinds)

    def __contains__(self, kind: object) -> bool:
        return kind in self._kinds

    def __iter__(self) -> Iterator[NodeKind]:
        """The kinds, sorted by id."""
        return iter([self._kinds[k] for k in self.kinds()])

    def __len__(self) -> int:
        return len(self._kinds)

    def load_entry_points(
        self,
        group: str = ENTRY_POINT_GROUP,
        entry_points: Callable[..., Iterable[Any]] | None = None,
    ) -> None:
        """Register the kinds every entry point of ``group`` yields; record failures."""
        finder = entry_points or metadata.entry_points
        try:
            found = list(finder(group=group))
        except Exception as exc:  # a broken installation must not break the catalog
            self._plugin_failed(f"cannot list entry points of {group!r}: {exc}")
            return
        for ep in found:
            try:
                obj = ep.load()
                if callable(obj) and not isinstance(obj, NodeKind):
                    obj = obj()
                items = [obj] if isinstance(obj, NodeKind) else list(obj)
                for item in items:
                    self.register(item)
            except Exception as exc:  # one broken plug-in must not hide the others
                self._plugin_failed(
                    f"node kinds from entry point {getattr(ep, 'name', ep)!r}: {exc}"
                )

    def _plugin_failed(self, message: str) -> None:
        self.load_errors.append(message)
        _log.warning("skipped %s", message)


_default: Catalog | None = None
_default_lock = threading.Lock()


def default_catalog() -> Catalog:
    """The process-wide catalog: built-in kinds plus plug-ins, built on first use."""
    global _default
    if _default is None:
        with _default_lock:
            if _default is None:
                catalog = Catalog(BUILTIN_KINDS)
                catalog.load_entry_points()
                _default = catalog
    return _default


def reset_default_catalog() -> None:
    """Forget the process-wide catalog so the next use rebuilds it (tests, plug-in reloads)."""
    global _default
    with _default_lock:
        _default = None


def kinds_by_category(catalog: Catalog) -> Mapping[str, list[NodeKind]]:
    """The catalog's kinds grouped by category (for palettes), each group sorted by title."""
    groups: dict[str, list[NodeKind]] = {}
    for kind in catalog:
        groups.setdefault(kind.category, []).append(kind)
    return {c: sorted(v, key=lambda k: k.title) for c, v in sorted(groups.items())}
