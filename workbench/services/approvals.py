"""What a risk officer sees before deciding: the request's evidence, the candidate's lineage,
earlier decisions on the same model, and (computed on demand, cancellable) feature
importances and label-free performance estimates on production data.

Label-free estimates (``label_free``) answer "how will these models do on the data the
application scores now, before its labels arrive": each binary classifier (the candidate and
the current champion) gets a CBPE estimator calibrated on its own hold-out rows (labels
known), then scores the production data — the datasets that feed the graph's inference
steps in the request's run — and CBPE turns its probabilities into expected accuracy,
precision, recall, F1 and ROC AUC. The realised metrics on the hold-out rows stand beside
them, so a drop from test to production shows before any label does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.errors import WorkbenchError
from workbench.governance.evidence import DatasetRef, Evidence, ModelSummary
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.progress import Progress, quietly
from workbench.services.evaluation_child import evaluate
from workbench.services.identity import acting
from workbench.store import Store
from workbench.store.entities import ApprovalRequest


@dataclass(frozen=True)
class ApprovalDetails:
    request: ApprovalRequest
    evidence: Evidence
    candidate: ModelSummary
    champion: ModelSummary | None
    deltas: dict[str, float]
    evaluation: dict[str, Any]
    datasets: tuple[DatasetRef, ...]
    lineage: dict[str, Any]
    history: list[ApprovalRequest] = field(default_factory=list)
    drift: list[dict[str, Any]] = field(default_factory=list)
    can_decide: bool = False
    why_not: str = ""
    # frozen with the request (``orchestrator.evidence``); the matrices of older requests are
    # read from the models' immutable training metrics files
    candidate_matrix: dict[str, Any] | None = None
    champion_matrix: dict[str, Any] | None = None
    captured_at: int | None = None
    candidate_is_champion: bool = False


def details(store: Store, actor: str, request_id: int) -> ApprovalDetails:
    with store.read() as uow:
        user = acting(uow, actor)
        request = uow.approvals.get(request_id)
        evidence = Evidence.from_json(request.evidence)
        name = evidence.model.name
        history = [r for r in uow.approvals.all()
                   if r.id != request.id and Evidence.from_json(r.evidence).model.name == name and r.decision]
        graph = evidence.model.lineage.get("graph")
        drift_rows = [{"source": d.source, "column": d.column, "method": d.method, "statistic": d.statistic,
                       "threshold": d.threshold, "drifted": d.drifted, "window_end": d.window_end}
                      for d in (uow.results.latest_drift(f"{graph}/") if graph else [])]
        matrices = _matrices(uow, store, evidence)
    champion_id = evidence.champion.id if evidence.champion is not None else None
    why_not = ""
    if "approver" not in user.roles:
        why_not = "only a user with the approver role decides"
    elif evidence.approver_role not in user.roles:
        why_not = f"this gate is decided by the role {evidence.approver_role}, which you do not hold"
    elif request.requested_by == user.name:
        why_not = "you requested this approval; another approver must decide"
    elif request.status != "open":
        why_not = f"this request is {request.status}"
    return ApprovalDetails(
        request=request, evidence=evidence, candidate=evidence.model, champion=evidence.champion,
        deltas=evidence.deltas, evaluation=evidence.evaluation,
        datasets=evidence.datasets, lineage=evidence.model.lineage,
        history=history, drift=drift_rows, can_decide=not why_not, why_not=why_not,
        candidate_matrix=matrices[0], champion_matrix=matrices[1], captured_at=evidence.captured_at,
        candidate_is_champion=champion_id is not None and champion_id == evidence.model.id)


def _matrices(uow: Any, store: Store, evidence: Evidence) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The candidate's and the champion's confusion matrices: as captured with the request,
    else from each model's training metrics file (content-addressed, so as it was)."""
    from workbench.orchestrator.evidence import training_report

    found: list[dict[str, Any] | None] = []
    path_of = None
    for part, summary in (("model", evidence.model), ("champion", evidence.champion)):
        matrix = summary.confusion_matrix if summary is not None else None
        if part == "model":
            captured = evidence.evaluation.get("confusion_matrix")
            matrix = dict(captured) if isinstance(captured, dict) and captured else matrix
        if not matrix and summary is not None and summary.id is not None:
            try:
                version = uow.models.get_by_id(summary.id)
            except WorkbenchError:
                version = None
            if version is not None:
                path_of = path_of or ArtifactStore.for_store(store.url).path
                report = training_report(uow, path_of, version).get("confusion_matrix")
                matrix = report if isinstance(report, dict) else None
        found.append(matrix or None)
    return found[0], found[1]


