"""Presence: which workbench session has which thing open (``services.presence``). Arriving and
leaving write change-feed events (topic ``presence``, key the thing); refreshing does not."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from workbench.store.clock import now_ms
from workbench.store.repos.base import Repo
from workbench.store.schema import PresenceRow

__all__ = ["Presence", "PresenceRepo"]


@dataclass(frozen=True)
class Presence:
    person: str
    session: str
    target: str
    since: int
    seen_at: int


class PresenceRepo(Repo):
    def here(self, session: str, targets: list[str]) -> None:
        """This session has ``targets`` open now (and nothing else). A session calls it again
        while the things stay open; a reader counts only rows refreshed within its time-to-live,
        so a workbench that went away without saying so drops out by itself."""
        now = now_ms()
        rows = {r.target: r for r in self.session.scalars(select(PresenceRow).where(PresenceRow.session == session))}
        for target in dict.fromkeys(targets):
            row = rows.get(target)
            if row is None:
                self.session.add(PresenceRow(person=self.actor, session=session, target=target, since=now,
                                             seen_at=now, left_at=None))
                self.uow.record_change("presence", target, "arrived")
            else:
                if row.left_at is not None:
                    row.since, row.left_at = now, None
                    self.uow.record_change("presence", target, "arrived")
                row.seen_at = now
        for target, row in rows.items():
            if target not in targets and row.left_at is None:
                row.left_at = now
                self.uow.record_change("presence", target, "left")
        self.session.flush()

    def leave(self, session: str) -> None:
        """End every presence of ``session``."""
        now = now_ms()
        left = list(self.session.scalars(select(PresenceRow.target).where(
            PresenceRow.session == session, PresenceRow.left_at.is_(None))))
        self.session.execute(update(PresenceRow).where(PresenceRow.session == session,
                                                       PresenceRow.left_at.is_(None)).values(left_at=now))
        for target in left:
            self.uow.record_change("presence", target, "left")

    def present(self, target: str, ttl_s: float) -> list[Presence]:
        """Who has ``target`` open, refreshed within ``ttl_s`` seconds, longest there first."""
        fresh = now_ms() - int(ttl_s * 1000)
        rows = self.session.scalars(select(PresenceRow).where(
            PresenceRow.target == target, PresenceRow.left_at.is_(None), PresenceRow.seen_at >= fresh)
            .order_by(PresenceRow.since))
        return [Presence(r.person, r.session, r.target, r.since, r.seen_at) for r in rows]
