"""Control steps the orchestrator runs itself, because they act on the store: the human
approval gate and model promotion.

Approval gate: the run pauses in ``awaiting_approval`` with one approval request carrying
the evidence (candidate metrics, the current champion's, their deltas, the evaluation and the
training data's lineage). An approver decides through the CLI or the GUI; approved → the step
passes the model on; rejected → the run ends ``rejected``; expired → the step fails. After a
resume the gate keeps waiting on the same open request instead of asking twice.

Promotion: the model arriving on the port moves to the alias the node names (an audited
event). Inference nodes bound to that alias pick the new version up the next time they score.
"""

from __future__ import annotations

import time
from typing import Any

from workbench.orchestrator import evidence
from workbench.orchestrator.context import RunContext
from workbench.orchestrator.plan import PlannedStep
from workbench.orchestrator.steps import StepResult, input_refs
from workbench.store import now_ms
from workbench.store.entities import Artifact, ModelVersion, Step


def _model_version(ctx: RunContext, node_id: str, refs: dict[str, list[Artifact]]) -> tuple[Artifact, ModelVersion]:
    if not refs.get("model"):
        raise LookupError(f"node {node_id!r}: no model arrived on its 'model' port")
    artifact = refs["model"][0]
    with ctx.store.read() as uow:
        version = uow.models.for_artifact(artifact.id)
    if version is None:
        raise LookupError(f"node {node_id!r}: the arriving model (artifact {artifact.id}) is not a registered model version")
    return artifact, version


def _start_step(ctx: RunContext, planned: PlannedStep) -> Step:
    with ctx.store.read() as uow:
        latest = uow.runs.latest_steps(ctx.run.id).get(planned.node_id)
    with ctx.store.write(ctx.actor) as uow:
        step = uow.runs.add_step(ctx.run.id, planned.node_id, target="orchestrator",
                                 attempt=1 if latest is None else latest.attempt + 1)
        return uow.runs.set_step_status(step.id, "running")


def _fail(ctx: RunContext, step: Step, error: str, status: str = "failed") -> StepResult:
    with ctx.store.write(ctx.actor) as uow:
        uow.runs.append_logs(step.id, [("stderr", error)])
        done = uow.runs.set_step_status(step.id, status, error=error)
    return StepResult(step.node_id, status, done, error)


def _evidence(ctx: RunContext, version: ModelVersion, refs: dict[str, list[Artifact]]) -> dict[str, Any]:
    """Frozen at request time (see ``orchestrator.evidence``)."""
    with ctx.store.read() as uow:
        return evidence.capture(uow, ctx.artifacts.path, version, refs)


