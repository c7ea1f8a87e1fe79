"""Hostile-input-safe YAML reading (and the matching writer) for graph files.

Rules:

* Only safe loading: the parser of a ``SafeLoader`` subclass (libyaml's ``CSafeLoader`` when
  present) produces events, and plain data is built straight from them; the only constructors
  that ever run are the safe ones for ``int``, ``float`` and ``bool`` scalars. Tags other than
  the plain YAML ones (``!!python/...``, ``!!binary``, local ``!tags``) are refused; more than ``MAX_ALIASES`` alias uses, an alias to a collection
  bigger than ``MAX_ALIAS_NODES`` items (billion laughs), recursive aliases, merge keys and
  nesting deeper than ``MAX_DEPTH`` are refused as they are met, before anything is expanded.
  Inputs over ``MAX_BYTES``, with NUL bytes, unpaired surrogates or not UTF-8 are refused
  before parsing. Building from events is also several times faster than composing a node
  tree; the tree is composed only when an error message needs a line number.
* Booleans are only ``true``/``false`` and timestamps stay text (``on: schedule`` is a key
  ``on``, not ``True``); the dumper uses the same resolver so files read back as written.
* Anything unusable raises ``GraphFileError`` (exit 2) with the file and line; duplicate or
  non-scalar mapping keys raise ``GraphFormatError`` (exit 1). No other exception escapes.
"""

from __future__ import annotations

import os
import re
from typing import Any

import yaml

from workbench.graph.errors import GraphFileError, GraphFormatError

__all__ = [
    "MAX_ALIASES",
    "MAX_ALIAS_NODES",
    "MAX_BYTES",
    "MAX_DEPTH",
    "Dumper",
    "FlowList",
    "FlowMap",
    "Loader",
    "ParsedYaml",
    "dump_yaml",
    "line_of",
    "parse_yaml",
    "read_limited",
]

MAX_BYTES = 50 * 1024 * 1024
MAX_ALIASES = 100
MAX_ALIAS_NODES = 1000
MAX_DEPTH = 64

_T = "tag:yaml.org,2002:"
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


def _resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for first, rules in yaml.SafeLoader.yaml_implicit_resolvers.items():
        kept = [(tag, rx) for tag, rx in rules if tag not in (_T + "timestamp", _T + "bool")]
        if kept:
            table[first] = kept
    for first in "tTfF":
        table.setdefault(first, []).insert(0, (_T + "bool", _BOOL_RE))
    return table


_RESOLVERS = _resolvers()
_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Safe loader with YAML 1.2-style booleans and no timestamps."""

    yaml_implicit_resolvers = _RESOLVERS


class Dumper(yaml.SafeDumper):
    """Safe, pure-Python dumper (identical output everywhere) with the loader's resolver."""

    yaml_implicit_resolvers = _RESOLVERS

    def ignore_aliases(self, data: Any) -> bool:
        return True  # never write anchors: every value is spelled out


def _fail(
    source: str, message: str, line: int | None = None, hint: str | None = None
) -> GraphFileError:
    where = f"{source}, line {line}" if line else source
    return GraphFileError(message, where=where, hint=hint)


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


def read_limited(path: str | os.PathLike[str], limit: int = MAX_BYTES) -> bytes:
    """The bytes of ``path``; ``GraphFileError`` if missing, unreadable or over ``limit``."""
    source = str(path)
    try:
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limit:
                raise _fail(source, f"file is too big ({size} bytes; the limit is {limit})")
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise _fail(source, "no such file") from None
    except IsADirectoryError:
        raise _fail(source, "is a directory, not a graph file") from None
    except PermissionError:
        raise _fail(source, "permission denied", hint="check the file's permissions") from None
    except OSError as exc:
        raise _fail(source, f"cannot read the file: {exc.strerror or exc}") from None
    except ValueError as exc:  # e.g. a NUL character in the path
        raise _fail(source, f"cannot open the file: {exc}") from None
    if len(data) > limit:
        raise _fail(source, f"file is too big (over {limit} bytes)")
    return data


def _decode(text: str | bytes, source: str) -> str:
    if isinstance(text, bytes | bytearray):
        if len(text) > MAX_BYTES:
            raise _fail(source, f"input is too big ({len(text)} bytes; the limit is {MAX_BYTES})")
        if b"\x00" in text:
            raise _fail(source, "binary data (NUL bytes), not a YAML graph file")
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _fail(
                source, f"not UTF-8 text (bad byte at offset {exc.start})", hint="save it as UTF-8"
            ) from None
    elif not isinstance(text, str):
        raise _fail(source, f"expected text or bytes, got {type(text).__name__}")
    if len(text) > MAX_BYTES:
        raise _fail(source, f"input is too big ({len(text)} characters; the limit is {MAX_BYTES})")
    if "\x00" in text:
        raise _fail(source, "binary data (NUL characters), not a YAML graph file")
    text = text.removeprefix("\ufeff")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _fail(source, "text holds unpaired surrogate characters") from None
    return text


