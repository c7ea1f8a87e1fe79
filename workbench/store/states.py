"""The named states of the store's things, and the sets of them the code asks about, defined
once: run and step statuses, roles, approval and alert statuses. Each is a ``StrEnum``, so a
member is the very string the database holds (``RunStatus.SUCCEEDED == "succeeded"``)."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE", "FINISHED", "RESUMABLE", "AlertStatus", "ApprovalStatus", "Role",
           "RunStatus", "StepStatus", "WRITERS"]


class RunStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    INTERRUPTED = "interrupted"


class StepStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    AWAITING_APPROVAL = "awaiting_approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"
    INTERRUPTED = "interrupted"
    REJECTED = "rejected"


class Role(StrEnum):
    SCIENTIST = "scientist"
    ENGINEER = "engineer"
    ANALYST = "analyst"
    OPERATOR = "operator"
    APPROVER = "approver"
    ADMIN = "admin"


class ApprovalStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLEARED = "cleared"


# the roles that write to the store (an analyst only reads)
WRITERS: frozenset[str] = frozenset(Role) - {Role.ANALYST}
# a run or step that may still change: the orchestrator (or a gate) owns it
ACTIVE: frozenset[str] = frozenset({RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.AWAITING_APPROVAL})
# a run or step that has ended, well or not; it gets a finish time and never changes again
FINISHED: frozenset[str] = frozenset({*StepStatus} - ACTIVE)
# a run that ``runs resume`` may continue (its finished steps are reused)
RESUMABLE: frozenset[str] = frozenset({RunStatus.INTERRUPTED, RunStatus.FAILED, RunStatus.CANCELLED})
