"""The example graph docs/examples/pricing_ab_drift.yaml run from the CLI into a fresh store:
the A/B test records a decision, and the multivariate (PCA) drift flags the re-paired second
half while the per-column KS tests stay quiet, and its two flagged windows in a row raise a
drift alert."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import ROOT, workbench
from tests.support.store_setup import cast_store
from workbench.services.abtests import ab_results
from workbench.services.identity import acting
from workbench.store import open_store

GRAPH = ROOT / "docs" / "examples" / "pricing_ab_drift.yaml"


def test_the_example_graph_runs_and_tells_its_story(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    ran = workbench("--user", "bob", "run", str(GRAPH), "--wait", env=env)
    assert ran.returncode == 0, ran.stderr
    store = open_store(url)
    try:
        (result,) = ab_results(store, "olga")
        assert result.node_id == "ab" and result.decision == "B is better than A"
        with store.read() as uow:
            acting(uow, "olga")
            rows = uow.results.drift("Pricing A/B test with joint drift/drift")
            alerts = [a for a in uow.alerts.all() if a.kind == "drift"]
    finally:
        store.close()
    together = [r.drifted for r in rows if r.column == "*all"]
    alone = [r.drifted for r in rows if r.column in ("bmi", "s5")]
    assert together == [False, False, True, True]
    assert len(alone) == 8 and not any(alone)
    # two windows in a row flagged by the columns together raise the monitor's drift alert
    (alert,) = alerts
    assert alert.source == "Pricing A/B test with joint drift/drift"
    assert "2 consecutive window(s) up to window 3" in alert.message
    assert "the columns together (*all)" in alert.message