class _Frame:
    """A collection being built: a list, or a dict with the key waiting for its value."""

    __slots__ = ("container", "is_map", "key", "has_key", "anchor", "start")

    def __init__(self, container: Any, is_map: bool, anchor: str | None, start: int):
        self.container = container
        self.is_map = is_map
        self.key: Any = None
        self.has_key = False
        self.anchor = anchor
        self.start = start


def _event_line(event: Any) -> int:
    return event.start_mark.line + 1 if event.start_mark is not None else 0


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


class _Builder:
    """Builds plain Python data straight from the parser's events (no composed tree, no
    ``construct_*`` of arbitrary tags), refusing what the module rules forbid."""

    def __init__(self, loader: Any, source: str):
        self.loader = loader
        self.source = source
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.open_anchors: set[str] = set()
        self.aliases = 0
        self.count = 0  # nodes built so far, aliases counted at their full size
        self.resolved: dict[str, str] = {}

    def fail(self, event: Any, message: str, hint: str | None = None) -> GraphFileError:
        return _fail(self.source, message, _event_line(event), hint)

    def check_tag(self, event: Any, tag: str | None, expected: str) -> None:
        if tag is None or tag == "!" or tag == _T + expected:
            return
        raise self.fail(
            event,
            f"the YAML tag '{_short(tag)}' is not allowed here",
            hint="graph files hold plain values only: text, numbers, true/false, lists, mappings",
        )

    def scalar(self, event: Any) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None or tag == "!":
            if event.implicit[0]:
                tag = self.resolved.get(value)
                if tag is None:
                    tag = self.loader.resolve(yaml.ScalarNode, value, (True, False))
                    if len(self.resolved) < 100_000:
                        self.resolved[value] = tag
            else:
                tag = _T + "str"
        if tag == _T + "str":
            if event.style == '"' and ("\x00" in value or not _encodable(value)):
                raise self.fail(event, "text holds a NUL or an unpaired surrogate character")
            return value
        if tag == _T + "null":
            return None
        if tag in (_T + "bool", _T + "int", _T + "float"):
            construct = getattr(self.loader, "construct_yaml_" + tag[len(_T) :])
            try:
                return construct(yaml.ScalarNode(tag, value))
            except Exception as exc:  # the library may fail in many ways on odd text
                raise self.fail(
                    event, f"cannot read {value[:40]!r} as {tag[len(_T) :]}: {exc}"
                ) from None
        if tag == _T + "merge":
            raise self.fail(
                event, "merge keys (<<) are not supported in graph files", hint="write the keys out"
            )
        if tag == _T + "value":
            return value
        raise self.fail(
            event,
            f"the YAML tag '{_short(tag)}' is not allowed",
            hint="graph files hold plain values only: text, numbers, true/false, lists, mappings",
        )

    def alias(self, event: Any) -> Any:
        name = event.anchor
        if name in self.open_anchors:
            raise self.fail(event, f"recursive alias *{name} (a collection that contains itself)")
        if name not in self.anchors:
            raise self.fail(event, f"alias *{name} refers to no anchor")
        self.aliases += 1
        if self.aliases > MAX_ALIASES:
            raise self.fail(
                event,
                f"more than {MAX_ALIASES} aliases (*name)",
                hint="graph files need no aliases; write the values out",
            )
        value, size = self.anchors[name]
        if size > MAX_ALIAS_NODES:
            raise self.fail(
                event,
                f"alias *{name} repeats a collection of {size} items (the limit is {MAX_ALIAS_NODES})",
            )
        self.count += size
        return _copy(value)

    def build(self) -> Any:
        get = self.loader.get_event
        get()  # StreamStartEvent
        first = get()
        if isinstance(first, yaml.StreamEndEvent):
            raise _fail(
                self.source,
                "the file is empty",
                hint=f"a graph file starts with 'format: {_FORMAT_HINT}'",
            )
        stack: list[_Frame] = []
        root: Any = None
        while True:
            event = get()
            cls = event.__class__
            anchor = None
            if cls is yaml.ScalarEvent:
                value = self.scalar(event)
                anchor = event.anchor
                self.count += 1
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                is_map = cls is yaml.MappingStartEvent
                self.check_tag(event, event.tag, "map" if is_map else "seq")
                if len(stack) >= MAX_DEPTH:
                    raise self.fail(event, f"nested more than {MAX_DEPTH} levels deep")
                self.count += 1
                if event.anchor is not None:
                    self.open_anchors.add(event.anchor)
                stack.append(_Frame({} if is_map else [], is_map, event.anchor, self.count))
                continue
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                frame = stack.pop()
                value = frame.container
                anchor = frame.anchor
                if anchor is not None:
                    self.open_anchors.discard(anchor)
                    self.anchors[anchor] = (value, self.count - frame.start + 1)
                    anchor = None
            elif cls is yaml.AliasEvent:
                value = self.alias(event)
            elif cls is yaml.DocumentEndEvent:
                break
            else:  # pragma: no cover - the parser emits nothing else inside a document
                raise self.fail(event, f"unexpected YAML event {cls.__name__}")
            if anchor is not None:
                self.anchors[anchor] = (value, 1)
            if not stack:
                root = value
                continue
            frame = stack[-1]
            if not frame.is_map:
                frame.container.append(value)
            elif not frame.has_key:
                if isinstance(value, dict | list):
                    raise GraphFormatError(
                        "mapping keys must be plain names, not lists or mappings",
                        where=f"{self.source}, line {_event_line(event)}",
                    )
                if value in frame.container:
                    raise GraphFormatError(
                        f"key '{value}' appears twice in the same mapping",
                        where=f"{self.source}, line {_event_line(event)}",
                        hint="remove one of them",
                    )
                frame.key, frame.has_key = value, True
            else:
                frame.container[frame.key] = value
                frame.has_key = False
        if not isinstance(get(), yaml.StreamEndEvent):
            raise _fail(
                self.source,
                "the file holds more than one YAML document",
                hint="a graph file is one document",
            )
        return root


