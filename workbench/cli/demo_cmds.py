"""``workbench demo [--headless] [--reset]``: build the demo in the current store, once."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` command to the parser."""
    demo = sub.add_parser("demo", help="a simulated credit-default application running the whole loop")
    demo.add_argument("--headless", action="store_true", help="no window: print a summary instead")
    demo.add_argument("--folder", help="where the demo's files go (default: beside the store)")
    demo.add_argument("--days", type=int, default=120, help="simulated days (at least 80)")
    demo.add_argument("--reset", action="store_true",
                      help="remove the demo from the store (refused, with the reason: its decisions are in the "
                           "audit trail; build a fresh demo in a new store instead)")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace, ctx: CliContext) -> int:
    """On a store that already holds the demo nothing is built or changed: with ``--headless``
    the summary of what is there is printed (exit 0), without it the window opens on it.
    ``--reset`` is refused with the reason (``workbench.demo.existing``): the demo's runs and
    signed decisions are in the audit trail, which only grows; a fresh demo goes into a new
    store."""
    from workbench.demo import run_demo
    from workbench.errors import InvalidInputError
    from workbench.orchestrator.artifacts import ArtifactStore
    from workbench.store import resolve_store_url

    if not args.headless and ctx.open_gui is not None and ctx.check_gui is not None:
        ctx.check_gui()  # before minutes of work that would end in a window that cannot open
    if args.days < 80:
        raise InvalidInputError(f"--days {args.days}: the demo needs at least 80 simulated days")
    url = resolve_store_url(ctx.store_url)
    existing = _existing(url)
    if args.reset:
        raise InvalidInputError(
            "the demo cannot be removed from a store: its runs, promotions and signed approval decisions are "
            "entries of the audit trail, which only grows" + ("" if existing else " (this store has no demo)"),
            hint="build a fresh demo in a new store: workbench --store sqlite:////path/new.db demo")
    if existing is not None:
        print(existing.text())
        print("\nTo build a fresh demo, use a new store: workbench --store sqlite:////path/new.db demo")
    else:
        folder = Path(args.folder) if args.folder else ArtifactStore.for_store(url).root.parent / "demo"
        summary = run_demo(url, ctx.user, folder, days=args.days,
                           progress=lambda line: print(line, flush=True))
        print()
        print(summary.text())
    if args.headless or ctx.open_gui is None:
        return 0
    ctx.store_url = url
    return ctx.open_gui(ctx)  # the same window ``workbench`` opens


def _existing(url: str):  # noqa: ANN202 - DemoSummary | None
    """The demo already in the store at ``url`` (``None`` when there is none or no store yet)."""
    from workbench.demo.existing import existing_demo
    from workbench.store import StoreError, open_store

    try:
        store = open_store(url, read_only=True)
    except StoreError:  # no store yet, or one to upgrade first: the demo's build checks again
        return None
    try:
        return existing_demo(store)
    finally:
        store.close()
