"""Runs, their steps and the steps' log lines."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, insert, select

from workbench.store.clock import now_ms
from workbench.store.entities import LogLine, Run, Step, StepOutput
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, dumps, to_entity
from workbench.store.schema import (
    RUN_STATUSES,
    STEP_STATUSES,
    RunRow,
    StepLogRow,
    StepOutputRow,
    StepRow,
)
from workbench.store.states import FINISHED


class RunsRepo(Repo):
    # -- runs -----------------------------------------------------------------------------
    def create(self, project_id: int, graph_version_id: int | None, *, target: str = "local",
               trigger: str = "manual", params: dict[str, Any] | None = None) -> Run:
        """A new queued run of a graph version, started by the actor."""
        row = RunRow(project_id=project_id, graph_version_id=graph_version_id, status="queued",
                     target=target, trigger=trigger, started_by=self.actor, created_at=now_ms(),
                     error="", params=dumps(params or {}))
        self.session.add(row)
        self.session.flush()
        self.audit("runs.create", f"run:{row.id}", {"target": target, "trigger": trigger,
                                                     "graph_version_id": graph_version_id})
        self.uow.record_change("runs", row.id, "created")
        return self._run(row)

    def _run(self, row: RunRow) -> Run:
        return to_entity(Run, row, json_fields=("params",))

    def get(self, run_id: int) -> Run:
        """The run of this id."""
        row = self.session.get(RunRow, run_id)
        if row is None:
            raise NotFoundError(f"no run with id {run_id}")
        return self._run(row)

    def all(self, *, status: str | None = None, limit: int = 200, project_id: int | None = None) -> list[Run]:
        """The newest runs (of one status, of one project, when given)."""
        query = select(RunRow)
        if status:
            query = query.where(RunRow.status == status)
        if project_id is not None:
            query = query.where(RunRow.project_id == project_id)
        rows = self.session.scalars(query.order_by(RunRow.id.desc()).limit(limit))
        return [self._run(r) for r in rows]

    def count(self) -> int:
        """How many runs the store holds."""
        return int(self.session.scalar(select(func.count()).select_from(RunRow)) or 0)

    def set_status(self, run_id: int, status: str, *, error: str = "") -> Run:
        """Move a run to ``status`` (with its error, if any)."""
        if status not in RUN_STATUSES:
            raise ConflictError(f"unknown run status {status!r}")
        row = self.session.get(RunRow, run_id, with_for_update=self.uow.dialect == "postgresql")
        if row is None:
            raise NotFoundError(f"no run with id {run_id}")
        now = now_ms()
        row.status = status
        if status == "running" and row.started_at is None:
            row.started_at = now
        if status in FINISHED:
            row.finished_at = now
        if error:
            row.error = error
        self.session.flush()
        self.uow.record_change("runs", run_id, status)
        if status in ("failed", "awaiting_approval"):
            said = "failed" + (f": {error.splitlines()[0][:200]}" if error else "") \
                if status == "failed" else "waits for an approval"
            self.uow.notifications.notify([row.started_by], "run", f"run:{run_id}",
                                          f"your run {run_id} {said}", to_actor=True)
        return self._run(row)

    def _row(self, run_id: int, lock: bool = False) -> RunRow:
        row = self.session.get(RunRow, run_id, with_for_update=lock and self.uow.dialect == "postgresql")
        if row is None:
            raise NotFoundError(f"no run with id {run_id}", hint="'workbench runs list' shows the runs")
        return row

    def claim(self, run_id: int, host: str, pid: int) -> Run:
        """Record the orchestrator process now driving the run."""
        row = self._row(run_id, lock=True)
        row.worker_host, row.worker_pid, row.heartbeat_at = host, pid, now_ms()
        self.session.flush()
        self.uow.record_change("runs", run_id, "claimed")
        return self._run(row)

    def heartbeat(self, run_id: int) -> bool:
        """The orchestrator is alive; returns whether a cancel was requested."""
        row = self._row(run_id)
        row.heartbeat_at = now_ms()
        self.session.flush()
        return bool(row.cancel_requested)

    def request_cancel(self, run_id: int) -> Run:
        """Ask a run to stop (audited); its driver notices."""
        row = self._row(run_id, lock=True)
        row.cancel_requested = True
        self.session.flush()
        self.audit("runs.cancel", f"run:{run_id}", {"status": row.status})
        self.uow.record_change("runs", run_id, "cancel_requested")
        return self._run(row)

    def reset_for_resume(self, run_id: int) -> Run:
        """Queue a stopped run again: no worker yet, no pending cancel, a fresh heartbeat."""
        row = self._row(run_id, lock=True)
        previous = row.status
        row.status, row.error, row.cancel_requested = "queued", "", False
        row.worker_pid, row.worker_host, row.heartbeat_at, row.finished_at = None, "", now_ms(), None
        self.session.flush()
        self.audit("runs.resume", f"run:{run_id}", {"previous_status": previous})
        self.uow.record_change("runs", run_id, "queued")
        return self._run(row)

    def set_params(self, run_id: int, params: dict[str, Any]) -> Run:
        """Replace a run's parameters."""
        row = self._row(run_id)
        row.params = dumps(params)
        self.session.flush()
        return self._run(row)

    # -- steps ----------------------------------------------------------------------------
    def add_step(self, run_id: int, node_id: str, *, target: str = "local", attempt: int = 1,
                 cache_key: str = "") -> Step:
        """A new queued step of a run for ``node_id``."""
        row = StepRow(run_id=run_id, node_id=node_id, attempt=attempt, status="queued",
                      target=target, error="", info="{}", cache_key=cache_key)
        self.session.add(row)
        self.session.flush()
        self.uow.record_change("steps", row.id, "queued")
        return to_entity(Step, row, json_fields=("info",))

    def set_step_status(self, step_id: int, status: str, *, exit_code: int | None = None,
                        error: str = "", info: dict[str, Any] | None = None,
                        pid: int | None = None) -> Step:
        """Move a step to ``status``, with its exit code, error, info and process id."""
        if status not in STEP_STATUSES:
            raise ConflictError(f"unknown step status {status!r}")
        row = self.session.get(StepRow, step_id)
        if row is None:
            raise NotFoundError(f"no step with id {step_id}")
        now = now_ms()
        row.status = status
        if status == "running" and row.started_at is None:
            row.started_at = now
        if status in FINISHED:
            row.finished_at = now
        if exit_code is not None:
            row.exit_code = exit_code
        if pid is not None:
            row.pid = pid
        if error:
            row.error = error
        if info:
            row.info = dumps({**to_entity(Step, row, json_fields=("info",)).info, **info})
        self.session.flush()
        self.uow.record_change("steps", step_id, status)
        return to_entity(Step, row, json_fields=("info",))

    def steps(self, run_id: int) -> list[Step]:
        """A run's steps in the order they were added."""
        rows = self.session.scalars(select(StepRow).where(StepRow.run_id == run_id).order_by(StepRow.id))
        return [to_entity(Step, r, json_fields=("info",)) for r in rows]

    def get_step(self, step_id: int) -> Step:
        """The step of this id."""
        row = self.session.get(StepRow, step_id)
        if row is None:
            raise NotFoundError(f"no step with id {step_id}")
        return to_entity(Step, row, json_fields=("info",))

    def latest_steps(self, run_id: int) -> dict[str, Step]:
        """The latest attempt of each node's step in this run."""
        latest: dict[str, Step] = {}
        for step in self.steps(run_id):
            if step.node_id not in latest or step.attempt >= latest[step.node_id].attempt:
                latest[step.node_id] = step
        return latest

    def add_outputs(self, step_id: int, outputs: dict[str, list[int]]) -> None:
        """Record the artifacts a step wrote on each output port, in order."""
        rows = [{"step_id": step_id, "port": port, "position": i, "artifact_id": artifact_id}
                for port, ids in outputs.items() for i, artifact_id in enumerate(ids)]
        if rows:
            self.session.execute(insert(StepOutputRow), rows)

    def outputs(self, step_id: int) -> dict[str, list[int]]:
        """A step's artifact ids per output port, in order."""
        rows = self.session.scalars(select(StepOutputRow).where(StepOutputRow.step_id == step_id)
                                    .order_by(StepOutputRow.port, StepOutputRow.position))
        result: dict[str, list[int]] = {}
        for row in rows:
            result.setdefault(row.port, []).append(row.artifact_id)
        return result

    def output_rows(self, step_id: int) -> list[StepOutput]:
        """A step's output records (port, position, artifact)."""
        rows = self.session.scalars(select(StepOutputRow).where(StepOutputRow.step_id == step_id)
                                    .order_by(StepOutputRow.port, StepOutputRow.position))
        return [to_entity(StepOutput, r) for r in rows]

    def cached_step(self, cache_key: str) -> Step | None:
        """The newest succeeded step with this cache key (same inputs, code and parameters)."""
        if not cache_key:
            return None
        row = self.session.scalar(select(StepRow).where(StepRow.cache_key == cache_key,
                                                        StepRow.status == "succeeded")
                                  .order_by(StepRow.id.desc()).limit(1))
        return None if row is None else to_entity(Step, row, json_fields=("info",))

    # -- logs -----------------------------------------------------------------------------
    def append_logs(self, step_id: int, lines: Iterable[tuple[str, str]]) -> int:
        """Append ``(stream, line)`` pairs in one batch; returns how many were written."""
        ts = now_ms()
        rows = [{"step_id": step_id, "ts": ts, "stream": s, "line": line} for s, line in lines]
        if rows:
            self.session.execute(insert(StepLogRow), rows)
            self.uow.record_change("logs", step_id, "appended")
        return len(rows)

    def logs(self, step_id: int, *, since_id: int = 0, limit: int = 10_000) -> list[LogLine]:
        """A step's log lines after ``since_id``, oldest first."""
        rows = self.session.scalars(
            select(StepLogRow).where(StepLogRow.step_id == step_id, StepLogRow.id > since_id)
            .order_by(StepLogRow.id).limit(limit)
        )
        return [to_entity(LogLine, r) for r in rows]
