"""A drift alert raised by the multivariate test ('*all': the columns together) drills down to
every feature the champion uses, since no single column is to blame."""

from __future__ import annotations

from workbench.monitoring.multivariate import MULTIVARIATE_COLUMN
from workbench.services.drift_explanations import drift_drilldown
from workbench.store import open_store


def test_a_joint_drift_alert_shows_every_feature_the_model_uses(demo_store: str) -> None:
    store = open_store(demo_store)
    try:
        with store.write("newcomer") as uow:
            alert = next(a for a in uow.alerts.all() if a.kind == "drift")
            seen = alert.last_seen_at or alert.created_at
            window = max((r for r in uow.results.drift(alert.source) if r.window_end <= seen + 1),
                         key=lambda r: r.window_end)
            individually = sorted({r.column for r in uow.results.drift(alert.source)
                                   if r.window_end == window.window_end and r.drifted and r.column != "*"})
            uow.results.add_drift(alert.source, window.window_start, window.window_end, [
                {"column": MULTIVARIATE_COLUMN, "method": "pca", "statistic": 0.9, "p_value": None,
                 "threshold": 0.5, "drifted": True}])
        found = drift_drilldown(store, "newcomer", alert.id, rows=40)
    finally:
        store.close()
    shown = [f.feature for f in found.features]
    assert MULTIVARIATE_COLUMN not in shown
    assert shown[:len(individually)] == [c for c in shown if c in individually]  # the flagged ones first
    assert set(shown) == {"income", "debt_ratio", "age", "credit_lines", "late_payments", "employment_years",
                          "channel"}
    assert "the columns drifted together" in found.note
    assert all(len(f.current_shap) == 40 for f in found.features)
