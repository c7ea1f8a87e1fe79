"""What a risk officer sees before deciding: the request's evidence, the candidate's lineage,
earlier decisions on the same model, and (computed on demand) feature importances."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.orchestrator.artifacts import ArtifactStore
from workbench.services.identity import acting
from workbench.store import Store
from workbench.store.entities import ApprovalRequest


@dataclass(frozen=True)
class ApprovalDetails:
    request: ApprovalRequest
    candidate: dict[str, Any]
    champion: dict[str, Any] | None
    deltas: dict[str, float]
    evaluation: dict[str, Any]
    datasets: list[dict[str, Any]]
    lineage: dict[str, Any]
    history: list[ApprovalRequest] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    can_decide: bool = False
    why_not: str = ""


def details(store: Store, actor: str, request_id: int) -> ApprovalDetails:
    with store.read() as uow:
        user = acting(uow, actor)
        request = uow.approvals.get(request_id)
        evidence = request.evidence
        name = evidence.get("model", {}).get("name")
        history = [r for r in uow.approvals.list()
                   if r.id != request.id and r.evidence.get("model", {}).get("name") == name and r.decision]
        graph = evidence.get("model", {}).get("lineage", {}).get("graph")
        drift_rows = [{"source": d.source, "column": d.column, "method": d.method, "statistic": d.statistic,
                       "threshold": d.threshold, "drifted": d.drifted, "window_end": d.window_end}
                      for d in (uow.results.latest_drift(f"{graph}/") if graph else [])]
    why_not = ""
    if "approver" not in user.roles:
        why_not = "only a user with the approver role decides"
    elif request.requested_by == user.name:
        why_not = "you requested this approval; another approver must decide"
    elif request.status != "open":
        why_not = f"this request is {request.status}"
    return ApprovalDetails(
        request=request, candidate=evidence.get("model", {}), champion=evidence.get("champion"),
        deltas=evidence.get("deltas", {}), evaluation=evidence.get("evaluation", {}),
        datasets=evidence.get("datasets", []), lineage=evidence.get("model", {}).get("lineage", {}),
        history=history, drift=drift_rows, can_decide=not why_not, why_not=why_not)


def importances(store: Store, actor: str, request_id: int) -> list[Any]:
    """Permutation importances of the candidate on its hold-out rows (slow: call off the UI thread)."""
    from workbench.engines.runtime.explain import permutation_importance

    with store.read() as uow:
        acting(uow, actor)
        request = uow.approvals.get(request_id)
        version = uow.models.get_by_id(request.model_version_id)
        model = uow.artifacts.get(version.artifact_id)
        datasets = [a for a in uow.artifacts.ancestry(model.id) if a.kind == "dataset"]
    if not datasets:
        return []
    artifacts = ArtifactStore.for_store(store.url)
    return permutation_importance(artifacts.path(model.sha256), model.sha256, model.lineage.get("meta", {}),
                                  artifacts.path(datasets[0].sha256), artifacts.root)
