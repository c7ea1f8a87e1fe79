"""``workbench audit verify|list``: check and read the tamper-evident audit trail."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    audit = sub.add_parser("audit", help="verify or read the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="walk the hash chain; exit 1 at the first broken entry")
    verify.add_argument("--json", action="store_true")
    verify.set_defaults(handler=_verify)
    listing = audit_sub.add_parser("list", help="print audit entries")
    listing.add_argument("--subject", help="only entries about this subject, e.g. user:bob")
    listing.add_argument("--since", type=int, default=0, metavar="ID", help="entries after this id")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)


def _verify(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.audit import verify

    result = verify(ctx.store(read_only=True))
    if args.json:
        ctx.print_json(asdict(result))
    elif result.ok:
        print(f"audit trail intact: {result.entries} entries verified")
    else:
        print(f"audit trail BROKEN at entry {result.broken_id}: {result.problem}", file=sys.stderr)
    return 0 if result.ok else 1


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.audit import entries

    rows = entries(ctx.store(read_only=True), subject=args.subject, since_id=args.since, limit=args.limit)
    if args.json:
        ctx.print_json([asdict(e) for e in rows])
        return 0
    for entry in rows:
        print(f"{entry.id:>6}  {entry.ts}  {entry.actor:<12} {entry.action:<20} {entry.subject}")
    return 0
