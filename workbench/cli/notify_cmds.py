"""``workbench notifications list|read|webhook|email|channels|outbox|send``: your inbox, the
outbound channels (an admin configures them; secrets go to the OS keyring) and sending."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import datetime

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``notifications`` commands to the parser."""
    notes = sub.add_parser("notifications", help="your inbox; webhook and e-mail notifications")
    actions = notes.add_subparsers(dest="notifications_command", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="your notifications, newest first")
    listing.add_argument("--unread", action="store_true")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    read = actions.add_parser("read", help="mark notifications read")
    read.add_argument("ids", type=int, nargs="*", metavar="ID")
    read.add_argument("--all", action="store_true")
    read.set_defaults(handler=_read)
    hook = actions.add_parser("webhook", help="send to a webhook (admin); the URL is read from stdin")
    hook.add_argument("--url-stdin", action="store_true", required=True,
                      help="read the URL from standard input (it is a secret: never on the command line)")
    hook.set_defaults(handler=_webhook)
    mail = actions.add_parser("email", help="send e-mail through an SMTP server (admin)")
    mail.add_argument("--host", required=True)
    mail.add_argument("--port", type=int, default=587)
    mail.add_argument("--from", dest="sender", required=True, metavar="ADDRESS")
    mail.add_argument("--to", action="append", required=True, metavar="ADDRESS")
    # its own name and dest: the global --user (who acts) must never be replaced by the SMTP login
    mail.add_argument("--smtp-user", dest="smtp_user", default="", metavar="LOGIN",
                      help="SMTP login (its password is read from stdin)")
    mail.add_argument("--starttls", action="store_true")
    mail.set_defaults(handler=_email)
    channels = actions.add_parser("channels", help="the configured channels (no secrets)")
    channels.add_argument("--json", action="store_true")
    channels.set_defaults(handler=_channels)
    outbox = actions.add_parser("outbox", help="what was sent, what waits, what failed and why")
    outbox.add_argument("--json", action="store_true")
    outbox.set_defaults(handler=_outbox)
    send = actions.add_parser("send", help="send what is due (an open workbench does this by itself)")
    send.add_argument("--watch", type=float, default=0.0, metavar="SECONDS",
                      help="keep sending for this long, once a second")
    send.set_defaults(handler=_send)


def _when(ms: int | None) -> str:
    return "" if ms is None else datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.notifications import inbox

    notes = inbox(ctx.store(), ctx.user, unread_only=args.unread)
    if args.json:
        ctx.print_json([{"id": n.id, "kind": n.kind, "target": n.target, "text": n.text,
                         "created_at": n.created_at, "read": n.read_at is not None} for n in notes])
        return 0
    if not notes:
        print("no notifications" + (" unread" if args.unread else ""))
    for n in notes:
        mark = " " if n.read_at else "*"
        print(f"{mark} {n.id:>5}  {_when(n.created_at)}  {n.kind:<9} {n.text}")
    return 0


def _read(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.notifications import mark_read

    if not args.all and not args.ids:
        raise SystemExit("name the notifications to mark read, or --all")
    changed = mark_read(ctx.store(), ctx.user, None if args.all else args.ids)
    print(f"{changed} notification(s) marked read")
    return 0


def _webhook(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.notifications import configure_webhook

    url = sys.stdin.readline().strip()
    configure_webhook(ctx.store(), ctx.user, url)
    print("webhook configured; its URL is in this machine's keyring (each machine that sends needs it)")
    return 0


def _email(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.notifications import configure_email

    password = sys.stdin.readline().rstrip("\n") if args.smtp_user else None
    configure_email(ctx.store(), ctx.user, host=args.host, port=args.port, sender=args.sender,
                    to=args.to, user=args.smtp_user, password=password, starttls=args.starttls)
    print(f"e-mail configured through {args.host}:{args.port} to {', '.join(args.to)}")
    return 0


def _channels(args: argparse.Namespace, ctx: CliContext) -> int:
    store = ctx.store()
    with store.read() as uow:
        channels = uow.notifications.channels()
    if args.json:
        ctx.print_json(channels)
        return 0
    if not channels:
        print("no channels: notifications stay in the workbench's inbox")
    for name, config in channels.items():
        print(f"{name:<8} {config}")
    return 0


def _outbox(args: argparse.Namespace, ctx: CliContext) -> int:
    store = ctx.store()
    with store.read() as uow:
        items = uow.notifications.outbox()
    if args.json:
        ctx.print_json([{"id": i.id, "channel": i.channel, "status": i.status, "attempts": i.attempts,
                         "target": i.target, "sent_at": i.sent_at, "last_error": i.last_error}
                        for i in items])
        return 0
    for i in items:
        why = f"  ({i.last_error})" if i.last_error and i.status != "sent" else ""
        print(f"{i.id:>5} {i.channel:<8} {i.status:<8} tries {i.attempts}  {i.target}{why}")
    return 0


def _send(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.notifications import send_due

    store = ctx.store()
    until = time.monotonic() + max(0.0, args.watch)
    sent = failed = 0
    while True:
        report = send_due(store, ctx.user)
        sent, failed = sent + report.sent, failed + report.failed
        for line in report.errors:
            print(f"not sent: {line}", file=sys.stderr)
        if time.monotonic() >= until:
            break
        time.sleep(1.0)
    for line in report.unusable:
        print(f"cannot send by {line}", file=sys.stderr)
    print(f"sent {sent}, failed {failed}")
    return 0
