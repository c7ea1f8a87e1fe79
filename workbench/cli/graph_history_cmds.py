"""``workbench graph save|log|diff``: a graph's versions in the store, headless."""

from __future__ import annotations

import argparse
import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from workbench.cli.context import CliContext
from workbench.errors import InvalidInputError

BASES_FILE = "graph_bases.json"


def add_to(graph_sub: argparse._SubParsersAction) -> None:
    """Add ``graph save``, ``graph log`` and ``graph diff`` to the ``graph`` parser."""
    save = graph_sub.add_parser("save", help="save a graph file as a new version in the store")
    save.add_argument("file", metavar="FILE")
    save.add_argument("-m", "--message", default="", help="what this version changes")
    save.add_argument("--base", type=int, default=None, metavar="VERSION",
                      help="the version your edit started from (default: the one this file was "
                           "last saved as)")
    save.add_argument("--force", action="store_true",
                      help="overwrite a later version that changed the same nodes (audited)")
    save.add_argument("--json", action="store_true")
    save.set_defaults(handler=_save)

    log = graph_sub.add_parser("log", help="the versions of a graph: author, time, message")
    log.add_argument("graph", metavar="NAME|FILE")
    log.add_argument("--json", action="store_true")
    log.set_defaults(handler=_log)

    diff = graph_sub.add_parser("diff", help="what changed between two graphs or versions")
    diff.add_argument("old", metavar="A", help="FILE, NAME (latest version) or NAME@VERSION")
    diff.add_argument("new", metavar="B")
    diff.add_argument("--json", action="store_true")
    diff.set_defaults(handler=_diff)


def _bases_path() -> Path:
    from workbench.store.urls import default_data_dir

    return default_data_dir() / BASES_FILE


def _bases() -> dict[str, Any]:
    try:
        data = json.loads(_bases_path().read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _key(store: Any, path: Path) -> str:
    return f"{store.store_id()}|{path.resolve()}"


def _remember(store: Any, path: Path, name: str, version: int) -> None:
    bases = _bases()
    bases[_key(store, path)] = {"name": name, "version": version}
    target = _bases_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = target.with_suffix(f".{os.getpid()}.tmp")
    scratch.write_text(json.dumps(bases, indent=1, sort_keys=True))
    os.replace(scratch, target)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def _save(args: argparse.Namespace, ctx: CliContext) -> int:
    """Save FILE as a new version against the version it was last saved or fetched as (per store
    and file): edits to different nodes merge, edits to the same nodes exit 1 naming them
    (``--force`` overwrites, audited)."""
    from workbench.graph import ensure_valid, load
    from workbench.services.graph_history import save_graph

    path = Path(args.file)
    graph = load(path)
    ensure_valid(graph)
    store = ctx.store()
    base = args.base
    if base is None:
        known = _bases().get(_key(store, path))
        base = int(known["version"]) if known and known.get("name") == graph.name else None
    result = save_graph(store, ctx.user, graph, message=args.message, base_version=base,
                        force=args.force, project=ctx.project)
    _remember(store, path, graph.name, result.version.version)
    version = result.version
    if args.json:
        ctx.print_json({"name": version.name, "version": version.version, "base_version": base,
                        "merged_with": result.merged_with, "overwrote": result.overwrote,
                        "unchanged": result.unchanged})
        return 0
    if result.unchanged:
        print(f"graph {version.name!r} is unchanged: version {version.version} has exactly this graph")
    elif result.merged_with is not None:
        print(f"saved graph {version.name!r} version {version.version}: your edit merged with "
              f"version {result.merged_with} (they changed other nodes). Your file still holds "
              f"your edit only; 'workbench graph diff {args.file} {version.name}' shows theirs")
    elif result.overwrote is not None:
        print(f"saved graph {version.name!r} version {version.version}, overwriting the changes of "
              f"version {result.overwrote} (recorded in the audit trail)")
    else:
        print(f"saved graph {version.name!r} version {version.version}")
    return 0


def _name_of(ctx: CliContext, given: str) -> str:
    path = Path(given)
    if path.is_file():
        from workbench.graph import load

        return load(path).name
    return given


def _log(args: argparse.Namespace, ctx: CliContext) -> int:
    """List a graph's versions: author, time and message."""
    from workbench.services.graph_history import history

    versions = history(ctx.store(), ctx.user, _name_of(ctx, args.graph), project=ctx.project)
    if args.json:
        ctx.print_json([{"version": v.version, "author": v.author, "created_at": v.created_at,
                         "message": v.message, "base_version": v.base_version, "sha256": v.sha256}
                        for v in versions])
        return 0
    for v in versions:
        based = f" (from {v.base_version})" if v.base_version not in (None, v.version - 1) else ""
        print(f"{v.version:>4}  {_when(v.created_at)}  {v.author:<12} {v.message or '-'}{based}")
    return 0


def _graph_of(ctx: CliContext, given: str) -> tuple[Any, str]:
    """The graph ``given`` names — a FILE, NAME (the latest version) or NAME@VERSION — and its label."""
    from workbench.graph import load, loads

    path = Path(given)
    if path.is_file():
        return load(path), str(path)
    from workbench.services.graph_history import version_text

    name, _, number = given.rpartition("@") if "@" in given else (given, "", "")
    if number and not number.isdigit():
        raise InvalidInputError(f"{given!r}: the version after '@' must be a number",
                                hint="e.g. churn@3")
    found = version_text(ctx.store(), ctx.user, name, int(number) if number else None, project=ctx.project)
    return loads(found.text, f"{name}@{found.version}"), f"{name}@{found.version}"


def _diff(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.graph_history import compare

    old, old_label = _graph_of(ctx, args.old)
    new, new_label = _graph_of(ctx, args.new)
    found = compare(old, new)
    if args.json:
        ctx.print_json({"from": old_label, "to": new_label, **found.as_dict()})
        return 0
    if found.empty:
        print(f"{old_label} and {new_label} hold the same graph")
        return 0
    print(f"from {old_label} to {new_label}:")
    for line in found.lines():
        print(f"  {line}")
    return 0
