"""The store's tables, as SQLAlchemy 2 typed ORM classes. The ORM never leaves ``store/``;
times are integer epoch milliseconds and JSON is canonical text."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from workbench.store.states import AlertStatus, ApprovalStatus, Role, RunStatus, StepStatus

# every constraint is named, so migrations can find it on SQLite and PostgreSQL alike
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES: tuple[str, ...] = tuple(Role)
RUN_STATUSES: tuple[str, ...] = tuple(RunStatus)
STEP_STATUSES: tuple[str, ...] = tuple(StepStatus)
ALIASES = ("candidate", "challenger", "champion", "archived")
APPROVAL_STATUSES: tuple[str, ...] = tuple(ApprovalStatus)

# ids are 64-bit on PostgreSQL and rowid aliases on SQLite
Id = BigInteger().with_variant(Integer, "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))
    disabled_at: Mapped[int | None] = mapped_column(BigInteger)  # removed: kept for the audit trail


class UserRoleRow(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role_known"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class ProjectRow(Base):
    __tablename__ = "projects"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))


class ProjectRoleRow(Base):
    """A role a person holds in one project only (a role in ``user_roles`` holds in every
    project)."""

    __tablename__ = "project_roles"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role_known"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


class GraphVersionRow(Base):
    __tablename__ = "graph_versions"
    __table_args__ = (UniqueConstraint("project_id", "name", "version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    author: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text, default="")
    base_version: Mapped[int | None] = mapped_column(Integer)


class RunRow(Base):
    __tablename__ = "runs"
    __table_args__ = (CheckConstraint(_in("status", RUN_STATUSES), name="status_known"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    graph_version_id: Mapped[int | None] = mapped_column(ForeignKey("graph_versions.id"))
    status: Mapped[str] = mapped_column(String(32), index=True)
    target: Mapped[str] = mapped_column(String(200), default="local")
    trigger: Mapped[str] = mapped_column(String(200), default="manual")
    started_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    started_at: Mapped[int | None] = mapped_column(BigInteger)
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
    error: Mapped[str] = mapped_column(Text, default="")
    params: Mapped[str] = mapped_column(Text, default="{}")
    # The orchestrator process driving the run: its host and pid, and when it last said so.
    worker_host: Mapped[str] = mapped_column(String(200), default="")
    worker_pid: Mapped[int | None] = mapped_column(Integer)
    heartbeat_at: Mapped[int | None] = mapped_column(BigInteger)
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)


class StepRow(Base):
    __tablename__ = "steps"
    __table_args__ = (
        UniqueConstraint("run_id", "node_id", "attempt"),
        CheckConstraint(_in("status", STEP_STATUSES), name="status_known"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    node_id: Mapped[str] = mapped_column(String(200))
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200), default="local")
    started_at: Mapped[int | None] = mapped_column(BigInteger)
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str] = mapped_column(Text, default="")
    info: Mapped[str] = mapped_column(Text, default="{}")
    cache_key: Mapped[str] = mapped_column(String(64), default="", index=True)
    pid: Mapped[int | None] = mapped_column(Integer)


class StepOutputRow(Base):
    """Which artifacts a step produced on which output port (in order, for multi-outputs)."""

    __tablename__ = "step_outputs"
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"), primary_key=True)
    port: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"))


class StepLogRow(Base):
    __tablename__ = "step_logs"
    __table_args__ = (Index("ix_step_logs_step_id_id", "step_id", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    ts: Mapped[int] = mapped_column(BigInteger)
    stream: Mapped[str] = mapped_column(String(16), default="stdout")
    line: Mapped[str] = mapped_column(Text)


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))
    uri: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    producer_step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id"), index=True)
    created_at: Mapped[int] = mapped_column(BigInteger)
    lineage: Mapped[str] = mapped_column(Text, default="{}")


class ArtifactInputRow(Base):
    __tablename__ = "artifact_inputs"
    artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id", ondelete="CASCADE"), primary_key=True)
    input_artifact_id: Mapped[int] = mapped_column(ForeignKey("artifacts.id"), primary_key=True)


class ModelVersionRow(Base):
    __tablename__ = "model_versions"
    __table_args__ = (UniqueConstraint("name", "version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    artifact_id: Mapped[int | None] = mapped_column(ForeignKey("artifacts.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    metrics: Mapped[str] = mapped_column(Text, default="{}")
    lineage: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))


class ModelAliasRow(Base):
    __tablename__ = "model_aliases"
    __table_args__ = (CheckConstraint(_in("alias", ALIASES), name="alias_known"),)
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    alias: Mapped[str] = mapped_column(String(32), primary_key=True)
    model_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    updated_at: Mapped[int] = mapped_column(BigInteger)
    updated_by: Mapped[str] = mapped_column(String(200))


class DeploymentEventRow(Base):
    __tablename__ = "deployment_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, index=True)
    node_id: Mapped[str] = mapped_column(String(200))
    model_name: Mapped[str] = mapped_column(String(200))
    old_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    new_version_id: Mapped[int] = mapped_column(ForeignKey("model_versions.id"))
    actor: Mapped[str] = mapped_column(String(200))


class MetricSeriesRow(Base):
    __tablename__ = "metric_series"
    __table_args__ = (UniqueConstraint("run_id", "step_id", "key"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    step_id: Mapped[int | None] = mapped_column(ForeignKey("steps.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(250))


class MetricRow(Base):
    """One value of a metric series: the high-volume table, written through the bulk path.

    ``series_id`` deliberately has no foreign key: a per-row referential check would halve
    the bulk path's speed on PostgreSQL. ``MetricsRepo`` checks the series once per batch.
    """

    __tablename__ = "metrics"
    __table_args__ = (Index("ix_metrics_series_id_step", "series_id", "step"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    series_id: Mapped[int] = mapped_column(Id)
    step: Mapped[int] = mapped_column(BigInteger)
    ts: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[float] = mapped_column(Float)


class PredictionWindowRow(Base):
    __tablename__ = "prediction_windows"
    __table_args__ = (Index("ix_prediction_windows_source_start", "source", "window_start"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int] = mapped_column(BigInteger)
    count: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, default="{}")


class PredictionRow(Base):
    """One logged prediction (REST and stream inference): written through the bulk path."""

    __tablename__ = "predictions"
    __table_args__ = (Index("ix_predictions_source_ts", "source", "ts"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    model_version_id: Mapped[int | None] = mapped_column(BigInteger)
    request_id: Mapped[str] = mapped_column(String(100))
    ts: Mapped[int] = mapped_column(BigInteger)
    score: Mapped[float | None] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(200))
    features: Mapped[str] = mapped_column(Text, default="{}")


class DriftResultRow(Base):
    __tablename__ = "drift_results"
    __table_args__ = (Index("ix_drift_results_source_window_end", "source", "window_end"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int] = mapped_column(BigInteger)
    column: Mapped[str] = mapped_column(String(250))
    method: Mapped[str] = mapped_column(String(64))
    statistic: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    drifted: Mapped[bool] = mapped_column(Boolean)


class DivergenceResultRow(Base):
    __tablename__ = "divergence_results"
    __table_args__ = (Index("ix_divergence_results_source_window_end", "source", "window_end"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    window_start: Mapped[int] = mapped_column(BigInteger)
    window_end: Mapped[int] = mapped_column(BigInteger)
    method: Mapped[str] = mapped_column(String(64))
    statistic: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    diverged: Mapped[bool] = mapped_column(Boolean)
    details: Mapped[str] = mapped_column(Text, default="{}")


class KpiSeriesRow(Base):
    __tablename__ = "kpi_series"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    unit: Mapped[str] = mapped_column(String(64), default="")
    description: Mapped[str] = mapped_column(Text, default="")


class KpiPointRow(Base):
    __tablename__ = "kpi_points"
    series_id: Mapped[int] = mapped_column(ForeignKey("kpi_series.id", ondelete="CASCADE"), primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    value: Mapped[float] = mapped_column(Float)


class ApprovalRequestRow(Base):
    __tablename__ = "approval_requests"
    __table_args__ = (CheckConstraint(_in("status", APPROVAL_STATUSES), name="status_known"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    model_version_id: Mapped[int | None] = mapped_column(ForeignKey("model_versions.id"))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    node_id: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int | None] = mapped_column(BigInteger)
    evidence: Mapped[str] = mapped_column(Text, default="{}")


class ApprovalDecisionRow(Base):
    __tablename__ = "approval_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'rejected')", name="decision_known"),
        CheckConstraint("length(trim(reason)) > 0", name="reason_given"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("approval_requests.id"), unique=True)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(200))
    decided_at: Mapped[int] = mapped_column(BigInteger)


class CommentRow(Base):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_subject", "subject_type", "subject_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(64))
    subject_id: Mapped[str] = mapped_column(String(200))
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    parent_id: Mapped[int | None] = mapped_column(BigInteger)  # the comment this one answers
    edited_at: Mapped[int | None] = mapped_column(BigInteger)


class AuditRow(Base):
    """Append-only; each entry carries the hash of the previous one. ``prev_hash`` is unique, so
    two writers can never fork the chain."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(100))
    subject: Mapped[str] = mapped_column(String(300))
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # 1: sha256 of canonical JSON (entries written before signatures); 2: length-prefixed
    # fields, which PostgreSQL's wb_audit_append computes itself (``repos.audit.entry_hash_v2``)
    hash_version: Mapped[int] = mapped_column(Integer, default=2, server_default="1")


