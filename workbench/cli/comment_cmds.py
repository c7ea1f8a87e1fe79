"""``workbench comments add|list|edit TARGET``: discussions beside graph nodes, runs, model
versions, approval requests and alerts (``services.discussions``)."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from workbench.cli.context import CliContext

TARGETS = "node:GRAPH/NODE, run:ID, model:NAME/VERSION, approval:ID or alert:ID"


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``comments`` commands to the parser."""
    comments = sub.add_parser("comments", help="discuss a node, run, model version, approval or alert")
    actions = comments.add_subparsers(dest="comments_command", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="comment on TARGET (or reply to a comment)")
    add.add_argument("target", metavar="TARGET", help=TARGETS)
    add.add_argument("text", help="the comment; @name mentions a person")
    add.add_argument("--reply-to", type=int, default=None, metavar="ID", help="the comment this answers")
    add.add_argument("--json", action="store_true")
    add.set_defaults(handler=_add)
    listing = actions.add_parser("list", help="the discussion of TARGET, threads with their replies")
    listing.add_argument("target", metavar="TARGET", help=TARGETS)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    edit = actions.add_parser("edit", help="change the text of your own comment (shown as edited)")
    edit.add_argument("id", type=int, metavar="ID")
    edit.add_argument("text")
    edit.set_defaults(handler=_edit)


def _when(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M")


def _as_dict(comment: Any, named: list[str]) -> dict[str, Any]:
    return {"id": comment.id, "author": comment.author, "text": comment.text,
            "created_at": comment.created_at, "edited_at": comment.edited_at,
            "reply_to": comment.parent_id, "mentions": named}


def _add(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.discussions import add_comment, mentions

    store = ctx.store()
    comment = add_comment(store, ctx.user, args.target, args.text, reply_to=args.reply_to)
    named = mentions(store, comment.text)
    if args.json:
        ctx.print_json(_as_dict(comment, named))
        return 0
    told = f"; mentions {', '.join(named)}" if named else ""
    print(f"comment {comment.id} on {args.target}{told}")
    return 0


def _edit(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.discussions import edit_comment

    comment = edit_comment(ctx.store(), ctx.user, args.id, args.text)
    print(f"comment {comment.id} edited")
    return 0


def _list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.discussions import mentions, thread

    store = ctx.store()
    threads = thread(store, ctx.user, args.target)

    def plain(t: Any) -> dict[str, Any]:
        return {**_as_dict(t.comment, mentions(store, t.comment.text)),
                "replies": [plain(r) for r in t.replies]}

    if args.json:
        ctx.print_json([plain(t) for t in threads])
        return 0
    if not threads:
        print(f"no comments on {args.target} yet")

    def show(t: Any, depth: int) -> None:
        c = t.comment
        edited = f" (edited {_when(c.edited_at)})" if c.edited_at else ""
        pad = "    " * depth
        print(f"{pad}#{c.id} {c.author}, {_when(c.created_at)}{edited}")
        for line in c.text.splitlines() or [""]:
            print(f"{pad}  {line}")
        for reply in t.replies:
            show(reply, depth + 1)

    for t in threads:
        show(t, 0)
    return 0
