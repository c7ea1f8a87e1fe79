"""The node catalog: which kinds of node exist, their ports and their parameters.

Rules: a ``NodeKind`` is plain, frozen data (``PortSpec``/``ParamSpec`` tuples). A ``Catalog``
maps kind ids to kinds. ``default_catalog()`` is built on first use from the built-in kinds
(``workbench.graph.builtin_kinds``) plus every entry point in the group
``workbench.node_kinds``; an entry point yields a ``NodeKind``, an iterable of them, or a
zero-argument callable returning either, so plug-ins add kinds without touching the editor. A
broken plug-in is skipped and recorded in ``Catalog.load_errors``; it never breaks start-up.
The catalog only declares kinds: a plug-in kind runs when its package also names the kind's
executor in the entry point group ``workbench.node_executors`` (``engines.runtime.registry``
looks it up where the step runs).
``validate_param`` is the one place parameter values are checked and coerced.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from importlib import metadata
from typing import Any

from workbench.graph.errors import (
    DuplicateNodeKindError,
    InvalidParameterError,
    UnknownNodeKindError,
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

ENTRY_POINT_GROUP = "workbench.node_kinds"

#: Port types of the built-in kinds. ``signal`` edges carry triggers and control; they are the
#: only edges that may close a (feedback) cycle. Plug-ins may use other type names.
PORT_TYPES = ("dataset", "model", "predictions", "metrics", "kpi", "signal")
SIGNAL = "signal"

PARAM_TYPES = ("str", "int", "float", "bool", "choice", "mapping", "list", "path", "import_path")

_NAME_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_IMPORT_PATH_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)+\Z")
_ITEM_TYPES = (None, "str", "int", "float", "bool")


def ports_compatible(src_type: str, dst_type: str) -> bool:
    """Whether an output of ``src_type`` may feed an input of ``dst_type`` (``any`` takes all)."""
    return src_type == dst_type or dst_type == "any"


@dataclass(frozen=True)
class PortSpec:
    """One input or output port of a node kind."""

    name: str
    type: str
    required: bool = False
    multiple: bool = False
    doc: str = ""

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"port name {self.name!r} is not an identifier")
        if not self.type or not isinstance(self.type, str):
            raise ValueError(f"port {self.name!r} needs a type name")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a node kind.

    ``min``/``max`` bound ``int`` and ``float`` values (``exclusive_min`` makes the lower bound
    strict); ``choices`` lists the allowed values of a ``choice`` or the allowed items of a
    ``list``; ``item_type`` types a ``list``'s items. A ``required`` parameter without a
    default must be set (and, for text types, non-empty) before the graph validates. A ``code``
    parameter (a ``path``) names a Python file the step runs: a run takes it only from a code
    folder the store declares (``services.code_folders``).
    """

    name: str
    type: str
    default: Any = None
    required: bool = False
    choices: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    doc: str = ""
    exclusive_min: bool = False
    item_type: str | None = None
    code: bool = False

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"parameter name {self.name!r} is not an identifier")
        if self.type not in PARAM_TYPES:
            raise ValueError(f"parameter {self.name!r}: unknown type {self.type!r}")
        if self.type == "choice" and not self.choices:
            raise ValueError(f"choice parameter {self.name!r} needs choices")
        if self.item_type not in _ITEM_TYPES:
            raise ValueError(f"parameter {self.name!r}: unknown item type {self.item_type!r}")
        object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def has_default(self) -> bool:
        return self.default is not None


@dataclass(frozen=True)
class NodeKind:
    """A kind of node: what it does, what it takes and gives, and how it is configured.

    ``standalone`` kinds (such as a KPI feed) are useful without edges, so validation does not
    warn when they have none.
    """

    kind: str
    title: str
    category: str = "general"
    doc: str = ""
    inputs: tuple[PortSpec, ...] = ()
    outputs: tuple[PortSpec, ...] = ()
    params: tuple[ParamSpec, ...] = ()
    standalone: bool = False

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.kind or ""):
            raise ValueError(f"node kind {self.kind!r} is not an identifier")
        for attr in ("inputs", "outputs", "params"):
            object.__setattr__(self, attr, tuple(getattr(self, attr)))
        for group in (self.inputs, self.outputs, self.params):
            names = [item.name for item in group]
            if len(names) != len(set(names)):
                raise ValueError(f"node kind {self.kind!r} declares a name twice: {names}")
        for spec in self.params:
            if spec.default is not None:
                try:
                    validate_param(self, spec.name, spec.default)
                except InvalidParameterError as exc:
                    raise ValueError(f"node kind {self.kind!r}: bad default: {exc}") from exc

    @cached_property
    def _inputs(self) -> dict[str, PortSpec]:
        return {p.name: p for p in self.inputs}

    @cached_property
    def _outputs(self) -> dict[str, PortSpec]:
        return {p.name: p for p in self.outputs}

    @cached_property
    def _params(self) -> dict[str, ParamSpec]:
        return {p.name: p for p in self.params}

    def input(self, name: str) -> PortSpec | None:
        return self._inputs.get(name)

    def output(self, name: str) -> PortSpec | None:
        return self._outputs.get(name)

    def param(self, name: str) -> ParamSpec | None:
        return self._params.get(name)

    def default_params(self) -> dict[str, Any]:
        """Every parameter that has a default, as a fresh (deep-copied) dict."""
        return {p.name: _copy_plain(p.default) for p in self.params if p.default is not None}


