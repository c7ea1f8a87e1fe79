"""Artifacts (content-addressed, with lineage) and the model registry with its aliases."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select

from workbench.store.clock import now_ms
from workbench.store.entities import AliasMove, Artifact, DeploymentEvent, ModelVersion
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, dumps, to_entity
from workbench.store.schema import (
    ALIASES,
    ArtifactInputRow,
    ArtifactRow,
    DeploymentEventRow,
    ModelAliasRow,
    ModelVersionRow,
)


class ArtifactsRepo(Repo):
    def add(self, kind: str, uri: str, sha256: str, size: int, *, producer_step_id: int | None = None,
            lineage: dict[str, Any] | None = None, inputs: Iterable[int] = ()) -> Artifact:
        """Record an artifact by its sha256 (64 hex digits) with the artifacts it was made from."""
        if len(sha256) != 64:
            raise ConflictError(f"artifact {uri!r}: sha256 must be 64 hex digits, got {sha256!r}")
        row = ArtifactRow(kind=kind, uri=uri, sha256=sha256, size=size,
                          producer_step_id=producer_step_id, created_at=now_ms(),
                          lineage=dumps(lineage or {}))
        self.session.add(row)
        self.session.flush()
        input_ids = tuple(dict.fromkeys(inputs))
        if input_ids:
            self.session.execute(insert(ArtifactInputRow),
                                 [{"artifact_id": row.id, "input_artifact_id": i} for i in input_ids])
        self.uow.record_change("artifacts", row.id, "added")
        return to_entity(Artifact, row, json_fields=("lineage",), inputs=input_ids)

    def get(self, artifact_id: int) -> Artifact:
        """The artifact ``artifact_id`` with its inputs; ``NotFoundError`` when there is none."""
        row = self.session.get(ArtifactRow, artifact_id)
        if row is None:
            raise NotFoundError(f"no artifact with id {artifact_id}")
        inputs = tuple(self.session.scalars(
            select(ArtifactInputRow.input_artifact_id).where(ArtifactInputRow.artifact_id == artifact_id)
            .order_by(ArtifactInputRow.input_artifact_id)))
        return to_entity(Artifact, row, json_fields=("lineage",), inputs=inputs)

    def by_sha256(self, sha256: str) -> list[Artifact]:
        """Every artifact with this content hash, oldest first."""
        ids = self.session.scalars(select(ArtifactRow.id).where(ArtifactRow.sha256 == sha256)
                                   .order_by(ArtifactRow.id))
        return [self.get(i) for i in ids]

    def ancestry(self, artifact_id: int) -> list[Artifact]:
        """This artifact and every artifact it was derived from, nearest first."""
        seen: dict[int, Artifact] = {}
        frontier = [artifact_id]
        while frontier:
            current = frontier.pop(0)
            if current in seen:
                continue
            artifact = self.get(current)
            seen[current] = artifact
            frontier.extend(artifact.inputs)
        return list(seen.values())


class ModelsRepo(Repo):
    def _entity(self, row: ModelVersionRow) -> ModelVersion:
        aliases = tuple(self.session.scalars(
            select(ModelAliasRow.alias).where(ModelAliasRow.model_version_id == row.id)
            .order_by(ModelAliasRow.alias)))
        return to_entity(ModelVersion, row, json_fields=("metrics", "lineage"), aliases=aliases)

    def register(self, name: str, *, artifact_id: int | None, run_id: int | None = None,
                 metrics: dict[str, Any] | None = None, lineage: dict[str, Any] | None = None,
                 project_id: int | None = None) -> ModelVersion:
        """A new version of ``name``. A model belongs to one project: the project of its first
        version, which is ``project_id``, else its run's project, else the default project."""
        self.uow.serialise()
        last = self.session.scalar(select(func.max(ModelVersionRow.version)).where(ModelVersionRow.name == name))
        owner = self.session.scalar(select(ModelVersionRow.project_id).where(ModelVersionRow.name == name).limit(1))
        if owner is None:
            owner = project_id if project_id is not None else self.uow.projects.of_run(run_id)
        row = ModelVersionRow(project_id=owner, name=name, version=(last or 0) + 1, artifact_id=artifact_id,
                              run_id=run_id,
                              metrics=dumps(metrics or {}), lineage=dumps(lineage or {}),
                              created_at=now_ms(), created_by=self.actor)
        self.session.add(row)
        self.session.flush()
        self.audit("models.register", f"model:{name}/{row.version}", {"artifact_id": artifact_id,
                                                                        "run_id": run_id})
        self.uow.record_change("models", row.id, "registered")
        return self._entity(row)

    def get(self, name: str, version: int) -> ModelVersion:
        """Version ``version`` of model ``name``; ``NotFoundError`` when there is none."""
        row = self.session.scalar(select(ModelVersionRow).where(ModelVersionRow.name == name,
                                                                ModelVersionRow.version == version))
        if row is None:
            raise NotFoundError(f"model {name!r} has no version {version}")
        return self._entity(row)

    def get_by_id(self, model_version_id: int) -> ModelVersion:
        """The model version with this id; ``NotFoundError`` when there is none."""
        row = self.session.get(ModelVersionRow, model_version_id)
        if row is None:
            raise NotFoundError(f"no model version with id {model_version_id}")
        return self._entity(row)

    def for_artifact(self, artifact_id: int) -> ModelVersion | None:
        """The latest model version registered from this artifact, if any."""
        row = self.session.scalar(select(ModelVersionRow).where(ModelVersionRow.artifact_id == artifact_id)
                                  .order_by(ModelVersionRow.id.desc()).limit(1))
        return None if row is None else self._entity(row)

    def last_deployment(self, node_id: str) -> DeploymentEvent | None:
        """The last deployment at graph node ``node_id``, if any."""
        row = self.session.scalar(select(DeploymentEventRow).where(DeploymentEventRow.node_id == node_id)
                                  .order_by(DeploymentEventRow.id.desc()).limit(1))
        return None if row is None else to_entity(DeploymentEvent, row)

    def all(self, name: str | None = None, *, project_id: int | None = None) -> list[ModelVersion]:
        """Model versions by name and version, of one model and one project when given."""
        query = select(ModelVersionRow)
        if name is not None:
            query = query.where(ModelVersionRow.name == name)
        if project_id is not None:
            query = query.where(ModelVersionRow.project_id == project_id)
        rows = self.session.scalars(query.order_by(ModelVersionRow.name, ModelVersionRow.version))
        return [self._entity(r) for r in rows]

    def by_alias(self, name: str, alias: str) -> ModelVersion | None:
        """The version of ``name`` that ``alias`` points at, if any."""
        row = self.session.get(ModelAliasRow, (name, alias))
        return None if row is None else self.get_by_id(row.model_version_id)

    def set_alias(self, name: str, version: int, alias: str) -> AliasMove:
        """Point ``alias`` (one of ``ALIASES``) at one version of ``name``, audited; the move made."""
        if alias not in ALIASES:
            raise ConflictError(f"unknown alias {alias!r}", hint=f"aliases are: {', '.join(ALIASES)}")
        target = self.get(name, version)
        self.uow.serialise()
        current = self.session.get(ModelAliasRow, (name, alias))
        old = current.model_version_id if current else None
        if current is None:
            self.session.add(ModelAliasRow(name=name, alias=alias, model_version_id=target.id,
                                           updated_at=now_ms(), updated_by=self.actor))
        else:
            current.model_version_id, current.updated_at, current.updated_by = target.id, now_ms(), self.actor
        self.session.flush()
        self.audit("models.alias", f"model:{name}/{version}",
                   {"alias": alias, "old_version_id": old, "new_version_id": target.id})
        self.uow.record_change("models", target.id, f"alias:{alias}")
        return AliasMove(name=name, alias=alias, old_version_id=old, new_version_id=target.id)

    def record_deployment(self, node_id: str, name: str, old_version_id: int | None,
                          new_version_id: int, *, ts: int | None = None) -> DeploymentEvent:
        """``ts`` defaults to now; a simulation (the demo) passes its own clock."""
        row = DeploymentEventRow(ts=now_ms() if ts is None else ts, node_id=node_id, model_name=name,
                                 old_version_id=old_version_id, new_version_id=new_version_id,
                                 actor=self.actor)
        self.session.add(row)
        self.session.flush()
        self.audit("models.deploy", f"node:{node_id}", {"model": name, "old_version_id": old_version_id,
                                                        "new_version_id": new_version_id})
        self.uow.record_change("deployments", row.id, "deployed")
        return to_entity(DeploymentEvent, row)

    def deployments(self, name: str | None = None) -> list[DeploymentEvent]:
        """Deployment events in the order they happened, of one model when given."""
        query = select(DeploymentEventRow)
        if name is not None:
            query = query.where(DeploymentEventRow.model_name == name)
        return [to_entity(DeploymentEvent, r) for r in self.session.scalars(query.order_by(DeploymentEventRow.id))]
