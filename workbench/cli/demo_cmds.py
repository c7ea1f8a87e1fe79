"""``workbench demo [--headless]``: build (or refresh) the demo in the current store."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    demo = sub.add_parser("demo", help="a simulated credit-default application running the whole loop")
    demo.add_argument("--headless", action="store_true", help="no window: print a summary instead")
    demo.add_argument("--folder", help="where the demo's files go (default: beside the store)")
    demo.add_argument("--days", type=int, default=120, help="simulated days (at least 80)")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.demo import run_demo
    from workbench.errors import InvalidInputError
    from workbench.orchestrator.artifacts import ArtifactStore
    from workbench.store import resolve_store_url

    if not args.headless and ctx.open_gui is not None and ctx.check_gui is not None:
        ctx.check_gui()  # before minutes of work that would end in a window that cannot open
    if args.days < 80:
        raise InvalidInputError(f"--days {args.days}: the demo needs at least 80 simulated days")
    url = resolve_store_url(ctx.store_url)
    folder = Path(args.folder) if args.folder else ArtifactStore.for_store(url).root.parent / "demo"
    summary = run_demo(url, ctx.user, folder, days=args.days,
                       progress=lambda line: print(line, flush=True))
    print()
    print(summary.text())
    if args.headless or ctx.open_gui is None:
        return 0
    ctx.store_url = url
    return ctx.open_gui(ctx)  # the same window ``workbench`` opens