def importances(store: Store, actor: str, request_id: int, *,
                progress: Progress | None = None) -> list[Any]:
    """Permutation importances of the candidate on its hold-out rows (slow: call off the UI
    thread; ``progress`` reports a step per feature; cancelling kills the evaluation process).
    The model is loaded and scored in a child process (``services.evaluation_child``)."""
    from workbench.engines.runtime.explain import Importance

    with store.read() as uow:
        acting(uow, actor)
        _, model, dataset = _trained(uow, uow.approvals.get(request_id).model_version_id)
    if dataset is None:
        return []
    artifacts = ArtifactStore.for_store(store.url)
    job = {"kind": "importances", "artifact_root": str(artifacts.root), "data_path": str(artifacts.path(dataset.sha256)),
           "model": {"path": str(artifacts.path(model.sha256)), "sha256": model.sha256,
                     "meta": model.lineage.get("meta", {})}}
    items = evaluate(job, progress, where=f"feature importances of approval request {request_id}")
    return [Importance(i["feature"], i["mean"], i["std"]) for i in items]


def _trained(uow: Any, version_id: int) -> tuple[Any, Any, Any]:
    """A model version, its model artifact and the dataset it was trained on (or None)."""
    version = uow.models.get_by_id(int(version_id))
    model = uow.artifacts.get(version.artifact_id)
    dataset = next((a for a in uow.artifacts.ancestry(model.id) if a.kind == "dataset"), None)
    return version, model, dataset


@dataclass(frozen=True)
class LabelFreeModel:
    role: str  # "candidate" or "champion"
    version: int
    calibration: str  # binary CBPE's choice on the hold-out rows: "isotonic" or "none" ("" otherwise)
    estimated: dict[str, float]  # on the production rows, without labels
    holdout: dict[str, float]  # realised on the model's own labelled hold-out rows
    n_holdout: int
    method: str = "CBPE"  # CBPE (binary), multiclass CBPE, or DLE (regression)


@dataclass(frozen=True)
class LabelFree:
    production: list[str]  # where the production rows came from
    n_rows: int
    models: list[LabelFreeModel] = field(default_factory=list)
    note: str = ""  # why a model (or everything) has no estimate


def _production_datasets(uow: Any, run_id: int | None) -> list[Any]:
    """Dataset artifacts the run's inference steps score (their ``data`` inputs' outputs); none
    for a request made outside a run."""
    from workbench.graph import loads

    if run_id is None:
        return []
    run = uow.runs.get(run_id)
    if run.graph_version_id is None:
        return []
    version = uow.graphs.get(run.graph_version_id)
    graph = loads(version.text, f"graph version {version.id}", strict=False)
    feeders = {e.src_node for e in graph.edges
               if e.dst_port == "data" and graph.nodes[e.dst_node].kind == "inference"}
    steps = uow.runs.latest_steps(run_id)
    found = []
    for node_id in sorted(feeders):
        step = steps.get(node_id)
        if step is None or step.status != "succeeded":
            continue
        for ids in uow.runs.outputs(step.id).values():
            found += [a for a in (uow.artifacts.get(i) for i in ids) if a.kind == "dataset"]
    return found


def label_free(store: Store, actor: str, request_id: int, *, progress: Progress | None = None,
               max_rows: int = 20_000) -> LabelFree:
    """CBPE estimates of the candidate and the champion on production data (see the module
    docstring); slow, so call it off the UI thread. Models that are not binary classifiers, or
    have no labelled hold-out rows, are named in ``note`` instead. The models are loaded and
    scored in a child process (``services.evaluation_child``); cancelling kills it."""
    progress = quietly(progress)
    progress.step(0, 0, "finding the production data")
    with store.read() as uow:
        acting(uow, actor)
        request = uow.approvals.get(request_id)
        champion = Evidence.from_json(request.evidence).champion
        champion_id = champion.id if champion is not None else None
        subjects = []
        for role, version_id in (("candidate", request.model_version_id), ("champion", champion_id)):
            if version_id is not None:
                subjects.append((role, *_trained(uow, version_id)))
        production = _production_datasets(uow, request.run_id)
    if not production:
        return LabelFree([], 0, note="no production data: the request was made outside a run"
                         if request.run_id is None else
                         "no production data: the graph's inference steps have not read any data in this run")
    artifacts = ArtifactStore.for_store(store.url)
    where = [str(a.lineage.get("meta", {}).get("source") or f"dataset {a.sha256[:12]}") for a in production]
    job = {"kind": "label_free", "artifact_root": str(artifacts.root), "max_rows": int(max_rows),
           "production": [str(artifacts.path(a.sha256)) for a in production],
           "subjects": [{"role": role, "version": version.version,
                         "model": {"path": str(artifacts.path(model.sha256)), "sha256": model.sha256,
                                   "meta": model.lineage.get("meta", {})},
                         "dataset": None if dataset is None else str(artifacts.path(dataset.sha256))}
                        for role, version, model, dataset in subjects]}
    found = evaluate(job, progress, where=f"label-free estimates of approval request {request_id}")
    results = [LabelFreeModel(m["role"], m["version"], m["calibration"], m["estimated"], m["holdout"],
                              m["n_holdout"], m.get("method", "CBPE")) for m in found["models"]]
    return LabelFree(where, found["n_rows"], results, "; ".join(found["notes"]))


