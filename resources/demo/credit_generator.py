"""The demo's business: a lender scoring credit applications. An honest simulation.

Every day some hundreds of people apply. Their features drift with the seasons (income rises
before the holidays), and on ``change_day`` one feature's distribution changes: a new
partner channel brings applicants with higher debt ratios, whom the first model has never
seen. Whether an applicant defaults depends on the features through a fixed logistic
relation (with a new interaction after the change), and is known only ``label_delay_days``
after the application. The business KPI is the daily profit per application: approved
applicants who repay earn a margin, approved defaulters cost a loss, rejected applicants earn
nothing — so a better model raises it, with a lag while loans mature.

Everything is seeded: the same arguments give the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

FEATURES = ("income", "debt_ratio", "age", "credit_lines", "late_payments", "employment_years", "channel")


@dataclass(frozen=True)
class Scenario:
    days: int = 120
    per_day: int = 240
    change_day: int = 80
    label_delay_days: int = 30
    seed: int = 7
    margin: float = 200.0
    loss: float = 800.0


def applications(scenario: Scenario) -> pd.DataFrame:
    """One row per application: day, timestamp offset (s), the features, and the outcome."""
    rng = np.random.default_rng(scenario.seed)
    frames = []
    for day in range(scenario.days):
        n = scenario.per_day + int(rng.integers(-20, 21))
        season = np.sin(2 * np.pi * day / 60.0)
        changed = day >= scenario.change_day
        income = rng.lognormal(mean=10.6 + 0.05 * season, sigma=0.35, size=n)
        debt_ratio = np.clip(rng.beta(2.2, 5.0, size=n) + (0.35 if changed else 0.0), 0, 1.5)
        age = np.clip(rng.normal(41, 12, size=n), 18, 85)
        credit_lines = rng.poisson(4 + (1.5 if changed else 0.0), size=n)
        late_payments = rng.poisson(0.6 + 0.4 * debt_ratio, size=n)
        employment = np.clip(rng.gamma(2.0, 3.5, size=n), 0, 45)
        channel = np.where(changed & (rng.random(n) < 0.45), "partner",
                           rng.choice(["branch", "online"], size=n, p=[0.35, 0.65]))
        logit = (-1.2 - 1.1 * (np.log(income) - 10.6) + 3.2 * (debt_ratio - 0.3) - 0.015 * (age - 40)
                 + 0.45 * late_payments - 0.04 * employment)
        if changed:  # after the change, the new channel's applicants default more, and debt hurts them more
            logit += (channel == "partner") * (0.9 + 3.0 * (debt_ratio - 0.35))
        defaulted = rng.random(n) < 1 / (1 + np.exp(-logit))
        frames.append(pd.DataFrame({
            "day": day, "second": np.sort(rng.integers(0, 86_400, size=n)),
            "income": income.round(2), "debt_ratio": debt_ratio.round(4), "age": age.round(1),
            "credit_lines": credit_lines, "late_payments": late_payments,
            "employment_years": employment.round(1), "channel": channel, "default": defaulted.astype(int)}))
    frame = pd.concat(frames, ignore_index=True)
    frame.insert(0, "application_id", np.arange(len(frame)))
    return frame


def training_set(frame: pd.DataFrame, first_day: int, last_day: int) -> pd.DataFrame:
    """Labelled rows of the given days, as a model would be trained on them."""
    part = frame[(frame["day"] >= first_day) & (frame["day"] <= last_day)]
    return part[["application_id", *FEATURES, "default"]].rename(columns={"application_id": "row_id"})


def daily_kpi(frame: pd.DataFrame, scores: np.ndarray, threshold: float, scenario: Scenario) -> pd.DataFrame:
    """Profit per application per day when applicants scoring below ``threshold`` are approved.

    The profit of a day's loans shows when they mature (``label_delay_days`` later), so the
    KPI responds to the model of a month ago.
    """
    approved = np.asarray(scores) < threshold
    repaid = frame["default"].to_numpy() == 0
    profit = np.where(approved, np.where(repaid, scenario.margin, -scenario.loss), 0.0)
    daily = pd.DataFrame({"day": frame["day"].to_numpy(), "profit": profit}).groupby("day")["profit"].mean()
    matured = daily.shift(scenario.label_delay_days // 10).bfill()
    return pd.DataFrame({"day": matured.index, "profit_per_application": matured.to_numpy().round(2)})
