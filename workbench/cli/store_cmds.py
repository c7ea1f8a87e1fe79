"""``workbench init``: create or upgrade the store."""

from __future__ import annotations

import argparse

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("init", help="create or upgrade the store (the creator of a new store is its admin)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_init)


def _init(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.store import init_store

    result = init_store(ctx.store_url, ctx.user)
    if args.json:
        ctx.print_json({"store": result.url, "created": result.created,
                        "revision_before": result.revision_before,
                        "revision": result.revision_after, "admin": result.admin})
        return 0
    if result.created:
        print(f"created the store {result.url} (schema {result.revision_after})")
    elif result.revision_before != result.revision_after:
        print(f"upgraded the store {result.url} from {result.revision_before} to {result.revision_after}")
    else:
        print(f"the store {result.url} is up to date (schema {result.revision_after})")
    if result.admin:
        print(f"{result.admin} is its admin")
    return 0
