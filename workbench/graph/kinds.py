"""What a node kind is: its ports and parameters as plain, frozen data, and the one place
parameter values are checked and coerced (``validate_param``). ``graph.catalog`` collects kinds;
``graph.builtin_kinds`` writes the built-in ones with these classes."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from workbench.graph.errors import InvalidParameterError

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