@dataclass(frozen=True)
class ModelExplanation:
    role: str  # "candidate" or "champion"
    version: int
    method: str = ""
    outputs: tuple[str, ...] = ()
    summary: tuple[dict[str, Any], ...] = ()  # {"feature", "mean_abs", "direction"}, most important first
    note: str = ""  # why there is no explanation


@dataclass(frozen=True)
class Explanations:
    n_rows: int  # hold-out rows the samples were drawn from
    models: list[ModelExplanation] = field(default_factory=list)


def _subjects(uow: Any, request: ApprovalRequest) -> list[tuple[str, Any, Any, Any]]:
    champion = Evidence.from_json(request.evidence).champion
    champion_id = champion.id if champion is not None else None
    found = []
    for role, version_id in (("candidate", request.model_version_id), ("champion", champion_id)):
        if version_id is not None and not (role == "champion" and version_id == request.model_version_id):
            found.append((role, *_trained(uow, version_id)))
    return found


def _model_job(artifacts: ArtifactStore, model: Any) -> dict[str, Any]:
    return {"path": str(artifacts.path(model.sha256)), "sha256": model.sha256, "meta": model.lineage.get("meta", {})}


def explanations(store: Store, actor: str, request_id: int, *, progress: Progress | None = None) -> Explanations:
    """Global SHAP summaries (mean |SHAP| per feature, and its direction) of the candidate and
    the champion, both on the same sample of the candidate's hold-out rows; slow, so call it off
    the UI thread. The models are loaded and scored in a child process; cancelling kills it."""
    with store.read() as uow:
        acting(uow, actor)
        subjects = _subjects(uow, uow.approvals.get(request_id))
    dataset = subjects[0][3] if subjects else None
    if dataset is None:
        return Explanations(0, [ModelExplanation("candidate", 0, note="the candidate has no training dataset "
                                                                        "to explain it on")])
    artifacts = ArtifactStore.for_store(store.url)
    job = {"kind": "explanations", "artifact_root": str(artifacts.root), "data_path": str(artifacts.path(dataset.sha256)),
           "subjects": [{"role": role, "version": version.version, "model": _model_job(artifacts, model)}
                        for role, version, model, _ in subjects]}
    found = evaluate(job, progress, where=f"explanations of approval request {request_id}")
    return Explanations(found["n_rows"], [
        ModelExplanation(m["role"], m["version"], m.get("method", ""), tuple(m.get("outputs", ())),
                         tuple(m.get("summary", ())), m.get("note", "")) for m in found["models"]])


def _evaluation_data(uow: Any, request: ApprovalRequest) -> Any:
    """The dataset the evaluate step feeding the gate's ``metrics`` port scored (or None, also
    for a request made outside a run)."""
    from workbench.graph import loads

    if request.run_id is None:
        return None
    run = uow.runs.get(request.run_id)
    if run.graph_version_id is None:
        return None
    version = uow.graphs.get(run.graph_version_id)
    graph = loads(version.text, f"graph version {version.id}", strict=False)
    feeders = [e.src_node for e in graph.edges if e.dst_node == request.node_id and e.dst_port == "metrics"]
    steps = uow.runs.latest_steps(request.run_id)
    for node_id in feeders:
        step = steps.get(node_id)
        for artifact_id in (uow.runs.outputs(step.id).get("metrics", []) if step is not None else []):
            for parent in uow.artifacts.get(artifact_id).inputs:
                artifact = uow.artifacts.get(parent)
                if artifact.kind == "dataset":
                    return artifact
    return None


def champion_fairness(store: Store, actor: str, request_id: int, *,
                      progress: Progress | None = None) -> dict[str, Any]:
    """The champion's fairness figures on the rows the candidate's were measured on (the
    evaluate step's data, its hold-out rows when it is the candidate's training data), for the
    sensitive columns the request's evidence names; {} without a champion or figures."""
    with store.read() as uow:
        acting(uow, actor)
        request = uow.approvals.get(request_id)
        columns = Evidence.from_json(request.evidence).fairness_columns
        subjects = dict((role, (version, model, dataset)) for role, version, model, dataset
                        in _subjects(uow, request))
        data = _evaluation_data(uow, request) if columns and "champion" in subjects else None
    if data is None:
        return {}
    _, candidate, _ = subjects["candidate"]
    _, champion, _ = subjects["champion"]
    meta = candidate.lineage.get("meta", {})
    data_meta = data.lineage.get("meta", {})
    same = (data.sha256 == meta.get("data_sha256")
            or (data_meta.get("source_sha256") and data_meta.get("source_sha256") == meta.get("source_sha256")))
    artifacts = ArtifactStore.for_store(store.url)
    job = {"kind": "fairness", "artifact_root": str(artifacts.root), "data_path": str(artifacts.path(data.sha256)),
           "model": _model_job(artifacts, champion), "columns": columns, "target": meta.get("target"),
           "split_meta": meta if same else None, "seed": Evidence.from_json(request.evidence).seed}
    result: dict[str, Any] = evaluate(job, progress, where=f"the champion's fairness for approval request {request_id}")
    return result
