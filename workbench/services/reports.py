"""Reports for governance: the model card of a model version (``workbench report model``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from workbench.governance.model_card import CardFacts, bootstrap_metrics, write
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.progress import Cancelled, Progress
from workbench.services.identity import acting
from workbench.services.kpis import impact_lines, model_impacts
from workbench.store import Store


def _data_summary(frame: Any, limit: int = 40) -> list[dict[str, Any]]:
    rows = []
    for column in list(frame.columns)[:limit]:
        series = frame[column]
        entry: dict[str, Any] = {"column": column, "type": str(series.dtype),
                                 "missing": int(series.isna().sum())}
        if series.dtype.kind in "biuf":
            entry.update(mean=f"{series.mean():.4g}", std=f"{series.std():.4g}", min=f"{series.min():.4g}",
                         max=f"{series.max():.4g}")
        rows.append(entry)
    return rows


def model_card_facts(store: Store, actor: str, name: str, version: int, *,
                     progress: Progress | None = None) -> CardFacts:
    """Everything the model card states, gathered for ``name`` version ``version``.

    Reads lineage, approvals, deployments, drift, canary, audit and the KPI impact of the model's
    deployments (``services.kpis.impact``) from the store, and recomputes hold-out metrics with
    bootstrap intervals, permutation importances and SHAP explanations from the verified artifacts.
    """
    import pandas as pd

    from workbench.engines.runtime.explain import permutation_importance
    from workbench.engines.runtime.models import load_model
    from workbench.engines.runtime.split import split_mask

    artifacts = ArtifactStore.for_store(store.url)
    with store.read() as uow:
        user = acting(uow, actor)
        model = uow.models.get(name, version)
        model_artifact = uow.artifacts.get(model.artifact_id) if model.artifact_id else None
        chain = uow.artifacts.ancestry(model_artifact.id) if model_artifact else []
        approvals = [r for r in uow.approvals.all()
                     if r.model_version_id == model.id or r.evidence.get("model", {}).get("name") == name]
        deployments = uow.models.deployments(name)
        graph = model.lineage.get("graph")
        sources = {d.node_id for d in deployments}
        drift = [d for s in sorted(sources) for d in uow.results.drift(s)]
        if not drift and graph:
            drift = uow.results.latest_drift(f"{graph}/")[::-1]
        divergence = uow.results.latest_divergence(f"{graph}/") if graph else []
        subjects = {f"model:{name}/{version}"} | {f"approval:{a.id}" for a in approvals} | \
                   {f"node:{d.node_id}" for d in deployments}
        audit = [e for e in uow.audit.all(limit=1_000_000) if e.subject in subjects]
    datasets = [{"source": a.lineage.get("meta", {}).get("source"), "source_sha256": a.lineage.get("meta", {}).get(
        "source_sha256"), "rows": a.lineage.get("meta", {}).get("rows"), "sha256": a.sha256}
        for a in chain if a.kind == "dataset"]
    notes: list[str] = []
    summary: list[dict[str, Any]] = []
    metrics_ci: dict[str, tuple[float, float, float]] = {}
    importances: list[Any] = []
    explanation: dict[str, Any] | None = None
    dataset = next((a for a in chain if a.kind == "dataset"), None)
    damaged = artifacts.problem(dataset.sha256) if dataset is not None else ""
    if model_artifact is not None and dataset is not None and not damaged:
        meta = model_artifact.lineage.get("meta", {})
        try:
            frame = pd.read_parquet(artifacts.path(dataset.sha256))
            summary = _data_summary(frame)
            predictor = load_model(artifacts.path(model_artifact.sha256), model_artifact.sha256, meta, artifacts.root)
            split = meta.get("split") or {}
            test = frame[split_mask(frame["row_id"].to_numpy(), float(split.get("test_fraction", 0.2)),
                                    int(split.get("seed", 0)))] if "row_id" in frame else frame
            target = meta.get("target")
            if predictor.task == "classification" and target in test:
                predicted, scores = predictor.predict_and_score(test)
                metrics_ci = bootstrap_metrics(test[target].to_numpy(), predicted,
                                               scores if len(predictor.classes) == 2 else None)
            else:
                notes.append("metric intervals are computed for classifiers only")
            importances = permutation_importance(artifacts.path(model_artifact.sha256), model_artifact.sha256, meta,
                                                 artifacts.path(dataset.sha256), artifacts.root, progress=progress)
            explanation = _explanation(predictor, test.head(2000), progress, notes)
        except Cancelled:
            raise
        except Exception as exc:  # the card still renders; it says what could not be computed
            notes.append(f"hold-out figures could not be computed: {exc}")
    elif damaged and artifacts.has(dataset.sha256):
        notes.append(f"the training data (dataset artifact {dataset.id}) was not used: {damaged}; "
                     "hold-out figures are omitted")
    else:
        notes.append("the training data artifact is not available here; hold-out figures are omitted")
    if np.isnan([v[0] for v in metrics_ci.values()]).any() if metrics_ci else False:
        notes.append("some metrics are undefined on the hold-out rows")
    kpi_impact = [(series.name, impact_lines(result, series.unit)) for series, result in model_impacts(store, actor, name)]
    return CardFacts(model=model, datasets=datasets, data_summary=summary, metrics_ci=metrics_ci,
                     importances=importances, approvals=approvals, deployments=deployments, drift=drift,
                     divergence=divergence, audit=audit, generated_by=user.name, notes=notes,
                     kpi_impact=kpi_impact, explanation=explanation)


def _explanation(predictor: Any, rows: Any, progress: Progress | None, notes: list[str]) -> dict[str, Any] | None:
    """SHAP summary of the model on its hold-out rows (``explain.shap_explanation``), or a note."""
    from workbench.engines.runtime.explain import shap_explanation
    from workbench.errors import InvalidInputError

    try:
        return dict(shap_explanation(predictor, rows, max_rows=100, n_background=30,
                                     progress=progress).to_json(per_row=False))
    except InvalidInputError as exc:
        notes.append(f"no explanation: {exc.message}")
        return None


def write_model_card(store: Store, actor: str, name: str, version: int, path: str | Path, *,
                     progress: Progress | None = None) -> Path:
    """Write the self-contained HTML card (``governance.model_card``); ``progress`` reports the
    importances step by step, and a cancelled card writes no file."""
    return write(model_card_facts(store, actor, name, version, progress=progress), Path(path))
