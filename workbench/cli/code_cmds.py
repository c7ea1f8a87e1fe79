"""``workbench code-folders add|list|remove``: the folders whose Python files graphs may run."""

from __future__ import annotations

import argparse
import datetime as dt

from workbench.cli.context import CliContext


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``code-folders`` commands to the parser."""
    folders = sub.add_parser(
        "code-folders", help="folders whose scripts graphs may run (engineer or admin declares them)",
        description="A graph's train_torch script is code: a run takes it only from a folder "
                    "declared here, after an engineer or admin has reviewed what it holds.")
    actions = folders.add_subparsers(dest="code_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="declare a folder (engineer or admin)")
    add.add_argument("folder", help="absolute path of the folder on the machines that run steps")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", help="the declared folders, who declared them and when")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    remove = actions.add_parser("remove", help="stop running scripts from a folder (engineer or admin)")
    remove.add_argument("folder")
    remove.set_defaults(handler=_remove)


def _when(ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _add(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.code_folders import declare

    folder = declare(ctx.store(), ctx.user, args.folder)
    print(f"declared code folder {folder.path}: graphs may now run scripts from it")
    return 0


def _remove(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.code_folders import remove

    folder = remove(ctx.store(), ctx.user, args.folder)
    print(f"removed code folder {folder.path}: runs no longer take scripts from it")
    return 0


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.code_folders import declared

    folders = declared(ctx.store(), ctx.user)
    if args.json:
        ctx.print_json([{"path": f.path, "added_by": f.added_by, "added_at": f.added_at}
                        for f in folders])
        return 0
    if not folders:
        print("no code folders are declared: graphs may not run scripts "
              "('workbench code-folders add FOLDER', engineer or admin)")
    for f in folders:
        print(f"{f.path}  (declared by {f.added_by}, {_when(f.added_at)})")
    return 0
