"""The evidence an approval request carries, frozen when the request is made.

Rules: everything a risk officer compares is captured at request time and stored with the
request (the ``evidence`` JSON): the candidate's summary, metrics and confusion matrix, and
the champion *of that moment* with the same — so a request decided later still shows what
the decision was made against, whatever the champion is today. ``candidate_is_champion``
says when the candidate already was the champion (a re-run that produced the same model).

Where the confusion matrix comes from: an ``evaluate`` step feeding the gate's ``metrics``
port if there is one, else the training step's own metrics file (every classifier's
training step writes its hold-out confusion matrix there; only scalars reach the model
version's metrics). ``training_report`` reads that file for any model version, so requests
stored before the matrix was captured can still show the matrix of the immutable file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from workbench.store import now_ms
from workbench.store.entities import Artifact, ModelVersion

PathOf = Callable[[str], Path]


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def training_report(uow: Any, path_of: PathOf, version: ModelVersion) -> dict[str, Any]:
    """The metrics file the training step of ``version`` wrote ({} when there is none)."""
    if version.artifact_id is None:
        return {}
    model = uow.artifacts.get(version.artifact_id)
    if model.producer_step_id is None:
        return {}
    for artifact_id in uow.runs.outputs(model.producer_step_id).get("metrics", []):
        artifact = uow.artifacts.get(artifact_id)
        if artifact.kind == "metrics":
            return _read_json(path_of(artifact.sha256))
    return {}


def _summary(uow: Any, path_of: PathOf, version: ModelVersion) -> dict[str, Any]:
    report = training_report(uow, path_of, version)
    return {"name": version.name, "version": version.version, "id": version.id,
            "metrics": dict(version.metrics), "trained_by": version.created_by,
            "trained_at": version.created_at, "confusion_matrix": report.get("confusion_matrix")}


def capture(uow: Any, path_of: PathOf, version: ModelVersion, refs: dict[str, list[Artifact]]) -> dict[str, Any]:
    """The evidence of a request for ``version`` arriving with ``refs`` (the gate's inputs)."""
    champion = uow.models.by_alias(version.name, "champion")
    ancestry = uow.artifacts.ancestry(refs["model"][0].id)
    evaluation: dict[str, Any] = {}
    for artifact in refs.get("metrics", []):
        evaluation = _read_json(path_of(artifact.sha256))
    candidate = _summary(uow, path_of, version)
    candidate["metrics"] = {**version.metrics,
                            **{k: v for k, v in evaluation.items()
                               if isinstance(v, int | float) and not isinstance(v, bool)}}
    if evaluation.get("confusion_matrix"):
        candidate["confusion_matrix"] = evaluation["confusion_matrix"]
    candidate["lineage"] = version.lineage
    deltas: dict[str, float] = {}
    champion_summary = None
    if champion is not None:
        champion_summary = _summary(uow, path_of, champion)
        deltas = {k: candidate["metrics"][k] - v for k, v in champion.metrics.items()
                  if isinstance(v, int | float) and isinstance(candidate["metrics"].get(k), int | float)}
    datasets = [{"artifact_id": a.id, "sha256": a.sha256,
                 "source": a.lineage.get("meta", {}).get("source"),
                 "source_sha256": a.lineage.get("meta", {}).get("source_sha256"),
                 "rows": a.lineage.get("meta", {}).get("rows")} for a in ancestry if a.kind == "dataset"]
    return {"captured_at": now_ms(), "model": candidate, "champion": champion_summary,
            "fairness": evaluation.get("fairness") or {},
            "candidate_is_champion": champion is not None and champion.id == version.id,
            "deltas": deltas, "evaluation": evaluation, "datasets": datasets}
