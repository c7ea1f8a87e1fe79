"""``workbench init``: create or upgrade the store."""

from __future__ import annotations

import argparse

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``init`` command to the parser."""
    parser = sub.add_parser("init", help="create or upgrade the store (the creator of a new store is its admin)")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--admin-password-stdin", action="store_true",
                        help="PostgreSQL: read the first admin's login password from standard input")
    parser.set_defaults(handler=_init)


def _init(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.store import init_store

    password = None
    if args.admin_password_stdin:
        from workbench.cli.user_cmds import read_password

        password = read_password()
    result = init_store(ctx.store_url, ctx.claimed_or_os, admin_password=password)
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
        if result.url.startswith("postgresql") and password is None:
            print(f"  {result.admin} signs in once their password is set (init --admin-password-stdin, "
                  "or the database's administrator sets it)")
    return 0
