"""``workbench triggers watch|fire``: let a graph's triggers start runs, or fire one by hand."""

from __future__ import annotations

import argparse
import time

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``triggers`` commands to the parser."""
    triggers = sub.add_parser("triggers", help="watch a graph's triggers or fire one")
    triggers_sub = triggers.add_subparsers(dest="triggers_command", metavar="ACTION", required=True)
    watch = triggers_sub.add_parser("watch", help="evaluate the triggers until stopped (Ctrl-C)")
    watch.add_argument("file", metavar="FILE")
    watch.add_argument("--every", type=float, default=5.0, metavar="SECONDS", help="how often to look")
    watch.add_argument("--target", default="local")
    watch.add_argument("--once", action="store_true", help="look once and exit")
    watch.set_defaults(handler=_watch)
    fire = triggers_sub.add_parser("fire", help="fire a trigger node now")
    fire.add_argument("file", metavar="FILE")
    fire.add_argument("--node", required=True, metavar="ID")
    fire.add_argument("--target", default="local")
    fire.set_defaults(handler=_fire)


def _watch(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.triggers import watcher

    watching = watcher(ctx.store(), ctx.user, args.file, target=args.target, project=ctx.project)
    print(f"watching the triggers of {args.file} (Ctrl-C stops)", flush=True)
    try:
        while True:
            for run in watching.tick():
                print(f"started run {run.id} ({run.trigger})", flush=True)
            if args.once:
                return 0
            time.sleep(args.every)
    except KeyboardInterrupt:
        return 0


def _fire(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.triggers import fire

    run = fire(ctx.store(), ctx.user, args.file, args.node, target=args.target, project=ctx.project)
    print(f"started run {run.id} ({run.trigger})")
    return 0
