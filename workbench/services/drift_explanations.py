"""From an operator's drift alert to how the drifted features move predictions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.errors import InvalidInputError
from workbench.monitoring.multivariate import MULTIVARIATE_COLUMN
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.progress import Progress, quietly
from workbench.services.approvals import _production_datasets, _trained
from workbench.services.evaluation_child import evaluate
from workbench.services.identity import acting
from workbench.store import Store


@dataclass(frozen=True)
class FeatureDependence:
    feature: str
    reference_x: list[Any]
    reference_shap: list[float]
    current_x: list[Any]
    current_shap: list[float]
    mean_abs_reference: float
    mean_abs_current: float


@dataclass(frozen=True)
class DriftDrilldown:
    alert_id: int
    source: str
    model: str  # "name vversion"
    output: str  # what the SHAP values explain, e.g. "log-odds of 1"
    method: str
    n_reference: int
    n_current: int
    current_from: list[str]
    features: list[FeatureDependence] = field(default_factory=list)
    note: str = ""  # drifted columns the model does not use, and the like


def _drifted_columns(uow: Any, alert: Any) -> list[str]:
    rows = [r for r in uow.results.drift(alert.source) if r.column != "*"]
    seen = alert.last_seen_at or alert.created_at
    ends = sorted({r.window_end for r in rows})
    if not ends:
        return []
    before = [e for e in ends if e <= seen + 1]
    end = before[-1] if before else ends[-1]
    drifted = sorted((r for r in rows if r.window_end == end and r.drifted), key=lambda r: -abs(r.statistic))
    return list(dict.fromkeys(r.column for r in drifted))


def _subject(uow: Any, graph: str) -> tuple[Any, Any, Any, list[Any]]:
    """The champion trained by ``graph``, its artifact and training data, and the newest
    production datasets of the graph's runs."""
    champions = [v for v in uow.models.all() if (v.lineage or {}).get("graph") == graph and "champion" in v.aliases]
    if not champions:
        raise InvalidInputError(f"graph {graph!r} has no champion model to explain", where="drift drill-down",
                                hint="promote a model of this graph to champion first")
    version = max(champions, key=lambda v: v.id)
    _, model, dataset = _trained(uow, version.id)
    production: list[Any] = []
    for run in uow.runs.all(limit=200):
        if run.graph_version_id is None or uow.graphs.get(run.graph_version_id).name != graph:
            continue
        production = _production_datasets(uow, run.id)
        if production:
            break
    return version, model, dataset, production


def drift_drilldown(store: Store, actor: str, alert_id: int, *, progress: Progress | None = None,
                    rows: int = 150) -> DriftDrilldown:
    """How the features a drift alert flagged move the champion's predictions, then and now.

    For a drift alert it finds the drifted features (the columns its source flagged in the window
    the alert was last seen in: the latest window at or before it); the model (the champion of the
    model the alert's graph trains, the newest such version); the reference rows (that model's
    hold-out rows of its training data) and the current rows (the latest rows the graph's inference
    steps scored in its newest run that read data). It computes the champion's SHAP values on a
    seeded sample of each (the same background of reference rows for both) in the evaluation child
    process (model files are untrusted input), and returns, per drifted feature, the dependence —
    feature value against its SHAP value — on both, and the mean |SHAP| on each.

    Slow: call it off the UI thread; ``progress`` hears the steps and may cancel (which kills the
    child).
    """
    progress = quietly(progress)
    progress.step(0, 0, "finding the drifted features, the model and its data")
    with store.read() as uow:
        acting(uow, actor)
        alert = next((a for a in uow.alerts.all() if a.id == alert_id), None)
        if alert is None or alert.kind != "drift":
            raise InvalidInputError(f"alert {alert_id} is not a drift alert", where="drift drill-down",
                                    hint="choose an alert of kind 'drift'")
        drifted = _drifted_columns(uow, alert)
        version, model, dataset, production = _subject(uow, alert.source.split("/", 1)[0])
    if dataset is None or not production:
        raise InvalidInputError(f"{version.name} v{version.version}: no "
                                + ("training data" if dataset is None else "production data scored by the graph")
                                + " to compare", where="drift drill-down", hint="run the graph once more")
    artifacts = ArtifactStore.for_store(store.url)
    job = {"kind": "drift_explain", "artifact_root": str(artifacts.root), "rows": int(rows),
           "model": {"path": str(artifacts.path(model.sha256)), "sha256": model.sha256,
                     "meta": model.lineage.get("meta", {})},
           "reference": str(artifacts.path(dataset.sha256)),
           "current": [str(artifacts.path(a.sha256)) for a in production], "columns": drifted}
    found = evaluate(job, progress, where=f"the drift drill-down of alert {alert_id}")
    joint = MULTIVARIATE_COLUMN in drifted
    drifted = [c for c in drifted if c != MULTIVARIATE_COLUMN]
    unused = [c for c in drifted if c not in found["features"]]
    shown = drifted + [c for c in found["features"] if c not in drifted]
    notes = ([f"drifted but not used by the model: {', '.join(unused)}"] if unused else []) + \
        (["the columns drifted together (multivariate test): every feature the model uses is shown"]
         if joint else []) + ([] if drifted or joint else ["no drifted feature recorded for this alert's window"])
    return DriftDrilldown(
        alert_id=alert_id, source=alert.source, model=f"{version.name} v{version.version}", output=found["output"],
        method=found["method"], n_reference=found["n_reference"], n_current=found["n_current"],
        current_from=[str(a.lineage.get("meta", {}).get("source") or a.sha256[:12]) for a in production],
        features=[FeatureDependence(c, **found["features"][c]) for c in shown if c in found["features"]],
        note="; ".join(notes))
