"""Graph versions: the YAML text of a graph as saved, with its hash, author and time."""

from __future__ import annotations

import hashlib

from sqlalchemy import func, select

from workbench.store.clock import now_ms
from workbench.store.entities import GraphVersion
from workbench.store.errors import NotFoundError
from workbench.store.repos.base import Repo, to_entity
from workbench.store.schema import GraphVersionRow


class GraphsRepo(Repo):
    def save(self, project_id: int, name: str, text: str, *, message: str = "",
             base_version: int | None = None, overwrote: int | None = None) -> GraphVersion:
        """A new version, unless the latest version already has exactly this text.

        ``base_version``: the version its author started from; ``overwrote``: a later version
        it replaces without merging (``--force``), which the audit entry names."""
        digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
        self.uow.serialise()
        latest = self.latest(project_id, name)
        if latest is not None and latest.sha256 == digest:
            return latest
        version = (latest.version if latest else 0) + 1
        row = GraphVersionRow(project_id=project_id, name=name, version=version, text=text,
                              sha256=digest, author=self.actor, created_at=now_ms(),
                              message=message, base_version=base_version)
        self.session.add(row)
        self.session.flush()
        payload: dict[str, object] = {"version": version, "sha256": digest}
        if overwrote is not None:
            payload["overwrote"] = overwrote
        self.audit("graphs.overwrite" if overwrote is not None else "graphs.save", f"graph:{name}",
                   payload)
        self.uow.record_change("graphs", row.id, "saved")
        return to_entity(GraphVersion, row)

    def latest(self, project_id: int, name: str) -> GraphVersion | None:
        """The newest saved version of the graph ``name``; None when it was never saved."""
        row = self.session.scalar(
            select(GraphVersionRow)
            .where(GraphVersionRow.project_id == project_id, GraphVersionRow.name == name)
            .order_by(GraphVersionRow.version.desc())
            .limit(1)
        )
        return None if row is None else to_entity(GraphVersion, row)

    def version(self, project_id: int, name: str, version: int) -> GraphVersion:
        """Version ``version`` of the graph ``name``."""
        row = self.session.scalar(select(GraphVersionRow).where(
            GraphVersionRow.project_id == project_id, GraphVersionRow.name == name,
            GraphVersionRow.version == version))
        if row is None:
            raise NotFoundError(f"graph {name!r} has no version {version}",
                                hint=f"'workbench graph log {name}' lists its versions")
        return to_entity(GraphVersion, row)

    def history(self, project_id: int, name: str) -> list[GraphVersion]:
        """Every version of ``name``, newest first."""
        rows = self.session.scalars(select(GraphVersionRow).where(
            GraphVersionRow.project_id == project_id, GraphVersionRow.name == name)
            .order_by(GraphVersionRow.version.desc()))
        return [to_entity(GraphVersion, r) for r in rows]

    def get(self, graph_version_id: int) -> GraphVersion:
        """The graph version of this id."""
        row = self.session.get(GraphVersionRow, graph_version_id)
        if row is None:
            raise NotFoundError(f"no graph version with id {graph_version_id}")
        return to_entity(GraphVersion, row)

    def all(self, project_id: int | None = None) -> list[GraphVersion]:
        """Every saved graph version (of one project when given), by name and version."""
        query = select(GraphVersionRow)
        if project_id is not None:
            query = query.where(GraphVersionRow.project_id == project_id)
        rows = self.session.scalars(query.order_by(GraphVersionRow.name, GraphVersionRow.version))
        return [to_entity(GraphVersion, r) for r in rows]

    def count(self) -> int:
        """How many graph versions are saved."""
        return int(self.session.scalar(select(func.count()).select_from(GraphVersionRow)) or 0)