_FORMAT_HINT = "mlops-workbench/graph"


def _short(tag: str) -> str:
    return "!!" + tag[len(_T) :] if tag.startswith(_T) else tag


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ParsedYaml:
    """A parsed document; ``line(path)`` finds a value's line (composing the text again, only
    when a message needs it)."""

    def __init__(self, data: Any, text: str):
        self.data = data
        self._text = text
        self._root: yaml.Node | None = None

    def line(self, path: tuple[str | int, ...]) -> int:
        if self._root is None:
            try:
                loader = Loader(self._text)
                try:
                    self._root = loader.get_single_node()
                finally:
                    loader.dispose()
            except (yaml.YAMLError, RecursionError):  # pragma: no cover - it parsed before
                return 1
        return line_of(self._root, path) if self._root is not None else 1


def parse_yaml(text: str | bytes, source: str = "<string>") -> ParsedYaml:
    """Safely parse one YAML document into plain data; see the module rules."""
    text = _decode(text, source)
    loader = None
    try:
        loader = Loader(text)  # the pure-Python reader already checks characters here
        data = _Builder(loader, source).build()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed YAML"
        raise _fail(source, f"not valid YAML: {problem}", mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        first = str(exc).splitlines()[0] if str(exc) else repr(exc)
        raise _fail(source, f"not valid YAML: {first}") from None
    except RecursionError:
        raise _fail(source, "nested too deeply") from None
    except (ValueError, TypeError, OverflowError, UnicodeError) as exc:
        raise _fail(source, f"a value cannot be read: {exc}") from None
    finally:
        if loader is not None:
            loader.dispose()
    return ParsedYaml(data, text)


def line_of(root: yaml.Node | None, path: tuple[str | int, ...]) -> int:
    """The 1-based line of the node at ``path`` (mapping keys and sequence indexes) in a
    composed tree; the deepest node found when the path ends early."""
    if root is None:
        return 1
    node = root
    for step in path:
        child = None
        if isinstance(node, yaml.MappingNode) and isinstance(step, str):
            child = next(
                (v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == step),
                None,
            )
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(step, int)
            and 0 <= step < len(node.value)
        ):
            child = node.value[step]
        if child is None:
            break
        node = child
    return _line(node)


def dump_yaml(data: Any) -> str:
    """Block-style YAML of plain ``data`` with the package's resolver and representers."""
    return yaml.dump(
        data,
        Dumper=Dumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=4096,
        line_break="\n",
    )


class FlowList(list):  # type: ignore[type-arg]
    """A list written on one line: ``[x, y]``."""


class FlowMap(dict):  # type: ignore[type-arg]
    """A mapping written on one line: ``{from: a.out, to: b.in}``."""


_ODD_BREAKS = re.compile("[\r\x85\u2028\u2029]")


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    # Multi-line text as a literal block; text with breaks other than "\n" double-quoted with
    # escapes (PyYAML's single-quoted or block form of those does not read back the same).
    style = '"' if _ODD_BREAKS.search(value) else "|" if "\n" in value else None
    return dumper.represent_scalar(_T + "str", value, style=style)


Dumper.add_representer(str, _represent_str)
Dumper.add_representer(FlowList, lambda d, v: d.represent_sequence(_T + "seq", v, flow_style=True))
Dumper.add_representer(FlowMap, lambda d, v: d.represent_mapping(_T + "map", v, flow_style=True))
