"""``workbench audit verify|list``: check and read the tamper-evident audit trail."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``audit`` commands to the parser."""
    audit = sub.add_parser("audit", help="verify or read the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = audit_sub.add_parser("verify", help="walk the hash chain; exit 1 at the first broken entry")
    verify.add_argument("--json", action="store_true")
    verify.add_argument("--bundle", metavar="BUNDLE",
                        help="verify a bundle written by 'audit export' instead, with no store at all")
    verify.set_defaults(handler=_verify)
    export = audit_sub.add_parser("export", help="write the audit trail, public keys and chain head to a "
                                                 "bundle that 'audit verify --bundle' checks with no store")
    export.add_argument("-o", "--output", required=True, metavar="BUNDLE")
    export.set_defaults(handler=_export)
    listing = audit_sub.add_parser("list", help="print audit entries")
    listing.add_argument("--subject", help="only entries about this subject, e.g. user:bob")
    listing.add_argument("--since", type=int, default=0, metavar="ID", help="entries after this id")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)


def _verify(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.bundle:
        return _verify_bundle(args, ctx)
    from workbench.services.audit import verify

    result = verify(ctx.store(read_only=True))
    if args.json:
        ctx.print_json(asdict(result))
    elif result.ok:
        print(f"audit trail intact: {result.entries} entries verified ({_kinds(result)})")
        for note in getattr(result, "notes", ()):
            print(f"  {note}")
    else:
        print(f"audit trail BROKEN at entry {result.broken_id}: {result.problem}", file=sys.stderr)
    return 0 if result.ok else 1


def _kinds(result: object) -> str:
    """What the verified entries are: signed, unsigned (written before signatures), and how
    many of them only assert who wrote them (the embedded store)."""
    signed, unsigned = getattr(result, "signed", 0), getattr(result, "unsigned", 0)
    asserted = getattr(result, "asserted", 0)
    text = f"{signed} signed, {unsigned} unsigned"
    if asserted:
        text += f"; {asserted} with an asserted identity (embedded store: nothing proves who wrote them)"
    return text


def _export(args: argparse.Namespace, ctx: CliContext) -> int:
    from pathlib import Path

    from workbench.services.audit import export

    report = export(ctx.store(read_only=True), Path(args.output), exported_by=ctx.user)
    print(f"wrote {report.entries} entries, their keys and the chain head to {args.output}")
    print(f"  check it anywhere with: workbench audit verify --bundle {args.output}")
    return 0 if report.ok else 1


def _verify_bundle(args: argparse.Namespace, ctx: CliContext) -> int:
    """Exit 0 intact, 1 broken (the problem named), 2 when the file cannot be read as a bundle."""
    from workbench.governance.audit_bundle import verify_bundle

    report = verify_bundle(args.bundle)
    if args.json:
        ctx.print_json(asdict(report))
    elif report.ok:
        head_id, head_hash = report.head
        print(f"audit bundle intact: {report.entries} entries verified ({report.signed} signed, "
              f"{report.unsigned} unsigned), {report.decisions} decisions checked; head entry {head_id} "
              f"({head_hash[:16]}…)")
        for note in report.notes:
            print(f"  {note}")
    else:
        where = f" at entry {report.broken_id}" if report.broken_id is not None else ""
        print(f"audit bundle BROKEN{where}: {report.problem}", file=sys.stderr)
    return 0 if report.ok else 1


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.audit import entries

    rows = entries(ctx.store(read_only=True), subject=args.subject, since_id=args.since, limit=args.limit)
    if args.json:
        ctx.print_json([asdict(e) for e in rows])
        return 0
    for entry in rows:
        print(f"{entry.id:>6}  {entry.ts}  {entry.actor:<12} {entry.action:<20} {entry.subject}")
    return 0