def _with_policies(found: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The gate's policies and whether the evidence meets them (shown to the approver)."""
    minimum = float(params.get("min_parity_ratio") or 0.0)
    if minimum <= 0:
        return found
    fairness = found.get("fairness") or {}
    ratios = {column: report.get("demographic_parity_ratio") for column, report in fairness.items()}
    if not ratios:
        holds, detail = False, "no fairness figures: give the evaluate step sensitive_features"
    else:
        low = {c: r for c, r in ratios.items() if r is None or r < minimum}
        holds = not low
        detail = ", ".join(f"{c}: {'n/a' if r is None else f'{r:.3f}'}" for c, r in ratios.items())
    policy = {"name": f"demographic-parity ratio ≥ {minimum:g}", "holds": holds, "detail": detail}
    return {**found, "policies": [policy]}


def run_approval_gate(ctx: RunContext, planned: PlannedStep) -> StepResult:
    refs = input_refs(ctx, planned.node_id)
    step = _start_step(ctx, planned)
    try:
        artifact, version = _model_version(ctx, planned.node_id, refs)
    except LookupError as exc:
        return _fail(ctx, step, str(exc))
    params = ctx.params_of(planned.node_id)
    with ctx.store.write(ctx.actor) as uow:
        existing = [r for r in uow.approvals.all(status="open")
                    if r.run_id == ctx.run.id and r.node_id == planned.node_id and r.model_version_id == version.id]
        if existing:
            request = existing[0]
        else:
            hours = float(params.get("expires_after_hours") or 0)
            request = uow.approvals.request(
                model_version_id=version.id, run_id=ctx.run.id, node_id=planned.node_id,
                evidence=_with_policies({**_evidence(ctx, version, refs),
                                         # who may decide: the gate's role, checked by the services and the database
                                         "approver_role": str(params.get("approver_role") or "approver")},
                                        params),
                expires_at=now_ms() + int(hours * 3_600_000) if hours > 0 else None)
        uow.runs.set_step_status(step.id, "awaiting_approval", info={"approval_request_id": request.id})
        uow.runs.append_logs(step.id, [("stdout", f"waiting for approval request {request.id} "
                                                  f"({version.name} version {version.version})")])
        uow.runs.set_status(ctx.run.id, "awaiting_approval")
    while True:
        if ctx.cancel.is_set():
            with ctx.store.write(ctx.actor) as uow:
                done = uow.runs.set_step_status(step.id, "cancelled", error="cancelled while awaiting approval")
            return StepResult(planned.node_id, "cancelled", done, "cancelled")
        with ctx.store.write(ctx.actor) as uow:
            uow.approvals.expire_due()
            current = uow.approvals.get(request.id)
        if current.status == "open":
            time.sleep(ctx.poll_s)
            continue
        with ctx.store.write(ctx.actor) as uow:
            if uow.runs.get(ctx.run.id).status == "awaiting_approval":
                uow.runs.set_status(ctx.run.id, "running")
        decision = current.decision
        if current.status == "approved":
            from workbench.governance.decision_trust import untrusted_reason

            with ctx.store.read() as uow:
                distrust = untrusted_reason(uow, current)
            if distrust:
                return _fail(ctx, step, f"approval request {request.id} looks approved, but the run does not "
                                        f"trust it: {distrust}")
            with ctx.store.write(ctx.actor) as uow:
                uow.runs.add_outputs(step.id, {"model": [artifact.id]})
                uow.runs.append_logs(step.id, [("stdout", f"approved by {decision.decided_by}: {decision.reason}")])
                done = uow.runs.set_step_status(step.id, "succeeded", info={"approval_request_id": request.id,
                                                                             "approved_by": decision.decided_by})
            with ctx.lock:
                ctx.outputs[planned.node_id] = {"model": [artifact]}
            return StepResult(planned.node_id, "succeeded", done)
        if current.status == "rejected":
            return _fail(ctx, step, f"rejected by {decision.decided_by}: {decision.reason}", status="rejected")
        return _fail(ctx, step, f"approval request {request.id} expired before anyone decided")


def run_promote(ctx: RunContext, planned: PlannedStep) -> StepResult:
    refs = input_refs(ctx, planned.node_id)
    step = _start_step(ctx, planned)
    try:
        artifact, version = _model_version(ctx, planned.node_id, refs)
    except LookupError as exc:
        return _fail(ctx, step, str(exc))
    params = ctx.params_of(planned.node_id)
    name, alias = params.get("model_name") or version.name, params.get("alias") or "champion"
    if name != version.name:
        return _fail(ctx, step, f"node {planned.node_id!r}: the arriving model is {version.name!r}, "
                                f"but the node promotes {name!r}")
    refusal = _promotion_refused(ctx, version)
    from workbench.governance.decision_trust import approved, champion_refusal

    with ctx.store.read() as uow:
        is_approved = approved(uow, version.id)
    if refusal is None and alias == "champion" and not is_approved:
        refusal = champion_refusal(version.name, version.version)
    if refusal:
        return _fail(ctx, step, f"node {planned.node_id!r}: {refusal}")
    with ctx.store.write(ctx.actor) as uow:
        move = uow.models.set_alias(name, version.version, alias)
        if move.old_version_id is None:
            before = f"no version was {alias} before"
        elif move.old_version_id == version.id:
            before = "it already was"
        else:
            before = f"before: version {uow.models.get_by_id(move.old_version_id).version}"
        lines = [f"{name} version {version.version} is now {alias} ({before})"]
        if alias != "champion" and uow.models.by_alias(name, "champion") is None:
            # A model's first promoted version also becomes its champion — once approved: there
            # is nothing to compare a challenger with until a champion exists.
            if is_approved:
                uow.models.set_alias(name, version.version, "champion")
                lines.append(f"{name} had no champion yet: version {version.version} is its champion too")
            else:
                lines.append(f"{name} has no champion yet: version {version.version} becomes champion once a "
                             "risk officer approves it")
        uow.runs.add_outputs(step.id, {"model": [artifact.id]})
        uow.runs.append_logs(step.id, [("stdout", line) for line in lines])
        done = uow.runs.set_step_status(step.id, "succeeded", info={"alias": alias, "model_version_id": version.id,
                                                                     "previous_version_id": move.old_version_id})
    with ctx.lock:
        ctx.outputs[planned.node_id] = {"model": [artifact]}
    return StepResult(planned.node_id, "succeeded", done)


def _promotion_refused(ctx: RunContext, version: ModelVersion) -> str | None:
    """Why the run's starter may not promote ``version`` (None when they may): a graph promotes
    with its starter's rights, so the starter needs ``models.promote`` — unless the version
    was approved in a trusted decision (an approval gate upstream), which is the authority."""
    from workbench.governance.decision_trust import untrusted_reason
    from workbench.governance.permissions import allowed

    with ctx.store.read() as uow:
        starter = uow.users.find(ctx.actor)
        if starter is not None and starter.disabled_at is None and allowed(starter.roles, "models.promote"):
            return None
        approved = [r for r in uow.approvals.all(status="approved") if r.model_version_id == version.id]
        if any(untrusted_reason(uow, r) is None for r in approved):
            return None
    return (f"{ctx.actor} started this run and may not promote models (that needs the role engineer or "
            f"approver), and {version.name} version {version.version} has no approved request: put an "
            "approval gate before the promotion")


CONTROL_RUNNERS = {"approval_gate": run_approval_gate, "promote": run_promote}
