"""What the demo owns in a store, and the summary of a demo that is already there.

The demo acts only on what it created: runs started by its scientist (``demo-scientist``) —
the ones it starts and the ones its alerts trigger —, the approval requests of those runs, and
its two people. A person's own runs, requests and users are never read for a decision, never
decided and never edited.

A store holds the demo once any run of the demo's scientist exists. Building it a second
time is refused: the demo's story (run ids, request ids, the simulated calendar) is told
once per store. The summary of an existing demo is rebuilt from the store, with the run
descriptions the first build saved beside its files (``summary.json``).

Removing the demo from a store (``--reset``) is refused on purpose: its approval decisions
are signed and its runs, promotions and decisions are entries of the audit trail, which only
grows — deleting them would leave the trail pointing at things that are gone and would break
the lineage of anything a person built on the demo's models. A fresh demo goes into a new
store (``workbench --store sqlite:////path/new.db demo``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workbench.demo.scenario import MODEL

if TYPE_CHECKING:
    from workbench.demo.run import DemoSummary
    from workbench.store import Store
    from workbench.store.entities import Run

SCIENTIST, RISK_OFFICER = "demo-scientist", "demo-risk-officer"
DRIFT_SOURCE, CANARY_SOURCE = "Credit default demo/live drift", "Credit default demo/live canary"
DEPLOYMENT_NODE = "Credit default demo/champion"
SUMMARY_FILE = "summary.json"


def demo_runs(uow: Any) -> list[Run]:
    """The demo's runs (started by its scientist), oldest first."""
    return sorted((r for r in uow.runs.all(limit=100_000) if r.started_by == SCIENTIST), key=lambda r: r.id)


def demo_requests(uow: Any, status: str | None = None) -> list[Any]:
    """Approval requests of the demo's own runs; a person's requests are never among them."""
    ours = {r.id for r in demo_runs(uow)}
    return [r for r in uow.approvals.all(status=status) if r.run_id in ours]


def save_summary(summary: DemoSummary) -> None:
    """Keep what the demo did beside its files, for a later ``workbench demo`` on this store."""
    data = {"store": summary.store, "folder": summary.folder, "runs": summary.runs, "alerts": summary.alerts,
            "deployments": summary.deployments, "kpi_impact": summary.kpi_impact, "replay": summary.replay,
            "model_card": summary.model_card}
    (Path(summary.folder) / SUMMARY_FILE).write_text(json.dumps(data, indent=2), encoding="utf-8")


def existing_demo(store: Store) -> DemoSummary | None:
    """The summary of the demo already in ``store``, or ``None`` when the store has none."""
    from workbench.demo.run import DemoSummary

    with store.read() as uow:
        runs = demo_runs(uow)
        if not runs:
            return None
        alerts = [a for a in uow.alerts.all() if a.source in (DRIFT_SOURCE, CANARY_SOURCE, DEPLOYMENT_NODE)]
        deployments = [d for d in uow.models.deployments(MODEL) if d.node_id == DEPLOYMENT_NODE]
        versions = {v.id: v.version for v in uow.models.all(MODEL)}
        champion = uow.models.by_alias(MODEL, "champion")
    graph_path = next((r.params.get("graph_path") for r in runs if r.params.get("graph_path")), "")
    folder = Path(graph_path).parent if graph_path else Path("")
    saved: dict[str, Any] = {}
    try:
        saved = json.loads((folder / SUMMARY_FILE).read_text(encoding="utf-8")) if graph_path else {}
    except (OSError, ValueError):
        saved = {}
    described = {int(i): what for i, _, what in saved.get("runs", [])}
    summary = DemoSummary(store.display_url, str(folder), already_built=True)
    summary.runs = [(r.id, r.status, described.get(r.id, f"started by {r.trigger}")) for r in runs]
    summary.alerts = saved.get("alerts") or [f"{a.kind}: {a.message}" for a in alerts]
    summary.deployments = saved.get("deployments") or [
        f"{MODEL} version {versions.get(d.new_version_id, '?')} became the champion" for d in deployments]
    summary.kpi_impact = saved.get("kpi_impact", [])
    summary.replay = saved.get("replay", "")
    card = folder / "model_card.html"
    summary.model_card = str(card) if graph_path and card.exists() else (
        f"not written (the champion is version {champion.version})" if champion else "not written")
    return summary
