"""Inboxes and the outbox (``workbench notifications …``): a notification exists exactly when
its event does, and of several senders only one sends an outbox row."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from workbench.store.clock import now_ms
from workbench.store.errors import NotFoundError
from workbench.store.repos.base import Repo
from workbench.store.schema import (
    NotificationRow,
    NotifyChannelRow,
    OutboxRow,
    UserRoleRow,
    UserRow,
)

__all__ = ["CLAIM_S", "Notification", "NotificationsRepo", "OutboxItem"]

CLAIM_S = 60.0
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class Notification:
    id: int
    recipient: str
    kind: str
    target: str
    text: str
    created_at: int
    read_at: int | None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    channel: str
    kind: str
    target: str
    text: str
    created_at: int
    status: str
    attempts: int
    next_try_at: int
    claimed_by: str | None
    sent_at: int | None
    last_error: str


def _note(row: NotificationRow) -> Notification:
    return Notification(row.id, row.recipient, row.kind, row.target, row.text, row.created_at, row.read_at)


def _item(row: OutboxRow) -> OutboxItem:
    return OutboxItem(row.id, row.channel, row.kind, row.target, row.text, row.created_at, row.status,
                      row.attempts, row.next_try_at, row.claimed_by, row.sent_at, row.last_error)


class NotificationsRepo(Repo):
    # -- making ------------------------------------------------------------------------------
    def holders_of(self, role: str, *, project_id: int | None = None) -> list[str]:
        """The enabled people holding ``role`` in the whole store, and (given ``project_id``)
        those holding it in that project only."""
        rows = self.session.scalars(select(UserRow.name).join(UserRoleRow, UserRoleRow.user_id == UserRow.id)
                                    .where(UserRoleRow.role == role, UserRow.disabled_at.is_(None))
                                    .order_by(UserRow.name))
        names = list(rows)
        if project_id is not None:
            from workbench.store.schema import ProjectRoleRow

            names += self.session.scalars(
                select(UserRow.name).join(ProjectRoleRow, ProjectRoleRow.user_id == UserRow.id)
                .where(ProjectRoleRow.role == role, ProjectRoleRow.project_id == project_id,
                       UserRow.disabled_at.is_(None)).order_by(UserRow.name))
        return sorted(set(names))

    def notify(self, recipients: list[str], kind: str, target: str, text: str, *,
               to_actor: bool = False) -> int:
        """Inbox entries for ``recipients`` (less the actor, unless ``to_actor``: a run's own
        worker acts as its starter) and one outbox row per configured channel; how many entries.

        The repositories where an event happens (an approval request, a run that failed or waits,
        a mention, a new alert) call it in the event's transaction.
        """
        now = now_ms()
        people = [r for r in dict.fromkeys(recipients) if r and (to_actor or r != self.actor)]
        for person in people:
            self.session.add(NotificationRow(recipient=person, kind=kind, target=target, text=text,
                                             created_at=now))
        if people:
            for channel in self.session.scalars(select(NotifyChannelRow.channel)):
                self.session.add(OutboxRow(channel=channel, kind=kind, target=target,
                                           text=f"{text} (for {', '.join(people)})", created_at=now,
                                           status="pending", attempts=0, next_try_at=now, last_error=""))
            self.session.flush()
            for person in people:
                self.uow.record_change("notifications", person, kind)
        return len(people)

    # -- the inbox ---------------------------------------------------------------------------
    def inbox(self, person: str, *, unread_only: bool = False, limit: int = 200) -> list[Notification]:
        """``person``'s notifications, newest first (unread only when asked)."""
        query = select(NotificationRow).where(NotificationRow.recipient == person)
        if unread_only:
            query = query.where(NotificationRow.read_at.is_(None))
        return [_note(r) for r in self.session.scalars(query.order_by(NotificationRow.id.desc()).limit(limit))]

    def unread(self, person: str) -> int:
        """How many of ``person``'s notifications are unread."""
        return len(self.inbox(person, unread_only=True, limit=10_000))

    def mark_read(self, person: str, ids: list[int] | None = None) -> int:
        """Mark ``ids`` (all when None) of ``person``'s notifications read; how many changed."""
        query = (update(NotificationRow).where(NotificationRow.recipient == person,
                                               NotificationRow.read_at.is_(None))
                 .values(read_at=now_ms()))
        if ids is not None:
            query = query.where(NotificationRow.id.in_(ids))
        changed = int(self.session.execute(query).rowcount or 0)  # type: ignore[attr-defined]
        if changed:
            self.uow.record_change("notifications", person, "read")
        return changed

    # -- channels ----------------------------------------------------------------------------
    def set_channel(self, channel: str, config: dict[str, Any]) -> None:
        """Configure (or reconfigure) an outbox channel, audited."""
        row = self.session.get(NotifyChannelRow, channel)
        if row is None:
            row = NotifyChannelRow(channel=channel, config="{}", updated_by=self.actor, updated_at=now_ms())
            self.session.add(row)
        row.config, row.updated_by, row.updated_at = json.dumps(config, sort_keys=True), self.actor, now_ms()
        self.session.flush()
        self.audit("notifications.channel", f"channel:{channel}", {"config": config})

    def remove_channel(self, channel: str) -> None:
        """Remove a configured channel, audited; ``NotFoundError`` when it is not configured."""
        row = self.session.get(NotifyChannelRow, channel)
        if row is None:
            raise NotFoundError(f"no {channel} channel is configured")
        self.session.delete(row)
        self.session.flush()
        self.audit("notifications.channel_removed", f"channel:{channel}", {})

    def channels(self) -> dict[str, dict[str, Any]]:
        """Every configured channel and its configuration."""
        return {r.channel: json.loads(r.config) for r in self.session.scalars(select(NotifyChannelRow))}

    # -- the outbox --------------------------------------------------------------------------
    def due(self, channels: list[str], limit: int = 50) -> list[OutboxItem]:
        """Pending outbox rows of ``channels`` whose time has come and no live claim holds."""
        now = now_ms()
        rows = self.session.scalars(
            select(OutboxRow).where(OutboxRow.status == "pending", OutboxRow.next_try_at <= now,
                                    OutboxRow.channel.in_(channels))
            .order_by(OutboxRow.id).limit(limit))
        return [_item(r) for r in rows if r.claimed_at is None or r.claimed_at < now - CLAIM_S * 1000]

    def claim(self, item_id: int, sender: str) -> bool:
        """Take ``item_id`` for ``sender`` with a conditional update, before sending it; False when
        another sender holds it or it is done. A claim older than ``CLAIM_S`` counts as abandoned."""
        now = now_ms()
        stale = now - int(CLAIM_S * 1000)
        done = self.session.execute(
            update(OutboxRow).where(OutboxRow.id == item_id, OutboxRow.status == "pending",
                                    (OutboxRow.claimed_at.is_(None)) | (OutboxRow.claimed_at < stale))
            .values(claimed_by=sender, claimed_at=now))
        return bool(done.rowcount)  # type: ignore[attr-defined]

    def sent(self, item_id: int, sender: str) -> None:
        """Mark an item ``sender`` claimed as sent."""
        self.session.execute(update(OutboxRow).where(OutboxRow.id == item_id, OutboxRow.claimed_by == sender)
                             .values(status="sent", sent_at=now_ms()))

    def failed(self, item_id: int, sender: str, error: str, retry_in_s: float) -> None:
        """Record a failed send by the claiming ``sender``: retry in ``retry_in_s``, failed for good after ``MAX_ATTEMPTS``."""
        row = self.session.get(OutboxRow, item_id)
        if row is None or row.claimed_by != sender:
            return
        row.attempts += 1
        row.last_error = error[:2000]
        row.claimed_by, row.claimed_at = None, None
        row.next_try_at = now_ms() + int(retry_in_s * 1000)
        if row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        self.session.flush()

    def outbox(self, limit: int = 200) -> list[OutboxItem]:
        """The latest outbox rows, newest first."""
        return [_item(r) for r in self.session.scalars(select(OutboxRow).order_by(OutboxRow.id.desc()).limit(limit))]
