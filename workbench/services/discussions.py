"""Discussions beside the things people work on: threads of comments on a graph node, a run, a
model version, an approval request or an alert. Every comment and edit is an audit entry by its
author (on PostgreSQL the database checks the author is the login)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from workbench.errors import InvalidInputError, PermissionDeniedError
from workbench.services.identity import acting, authorise
from workbench.store import Store, UnitOfWork
from workbench.store.entities import Comment

__all__ = ["KINDS", "Thread", "add_comment", "edit_comment", "mentions", "parse_target", "thread"]

KINDS = ("node", "run", "model", "approval", "alert")
_MENTION = re.compile(r"(?<![\w@])@([A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9]|[A-Za-z0-9])")


def parse_target(target: str) -> tuple[str, str]:
    """(kind, id) of a discussion target such as ``run:12`` or ``node:GRAPH/NODE``; refuses anything else."""
    kind, sep, ident = (target or "").partition(":")
    if not sep or kind not in KINDS or not ident.strip():
        raise InvalidInputError(f"{target!r} is not something to discuss",
                                hint="use node:GRAPH/NODE, run:ID, model:NAME/VERSION, approval:ID "
                                     "or alert:ID")
    return kind, ident.strip()


def _check_exists(uow: UnitOfWork, kind: str, ident: str) -> None:
    if kind in ("run", "approval", "alert") and not ident.isdigit():
        raise InvalidInputError(f"{kind}:{ident}: the id must be a number")
    if kind == "run":
        uow.runs.get(int(ident))
    elif kind == "approval":
        uow.approvals.get(int(ident))
    elif kind == "alert":
        if not any(a.id == int(ident) for a in uow.alerts.all()):
            raise InvalidInputError(f"there is no alert {ident}")
    elif kind == "model":
        name, _, version = ident.rpartition("/")
        if not name or not version.isdigit():
            raise InvalidInputError(f"model:{ident}: write model:NAME/VERSION, e.g. model:churn/3")
        uow.models.get(name, int(version))
    else:
        graph, _, node = ident.rpartition("/")
        if not graph or not node:
            raise InvalidInputError(f"node:{ident}: write node:GRAPH/NODE, e.g. node:churn/train")
        from workbench.graph import loads

        project = uow.projects.find(uow.projects.DEFAULT)
        latest = uow.graphs.latest(project.id, graph) if project is not None else None
        if latest is None:
            raise InvalidInputError(f"the store has no graph named {graph!r}",
                                    hint="'workbench graph save FILE' saves one")
        if node not in loads(latest.text, f"graph {graph!r}", strict=False).nodes:
            raise InvalidInputError(f"graph {graph!r} (version {latest.version}) has no node {node!r}")


def mentions(store: Store, text: str) -> list[str]:
    """The people of the store that ``text`` names with ``@name``, in order, once each."""
    named = list(dict.fromkeys(_MENTION.findall(text)))
    with store.read() as uow:
        return [name for name in named if uow.users.find(name) is not None]


def add_comment(store: Store, actor: str, target: str, text: str,
                reply_to: int | None = None) -> Comment:
    """Comment on something that exists, or reply to comment ``reply_to``. Writing needs
    ``comments.add`` (every role but the analyst, who reads)."""
    kind, ident = parse_target(target)
    with store.write(actor) as uow:
        authorise(uow, actor, "comments.add")
        _check_exists(uow, kind, ident)
        return uow.comments.add(kind, ident, text, parent_id=reply_to)


def edit_comment(store: Store, actor: str, comment_id: int, text: str) -> Comment:
    """Change the text of one's own comment (only its author may); an edited comment says so."""
    with store.write(actor) as uow:
        authorise(uow, actor, "comments.add")
        comment = uow.comments.get(comment_id)
        if comment.author != actor:
            raise PermissionDeniedError(f"comment {comment_id} is {comment.author}'s: only its "
                                        "author edits it", hint="reply to it instead")
        return uow.comments.edit(comment_id, text)


@dataclass(frozen=True)
class Thread:
    """A comment and its replies (oldest first), each reply a thread of its own."""

    comment: Comment
    replies: tuple[Thread, ...] = ()


def thread(store: Store, actor: str, target: str) -> list[Thread]:
    """The discussion of ``target``: its threads, oldest first."""
    kind, ident = parse_target(target)
    with store.read() as uow:
        acting(uow, actor)
        comments = uow.comments.all(kind, ident)
    children: dict[int | None, list[Comment]] = {}
    for comment in comments:
        children.setdefault(comment.parent_id, []).append(comment)

    def build(comment: Comment) -> Thread:
        return Thread(comment, tuple(build(c) for c in children.get(comment.id, [])))

    return [build(c) for c in children.get(None, [])]
