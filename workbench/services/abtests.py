"""A/B test results for the operator: the latest result of every ``ab_test`` node of recent
runs, read from the metrics file each step wrote (the decision in words, the effect with its
confidence interval, the p-value and the smallest effect the test could find)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from workbench.graph import loads
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.services.identity import acting
from workbench.store import Store

__all__ = ["ABResult", "ab_results"]


@dataclass(frozen=True)
class ABResult:
    run_id: int
    graph: str
    node_id: str
    finished_at: int | None
    figures: dict[str, Any]

    @property
    def decision(self) -> str:
        """The test's decision in words (empty when the step wrote none)."""
        return str(self.figures.get("decision", ""))


def ab_results(store: Store, actor: str, *, runs: int = 200) -> list[ABResult]:
    """Newest first: one entry per ``ab_test`` step that succeeded in the last ``runs`` runs."""
    artifacts = ArtifactStore.for_store(store.url)
    found: list[ABResult] = []
    with store.read() as uow:
        acting(uow, actor)
        for run in uow.runs.all(limit=runs):
            if run.graph_version_id is None:
                continue
            version = uow.graphs.get(run.graph_version_id)
            if "kind: ab_test" not in version.text:
                continue
            graph = loads(version.text, f"graph {version.name!r}", strict=False)
            for node_id, step in uow.runs.latest_steps(run.id).items():
                node = graph.nodes.get(node_id)
                if node is None or node.kind != "ab_test" or step.status != "succeeded":
                    continue
                first = next(iter(uow.runs.outputs(step.id).get("metrics", ())), None)
                if first is None:
                    continue
                artifact = uow.artifacts.get(first)
                try:
                    figures = json.loads(artifacts.path(artifact.sha256).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                found.append(ABResult(run.id, version.name, node_id, step.finished_at, figures))
    return sorted(found, key=lambda r: (r.finished_at or 0, r.run_id), reverse=True)
