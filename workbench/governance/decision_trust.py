"""Whether a recorded approval decision can be trusted before a run acts on it.

A row in ``approval_decisions`` is only a claim. A run's approval gate releases a model only
when the decision matches the audit entry that recorded it (decision, reason, decider), that
entry's hash matches its content, and — once the decider has a registered key — the entry
carries a valid signature by one of the decider's keys. A row inserted around the services
(plain SQL) has no such entry and releases nothing.
"""

from __future__ import annotations

import json
from typing import Any

from workbench.governance.audit_verify import EntryRecord, recompute_hash
from workbench.governance.signing import verify_signature


def untrusted_reason(uow: Any, request: Any) -> str | None:
    """None when the decision on ``request`` can be trusted, else why not (one sentence)."""
    decision = request.decision
    if decision is None:
        return f"approval request {request.id} has no decision"
    record = uow.audit.decision_record(request.id)
    if record is None:
        return f"no audit entry records the decision on approval request {request.id}"
    entry = EntryRecord(**record)
    if recompute_hash(entry) != entry.hash:
        return f"audit entry {entry.id}, which records the decision, was changed after it was written"
    try:
        payload = json.loads(entry.payload_text)
    except ValueError:
        payload = {}
    if (entry.actor, payload.get("decision"), payload.get("reason")) != (
            decision.decided_by, decision.decision, decision.reason):
        return (f"the decision on approval request {request.id} differs from audit entry {entry.id} "
                "that recorded it")
    keys = {k["key_id"]: k["public_key"] for k in uow.audit.public_keys() if k["person"] == decision.decided_by}
    if not keys:
        return None  # a decider who never signed (a store from before signatures)
    if entry.key_id not in keys or not entry.signature:
        return f"audit entry {entry.id} is not signed by {decision.decided_by}'s key"
    if not verify_signature(keys[entry.key_id], entry.hash, entry.signature):
        return f"the signature on audit entry {entry.id} does not verify with {decision.decided_by}'s key"
    return None


def approved(uow: Any, model_version_id: int) -> bool:
    """Whether a risk officer approved this model version in a decision the store can trust
    (what becoming champion takes)."""
    return any(r.model_version_id == model_version_id and untrusted_reason(uow, r) is None
               for r in uow.approvals.all(status="approved"))


def champion_refusal(name: str, version: int) -> str:
    return (f"{name} version {version} has no approved request: a version becomes champion only once a risk "
            "officer approved it (put an approval gate before the promotion)")
