"""Plain, frozen entities: what repositories return. No ORM object ever leaves the store."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class User:
    id: int
    name: str
    display_name: str
    roles: tuple[str, ...]
    created_at: int
    created_by: str
    disabled_at: int | None = None


@dataclass(frozen=True)
class Project:
    id: int
    name: str
    description: str
    created_at: int
    created_by: str


@dataclass(frozen=True)
class GraphVersion:
    id: int
    project_id: int
    name: str
    version: int
    text: str
    sha256: str
    author: str
    created_at: int
    message: str = ""
    base_version: int | None = None  # the version its author started from (None: a new graph)


@dataclass(frozen=True)
class Run:
    id: int
    project_id: int
    graph_version_id: int | None
    status: str
    target: str
    trigger: str
    started_by: str
    created_at: int
    started_at: int | None
    finished_at: int | None
    error: str
    params: dict[str, Any] = field(default_factory=dict)
    worker_host: str = ""
    worker_pid: int | None = None
    heartbeat_at: int | None = None
    cancel_requested: bool = False

    @property
    def finished(self) -> bool:
        """Whether the run ended (it never changes again)."""
        return self.status in {"succeeded", "failed", "cancelled", "rejected", "interrupted"}


@dataclass(frozen=True)
class Step:
    id: int
    run_id: int
    node_id: str
    attempt: int
    status: str
    target: str
    started_at: int | None
    finished_at: int | None
    exit_code: int | None
    error: str
    info: dict[str, Any] = field(default_factory=dict)
    cache_key: str = ""
    pid: int | None = None


@dataclass(frozen=True)
class StepOutput:
    step_id: int
    port: str
    position: int
    artifact_id: int


@dataclass(frozen=True)
class Alert:
    id: int
    source: str
    kind: str
    message: str
    run_id: int | None
    status: str
    created_at: int  # first seen
    acknowledged_by: str
    acknowledged_at: int | None
    condition: str = ""  # what repeats of this alert share (see store.repos.alerts)
    count: int = 1  # how often the condition was raised in this episode
    last_seen_at: int = 0
    cleared_at: int | None = None  # when the condition stopped holding; None while it holds

    @property
    def holding(self) -> bool:
        """Whether the alert's condition still holds (it has not cleared)."""
        return self.cleared_at is None


@dataclass(frozen=True)
class LogLine:
    id: int
    step_id: int
    ts: int
    stream: str
    line: str


@dataclass(frozen=True)
class Artifact:
    id: int
    kind: str
    uri: str
    sha256: str
    size: int
    producer_step_id: int | None
    created_at: int
    lineage: dict[str, Any]
    inputs: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelVersion:
    id: int
    name: str
    version: int
    artifact_id: int | None
    run_id: int | None
    metrics: dict[str, Any]
    lineage: dict[str, Any]
    created_at: int
    created_by: str
    aliases: tuple[str, ...] = ()
    project_id: int = 0  # the project the model belongs to (all its versions)


@dataclass(frozen=True)
class AliasMove:
    name: str
    alias: str
    old_version_id: int | None
    new_version_id: int


@dataclass(frozen=True)
class DeploymentEvent:
    id: int
    ts: int
    node_id: str
    model_name: str
    old_version_id: int | None
    new_version_id: int
    actor: str


@dataclass(frozen=True)
class MetricPoint:
    id: int
    series_id: int
    step: int
    ts: int
    value: float


@dataclass(frozen=True)
class PredictionWindow:
    id: int
    source: str
    model_version_id: int | None
    window_start: int
    window_end: int
    count: int
    summary: dict[str, Any]


@dataclass(frozen=True)
class DriftResult:
    id: int
    source: str
    window_start: int
    window_end: int
    column: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool


@dataclass(frozen=True)
class DivergenceResult:
    id: int
    source: str
    window_start: int
    window_end: int
    method: str
    statistic: float
    threshold: float
    diverged: bool
    details: dict[str, Any]


@dataclass(frozen=True)
class KpiSeries:
    id: int
    name: str
    unit: str
    description: str
    project_id: int = 0


@dataclass(frozen=True)
class ApprovalRequest:
    id: int
    model_version_id: int | None
    run_id: int | None
    node_id: str
    status: str
    requested_by: str
    created_at: int
    expires_at: int | None
    evidence: dict[str, Any]
    decision: ApprovalDecision | None = None
    project_id: int = 0  # the project of its run (else of its model); decided by that project's roles


@dataclass(frozen=True)
class ApprovalDecision:
    id: int
    request_id: int
    decision: str
    reason: str
    decided_by: str
    decided_at: int


@dataclass(frozen=True)
class Comment:
    id: int
    subject_type: str
    subject_id: str
    author: str
    text: str
    created_at: int
    parent_id: int | None = None
    edited_at: int | None = None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    ts: int
    actor: str
    action: str
    subject: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    entries: int
    broken_id: int | None = None
    problem: str = ""


@dataclass(frozen=True)
class Change:
    id: int
    ts: int
    topic: str
    key: str
    action: str
    actor: str
