"""``workbench alerts list|ack|findings``: the monitoring alerts an operator works through, and
the expectation findings the served prediction log recorded per window."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import datetime

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``alerts`` commands to the parser."""
    alerts = sub.add_parser("alerts", help="monitoring alerts and expectation findings")
    actions = alerts.add_subparsers(dest="alerts_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="open alerts (--all: every status), oldest first")
    listing.add_argument("--all", action="store_true", help="acknowledged and resolved ones too")
    listing.add_argument("--source", default=None, help="only this source (graph/node)")
    listing.add_argument("--kind", default=None, help="only this kind (drift, divergence, deviation …)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    ack = actions.add_parser("ack", help="acknowledge an open alert (operator or engineer)")
    ack.add_argument("alert_id", type=int, metavar="ID")
    ack.set_defaults(handler=_ack)
    findings = actions.add_parser(
        "findings", help="expectation violations per prediction window of a served source")
    findings.add_argument("source", metavar="SOURCE", help="the served source (graph/node)")
    findings.add_argument("--json", action="store_true")
    findings.set_defaults(handler=_findings)


def _when(ms: int | None) -> str:
    return "-" if not ms else f"{datetime.fromtimestamp(ms / 1000):%Y-%m-%d %H:%M:%S}"


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.monitoring import list_alerts

    found = list_alerts(ctx.store(read_only=True), ctx.user, status=None if args.all else "open",
                        source=args.source, project=ctx.project)
    if args.kind:
        found = [a for a in found if a.kind == args.kind]
    if args.json:
        ctx.print_json([{**asdict(a), "holding": a.holding} for a in found])
        return 0
    if not found:
        print("no alerts" if args.all else "no open alerts")
        return 0
    ctx.print_table(["id", "kind", "source", "status", "holding", "count", "last seen", "message"],
                    [[a.id, a.kind, a.source, a.status, "yes" if a.holding else "no", a.count,
                      _when(a.last_seen_at or a.created_at), a.message] for a in found],
                    right=(0, 5))
    return 0


def _ack(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.monitoring import acknowledge_alert

    alert = acknowledge_alert(ctx.store(), ctx.user, args.alert_id)
    print(f"alert {alert.id} acknowledged by {alert.acknowledged_by}")
    return 0


def _findings(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.monitoring import expectation_findings

    found = expectation_findings(ctx.store(read_only=True), ctx.user, args.source)
    if args.json:
        ctx.print_json([{"window_id": f.window_id, "window_start": f.window_start,
                         "window_end": f.window_end, **f.finding.to_dict()} for f in found])
        return 0
    if not found:
        print(f"no expectation violations recorded for {args.source}")
        return 0
    ctx.print_table(["window", "ended", "column", "rule", "finding"],
                    [[f.window_id, _when(f.window_end), f.finding.column or "-",
                      f.finding.counts.get("rule", ""), f.finding.message] for f in found],
                    right=(0,))
    return 0
