"""``workbench presence list|hold TARGET``: who has a graph, run or request open."""

from __future__ import annotations

import argparse
import signal
import time
from datetime import datetime

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``presence`` commands to the parser."""
    presence = sub.add_parser("presence", help="who has a graph, run or approval request open")
    actions = presence.add_subparsers(dest="presence_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="who has TARGET open now")
    listing.add_argument("target", metavar="TARGET", help="graph:NAME, run:ID, approval:ID …")
    listing.add_argument("--ttl", type=float, default=None, metavar="SECONDS",
                         help="count a workbench as gone this long after it last said so (default: "
                              "$WORKBENCH_PRESENCE_TTL_S, else 30)")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    hold = actions.add_parser("hold", help="say you have TARGET open, for a while (as a workbench "
                              "does); Ctrl+C or a TERM signal leaves at once and says so")
    hold.add_argument("targets", nargs="+", metavar="TARGET")
    hold.add_argument("--for", dest="seconds", type=float, default=60.0, metavar="SECONDS")
    hold.add_argument("--every", type=float, default=None, metavar="SECONDS",
                      help="refresh this often (default: $WORKBENCH_PRESENCE_REFRESH_S, else 10)")
    hold.set_defaults(handler=_hold)


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.presence import TTL_S, present

    found = present(ctx.store(), args.target, args.ttl or TTL_S)
    if args.json:
        ctx.print_json([{"person": p.person, "since": p.since, "seen_at": p.seen_at} for p in found])
        return 0
    if not found:
        print(f"nobody has {args.target} open")
    for p in found:
        print(f"{p.person} (since {datetime.fromtimestamp(p.since / 1000):%H:%M:%S})")
    return 0


def _hold(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.presence import REFRESH_S, here, leave, new_session

    store, session = ctx.store(), new_session()
    until = time.monotonic() + args.seconds
    asked_to_leave: list[int] = []

    def _leave_soon(signum: int, _frame: object) -> None:
        asked_to_leave.append(signum)

    previous = {s: signal.signal(s, _leave_soon) for s in (signal.SIGINT, signal.SIGTERM)}
    due = 0.0  # the next refresh; the loop wakes every 0.1 s to see whether it was asked to leave
    try:
        while not asked_to_leave and (now := time.monotonic()) < until:
            if now >= due:
                here(store, ctx.user, session, list(args.targets))
                due = now + (args.every or REFRESH_S)
            time.sleep(min(0.1, until - now))
    finally:
        leave(store, ctx.user, session)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0
