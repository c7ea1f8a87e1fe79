"""A store with a KPI that a model's deployment moved: the KPI follows the model's daily mean
score two days later and steps up by 5 after the model's first deployment (recorded now);
a second deployment follows right after it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.store import Store
from workbench.store.db import now_ms


def seed_review(store: Store, *, days_before: int = 80, days_after: int = 40, seed: int = 1) -> dict:
    """A KPI that follows the model's mean score two days later and steps up by 5 after the
    model's first deployment (recorded now); a second deployment right after it."""
    rng = np.random.default_rng(seed)
    with store.write("bob") as uow:
        v1 = uow.models.register("churn", artifact_id=None)
        v2 = uow.models.register("churn", artifact_id=None)
        uow.models.record_deployment("churn/serve", "churn", None, v1.id)
    with store.write("bob") as uow:
        uow.models.record_deployment("churn/serve", "churn", v1.id, v2.id)
    deployed = now_ms()
    today = pd.Timestamp(deployed, unit="ms").normalize()
    days = pd.date_range(today - pd.Timedelta(days=days_before), periods=days_before + days_after, freq="D")
    metric = rng.uniform(0.3, 0.7, len(days))
    kpi = 100 + 20 * np.r_[metric[:2].mean(), metric[:2].mean(), metric[:-2]] + rng.normal(0, 0.5, len(days))
    kpi += 5.0 * (days > pd.Timestamp(deployed, unit="ms"))
    stamps = (days.asi8 // 1_000_000).astype(np.int64)
    with store.write("bob") as uow:
        series = uow.kpis.ensure("revenue", unit="EUR")
        uow.kpis.upsert_points(series.id, list(zip(stamps.tolist(), kpi.tolist(), strict=True)))
        for ts, value in zip(stamps.tolist(), metric.tolist(), strict=True):
            for half in (0, 1):  # two windows a day, different sizes: the mean is count-weighted
                count = 300 if half else 100
                uow.predictions.add_window("churn/serve", v1.id, ts + half * 3_600_000, ts + (half + 1) * 3_600_000,
                                           count, {"score_mean": value, "positive_rate": value / 2})
        uow.predictions.add_window("churn/serve", None, int(stamps[0]), int(stamps[0]) + 1, 0, {"score_mean": 9.0})
    return {"deployed": deployed, "metric": metric, "days": days}