def is_plain_data(value: Any, _depth: int = 0) -> bool:
    """Whether ``value`` is YAML-safe plain data: None, bool, int, float, str, list, str-keyed dict."""
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if _depth > 32:
        return False
    if isinstance(value, list | tuple):
        return all(is_plain_data(v, _depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_plain_data(v, _depth + 1) for k, v in value.items())
    return False


def _copy_plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy_plain(v) for v in value]
    return value


def _bad(kind: NodeKind, name: str, node_id: str | None, what: str) -> InvalidParameterError:
    subject = f"node '{node_id}'" if node_id else f"kind '{kind.kind}'"
    return InvalidParameterError(
        f"{subject}, parameter '{name}': {what}", node_id=node_id, param=name
    )


def _number(kind: NodeKind, spec: ParamSpec, value: Any, node_id: str | None) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(kind, spec.name, node_id, f"expected a number ({spec.type}), got {value!r}")
    if spec.type == "int":
        if isinstance(value, float):
            if not value.is_integer():
                raise _bad(kind, spec.name, node_id, f"expected a whole number, got {value!r}")
            value = int(value)
    else:
        value = float(value)
        if not math.isfinite(value):
            raise _bad(kind, spec.name, node_id, f"expected a finite number, got {value!r}")
    if spec.min is not None:
        if spec.exclusive_min and value <= spec.min:
            raise _bad(kind, spec.name, node_id, f"must be greater than {spec.min}, got {value!r}")
        if value < spec.min:
            raise _bad(kind, spec.name, node_id, f"must be at least {spec.min}, got {value!r}")
    if spec.max is not None and value > spec.max:
        raise _bad(kind, spec.name, node_id, f"must be at most {spec.max}, got {value!r}")
    return value


def _list(kind: NodeKind, spec: ParamSpec, value: Any, node_id: str | None) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise _bad(kind, spec.name, node_id, f"expected a list, got {value!r}")
    items = []
    for item in value:
        if spec.item_type in ("int", "float"):
            item_spec = ParamSpec(spec.name, spec.item_type, min=spec.min, max=spec.max)
            item = _number(kind, item_spec, item, node_id)
        elif spec.item_type == "str" and not isinstance(item, str):
            raise _bad(kind, spec.name, node_id, f"expected text items, got {item!r}")
        elif spec.item_type == "bool" and not isinstance(item, bool):
            raise _bad(kind, spec.name, node_id, f"expected true/false items, got {item!r}")
        elif not is_plain_data(item):
            raise _bad(kind, spec.name, node_id, f"items must be plain data, got {item!r}")
        if spec.choices and item not in spec.choices:
            allowed = ", ".join(map(str, spec.choices))
            raise _bad(kind, spec.name, node_id, f"item {item!r} is not one of: {allowed}")
        items.append(_copy_plain(item))
    return items


def validate_param(kind: NodeKind, name: str, value: Any, *, node_id: str | None = None) -> Any:
    """Check ``value`` for parameter ``name`` of ``kind``; return the coerced value.

    Ints are accepted for floats (and whole floats for ints); lists and mappings are copied.
    Raises ``InvalidParameterError`` naming the node id and parameter otherwise.
    """
    spec = kind.param(name)
    if spec is None:
        known = ", ".join(p.name for p in kind.params) or "none"
        raise _bad(kind, name, node_id, f"'{kind.kind}' has no such parameter (known: {known})")
    t = spec.type
    if t in ("int", "float"):
        return _number(kind, spec, value, node_id)
    if t == "bool":
        if not isinstance(value, bool):
            raise _bad(kind, name, node_id, f"expected true or false, got {value!r}")
        return value
    if t == "choice":
        if not any(type(value) is type(c) and value == c for c in spec.choices):
            allowed = ", ".join(repr(c) for c in spec.choices)
            raise _bad(kind, name, node_id, f"{value!r} is not one of: {allowed}")
        return value
    if t == "mapping":
        if not isinstance(value, dict) or not is_plain_data(value):
            raise _bad(
                kind, name, node_id, f"expected a mapping of names to plain values, got {value!r}"
            )
        return _copy_plain(value)
    if t == "list":
        return _list(kind, spec, value, node_id)
    # str, path, import_path
    if not isinstance(value, str):
        raise _bad(kind, name, node_id, f"expected text, got {value!r}")
    if "\x00" in value:
        raise _bad(kind, name, node_id, "text must not contain NUL characters")
    if spec.required and not value.strip():
        raise _bad(kind, name, node_id, "is required and must not be empty")
    if t == "import_path" and value and not _IMPORT_PATH_RE.match(value):
        raise _bad(
            kind,
            name,
            node_id,
            f"expected a dotted import path like 'pkg.module.Name', got {value!r}",
        )
    return value


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
                from workbench.graph.builtin_kinds import BUILTIN_KINDS

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