class AuditSignatureRow(Base):
    """The actor's Ed25519 signature of an audit entry's hash. Append-only, one per entry."""

    __tablename__ = "audit_signatures"
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_log.id"), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(100))
    signature: Mapped[str] = mapped_column(String(200))


class PersonKeyRow(Base):
    """A person's public signing key (the private key stays in their OS keyring). Append-only:
    a person who signs in on a new machine registers a further key."""

    __tablename__ = "person_keys"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    person: Mapped[str] = mapped_column(String(200), index=True)
    key_id: Mapped[str] = mapped_column(String(100), unique=True)
    public_key: Mapped[str] = mapped_column(String(100))
    registered_at: Mapped[int] = mapped_column(BigInteger)


class StoreInfoRow(Base):
    """Who this store is: a random id that verifiers and keyrings remember it by."""

    __tablename__ = "store_info"
    __table_args__ = (CheckConstraint("singleton = 1", name="one_row"),)
    singleton: Mapped[int] = mapped_column(Integer, primary_key=True)
    store_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[int] = mapped_column(BigInteger)


class AuditHeadRow(Base):
    """The last entry's id and hash, so that deleting the newest entries is noticed too."""

    __tablename__ = "audit_head"
    __table_args__ = (CheckConstraint("singleton = 1", name="one_row"),)
    singleton: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_id: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class ChangeRow(Base):
    """The change feed: ids are monotonic and become visible in commit order."""

    __tablename__ = "changes"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    ts: Mapped[int] = mapped_column(BigInteger)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(200))


