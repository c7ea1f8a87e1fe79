"""One repository per aggregate, and the unit of work that binds them to one transaction (the
store opens it: ``store.read()``, ``store.write(actor)``)."""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from workbench.store.clock import now_ms
from workbench.store.errors import StoreReadOnlyError
from workbench.store.repos.alerts import AlertsRepo
from workbench.store.repos.approvals import ApprovalsRepo
from workbench.store.repos.audit import AuditRepo, ChangesRepo
from workbench.store.repos.code_folders import CodeFoldersRepo as CodeFoldersRepo
from workbench.store.repos.graphs import GraphsRepo
from workbench.store.repos.models import ArtifactsRepo, ModelsRepo
from workbench.store.repos.notifications import NotificationsRepo as NotificationsRepo
from workbench.store.repos.people import CommentsRepo, ProjectsRepo, UsersRepo
from workbench.store.repos.presence import PresenceRepo as PresenceRepo
from workbench.store.repos.runs import RunsRepo
from workbench.store.repos.series import KpisRepo, MetricsRepo, PredictionsRepo, ResultsRepo
from workbench.store.repos.targets import Target, TargetsRepo
from workbench.store.repos.tokens import TokensRepo as TokensRepo
from workbench.store.schema import ChangeRow

__all__ = [
    "NOTIFY_CHANNEL", "OpenStore", "UnitOfWork",
    "AlertsRepo", "ApprovalsRepo", "ArtifactsRepo", "AuditRepo", "ChangesRepo", "CommentsRepo", "GraphsRepo",
    "KpisRepo", "MetricsRepo", "ModelsRepo", "PredictionsRepo", "ProjectsRepo", "ResultsRepo",
    "RunsRepo", "Target", "TargetsRepo", "UsersRepo",
]

ADVISORY_LOCK_KEY = 0x574B4348  # "WKCH": the audit chain and change feed serial section
NOTIFY_CHANNEL = "workbench_changes"


class OpenStore(Protocol):
    """What a unit of work and its repositories need of the store that opened it (``db.Store``)."""

    dialect: str
    signer: Any

    @property
    def display_url(self) -> str:
        """The store's URL as it may be shown (no password)."""
        ...


class UnitOfWork:
    """Repositories bound to one transaction. Writes need ``actor`` (every write names one)."""

    def __init__(self, store: OpenStore, session: Session, actor: str | None):
        self.store = store
        self.session = session
        self.actor = actor
        self._pending_changes: list[dict[str, Any]] = []
        self._serialised = False
        self.users = UsersRepo(self)
        self.projects = ProjectsRepo(self)
        self.graphs = GraphsRepo(self)
        self.runs = RunsRepo(self)
        self.artifacts = ArtifactsRepo(self)
        self.models = ModelsRepo(self)
        self.metrics = MetricsRepo(self)
        self.predictions = PredictionsRepo(self)
        self.results = ResultsRepo(self)
        self.kpis = KpisRepo(self)
        self.approvals = ApprovalsRepo(self)
        self.alerts = AlertsRepo(self)
        self.targets = TargetsRepo(self)
        self.tokens = TokensRepo(self)
        self.code_folders = CodeFoldersRepo(self)
        self.notifications = NotificationsRepo(self)
        self.presence = PresenceRepo(self)
        self.comments = CommentsRepo(self)
        self.audit = AuditRepo(self)
        self.changes = ChangesRepo(self)

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.store.dialect

    def require_actor(self) -> str:
        """Who writes; refuses a read-only unit of work."""
        if self.actor is None:
            raise StoreReadOnlyError("this unit of work is read-only; open it with store.write(actor)")
        return self.actor

    def serialise(self) -> None:
        """Enter the serial section (audit chain, change feed) for the rest of the transaction: on
        PostgreSQL one transaction-scoped advisory lock, so audit entries chain without forks and
        change ids become visible in commit order (SQLite writers are serial already)."""
        if self._serialised:
            return
        if self.dialect == "postgresql":
            self.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        self._serialised = True

    def record_change(self, topic: str, key: object, action: str) -> None:
        """Queue a change-feed event; it is written at commit, in commit order."""
        self.require_actor()
        self._pending_changes.append(
            {"topic": topic, "key": str(key), "action": action, "actor": self.actor}
        )

    def flush_changes(self) -> None:
        """Write the queued change-feed events (and wake PostgreSQL listeners)."""
        if not self._pending_changes:
            return
        self.serialise()
        ts = now_ms()
        rows = [{**change, "ts": ts} for change in self._pending_changes]
        self._pending_changes.clear()
        self.session.execute(insert(ChangeRow), rows)
        if self.dialect == "postgresql":
            self.session.execute(
                text("SELECT pg_notify(:channel, (SELECT max(id) FROM changes)::text)"),
                {"channel": NOTIFY_CHANNEL},
            )
