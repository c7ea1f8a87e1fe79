"""``workbench sample-data [DIR]``: small, clearly simulated files to try the file commands on."""

from __future__ import annotations

import argparse
from pathlib import Path

from workbench.cli.context import CliContext
from workbench.errors import InvalidInputError

FILES = ("reference.csv", "current.parquet", "champion.csv", "challenger.csv", "kpi.csv", "deployments.csv",
         "data.csv", "visits.csv")
APPROVE_BELOW = 0.35  # the simulated lender approves applicants whose default score is below this


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sample-data`` command to the parser."""
    sample = sub.add_parser("sample-data", help="write simulated sample files for drift, canary, kpi and replay")
    sample.add_argument("folder", nargs="?", default=".", metavar="DIR", help="where to write (default: here)")
    sample.add_argument("--force", action="store_true", help="overwrite files that exist")
    sample.set_defaults(handler=_sample_data)


def _sample_data(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write into DIR (default: the current folder), never over an existing file unless
    ``--force``:

    * ``reference.csv`` / ``current.parquet`` — credit applications of the demo's generator
      before and after its injected change (with a ``row_id`` key, which drift leaves out);
    * ``champion.csv`` / ``challenger.csv`` — two models' default scores (``row_id``, ``score``,
      ``default``) on the applications after the change, for ``workbench canary``;
    * ``kpi.csv`` / ``deployments.csv`` — the lender's daily profit per application, and the
      day the challenger replaced the champion, for ``workbench kpi impact``;
    * ``data.csv`` — rows of scikit-learn's breast-cancer data set without the label: the
      features the templates' models take, for ``workbench replay``;
    * ``visits.csv`` — a simulated pricing test: 2,000 visits per variant (A the current page,
      B the new one, converting at 10% and 12.5%), for ``workbench abtest compare``.
    """
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression

    from workbench.demo.scenario import generator

    folder = Path(args.folder)
    existing = [name for name in FILES if (folder / name).exists()]
    if existing and not args.force:
        raise InvalidInputError(f"{folder}: {', '.join(existing)} already exist(s)", hint="pass --force to overwrite")
    folder.mkdir(parents=True, exist_ok=True)
    gen = generator()
    scenario = gen.Scenario(days=120, change_day=72, label_delay_days=14)
    frame = gen.applications(scenario).rename(columns={"application_id": "row_id"})
    features = list(gen.FEATURES)
    before, after = frame[frame["day"] < 40], frame[frame["day"] >= scenario.change_day]
    before[["row_id", *features]].to_csv(folder / "reference.csv", index=False)
    after[["row_id", *features]].to_parquet(folder / "current.parquet", index=False)

    def encoded(part: pd.DataFrame) -> pd.DataFrame:
        out = part[features].drop(columns=["channel"])
        out["income"] = np.log(out["income"])
        for channel in ("branch", "online", "partner"):
            out[f"channel_{channel}"] = part["channel"] == channel
        return out.astype(float)

    deploy_day = scenario.change_day + 22
    champion = LogisticRegression(max_iter=2000).fit(encoded(before), before["default"])
    retrain = frame[(frame["day"] >= scenario.change_day) & (frame["day"] < deploy_day - 2)]
    challenger = LogisticRegression(max_iter=2000).fit(encoded(retrain), retrain["default"])
    for name, model in (("champion", champion), ("challenger", challenger)):
        scores = model.predict_proba(encoded(after))[:, 1]
        pd.DataFrame({"row_id": after["row_id"], "score": scores.round(5), "default": after["default"]}).to_csv(
            folder / f"{name}.csv", index=False)
    every = encoded(frame)
    scores = np.where(frame["day"].to_numpy() < deploy_day, champion.predict_proba(every)[:, 1],
                      challenger.predict_proba(every)[:, 1])
    kpi = gen.daily_kpi(frame, scores, APPROVE_BELOW, scenario)
    start = pd.Timestamp("2026-01-01")
    pd.DataFrame({"date": (start + pd.to_timedelta(kpi["day"], unit="D")).dt.date,
                  "profit_per_application": kpi["profit_per_application"]}).to_csv(folder / "kpi.csv", index=False)
    pd.DataFrame({"date": [(start + pd.Timedelta(days=deploy_day)).date()],
                  "name": ["credit_default challenger"]}).to_csv(folder / "deployments.csv", index=False)
    cancer = load_breast_cancer(as_frame=True).frame.drop(columns=["target"])
    cancer.sample(200, random_state=0).to_csv(folder / "data.csv", index=False)
    visits = np.repeat(["A", "B"], 2000)
    converted = np.random.default_rng(11).random(visits.size) < np.where(visits == "A", 0.10, 0.125)
    pd.DataFrame({"visit_id": np.arange(1, visits.size + 1), "variant": visits,
                  "converted": converted.astype(int)}).to_csv(folder / "visits.csv", index=False)
    for name in FILES:
        print(folder / name)
    print("(simulated data: credit applications of the demo's generator, scikit-learn's breast-cancer rows, "
          "a pricing test's visits)")
    return 0