TARGET_KINDS = ("local", "spark", "ssh")


class TargetRow(Base):
    """Where steps run. Parameters never hold secrets: those live in the OS keyring."""

    __tablename__ = "targets"
    __table_args__ = (CheckConstraint(_in("kind", TARGET_KINDS), name="kind_known"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    params: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[int] = mapped_column(BigInteger)
    created_by: Mapped[str] = mapped_column(String(200))


ALERT_STATUSES: tuple[str, ...] = tuple(AlertStatus)


class AlertRow(Base):
    """A monitoring alert (drift, divergence, …) raised by a node, until someone acknowledges it.

    One row per episode of a condition (``source``, ``kind``, ``condition``): while the
    condition holds (``cleared_at`` is null) raising it again bumps ``count`` and
    ``last_seen_at``; only after it has cleared does it start a new row. The partial unique
    index keeps two writers from opening the same episode twice.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(_in("status", ALERT_STATUSES), name="status_known"),
        CheckConstraint("count >= 1", name="count_positive"),
        Index("ix_alerts_holding", "source", "kind", "condition", unique=True,
              sqlite_where=text("cleared_at IS NULL"), postgresql_where=text("cleared_at IS NULL")),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[int] = mapped_column(BigInteger)
    acknowledged_by: Mapped[str] = mapped_column(String(200), default="")
    acknowledged_at: Mapped[int | None] = mapped_column(BigInteger)
    condition: Mapped[str] = mapped_column(String(500), default="")
    count: Mapped[int] = mapped_column(Integer, default=1)
    last_seen_at: Mapped[int] = mapped_column(BigInteger)
    cleared_at: Mapped[int | None] = mapped_column(BigInteger)


class ServeTokenRow(Base):
    """A bearer token of the REST inference service: only its sha256 is kept (the token is shown
    once, when it is made). Revoking keeps the row, naming who revoked it and when."""

    __tablename__ = "serve_tokens"
    __table_args__ = (CheckConstraint("length(token_hash) = 64", name="hash_length"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[int] = mapped_column(BigInteger)
    revoked_at: Mapped[int | None] = mapped_column(BigInteger)
    revoked_by: Mapped[str | None] = mapped_column(String(200))


class CodeFolderRow(Base):
    """A folder on the machines that run steps whose Python files graphs may run (a
    ``train_torch`` script, say). Declared by an engineer or admin; removing keeps the row,
    naming who removed it and when."""

    __tablename__ = "code_folders"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    path: Mapped[str] = mapped_column(String(1000))
    added_by: Mapped[str] = mapped_column(String(200))
    added_at: Mapped[int] = mapped_column(BigInteger)
    removed_at: Mapped[int | None] = mapped_column(BigInteger)
    removed_by: Mapped[str | None] = mapped_column(String(200))


class NotificationRow(Base):
    """One person's inbox entry: an approval asked of their role, their run failed or waits, a
    mention, an alert. ``read_at`` is set when they have seen it."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_recipient", "recipient", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    read_at: Mapped[int | None] = mapped_column(BigInteger)


class OutboxRow(Base):
    """A notification to send out (webhook or e-mail), written in the transaction that made
    the event; one sender at a time claims it (``claimed_by``/``claimed_at``), so several open
    workbenches send it once."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_try_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(32))
    target: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[int] = mapped_column(BigInteger)
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str] = mapped_column(Text, default="")


class NotifyChannelRow(Base):
    """An outbound channel an admin configured: ``webhook`` or ``email``; ``config`` holds what
    is not secret (SMTP host, port, sender, recipients); secrets live in the OS keyring."""

    __tablename__ = "notify_channels"
    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    config: Mapped[str] = mapped_column(Text, default="{}")
    updated_by: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[int] = mapped_column(BigInteger)


class PresenceRow(Base):
    """Who has what open: one row per workbench session and thing (``run:12``, ``graph:churn`` …),
    refreshed while it stays open; a row not refreshed within the readers' time-to-live has
    gone away without saying so."""

    __tablename__ = "presence"
    __table_args__ = (UniqueConstraint("session", "target"), Index("ix_presence_target", "target"))
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    person: Mapped[str] = mapped_column(String(200))
    session: Mapped[str] = mapped_column(String(100))
    target: Mapped[str] = mapped_column(String(200))
    since: Mapped[int] = mapped_column(BigInteger)
    seen_at: Mapped[int] = mapped_column(BigInteger)
    left_at: Mapped[int | None] = mapped_column(BigInteger)
