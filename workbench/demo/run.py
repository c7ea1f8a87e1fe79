"""The demo's story, step by step (each step is real: real runs, a real approval, a real
REST service, real monitoring results in the store):

1. users: the invoking user gets every role (so every view has something to show), plus a
   demo scientist and a demo risk officer; a second project, marketing, with a graph and a
   risk officer of marketing only (``demo.projects``);
2. run 1 trains version 1 on the first weeks, the risk officer approves it (reason recorded),
   it becomes challenger and — as the first model — champion;
3. run 2 trains version 2 (another estimator, later weeks) as the challenger;
4. the comparator node is served over REST (90/10 canary split) and a day of traffic is
   replayed through it, both models' outputs logged;
5. a monitoring pass over the simulated calendar writes per-day prediction windows, drift
   of the live applications against the training data, and canary divergence; alerts fire
   when drift (or divergence) holds for consecutive days — the injected change;
6. retraining once post-change labels have arrived, approval, promotion to champion — a
   deployment event on the calendar; the KPI (profit per application) is recorded daily and
   the impact of each deployment estimated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.demo.existing import (
    CANARY_SOURCE,
    DEPLOYMENT_NODE,
    DRIFT_SOURCE,
    RISK_OFFICER,
    SCIENTIST,
    demo_requests,
    demo_runs,
    existing_demo,
    save_summary,
)
from workbench.demo.scenario import DAY_MS, LIVE_EXPECTATIONS, MODEL, build_graph, generator
from workbench.errors import InvalidInputError
from workbench.store import Store, init_store, now_ms, open_store

LR = ("sklearn.linear_model.LogisticRegression", {"max_iter": 2000, "C": 0.5})
GB = ("sklearn.ensemble.HistGradientBoostingClassifier", {"max_iter": 120, "learning_rate": 0.08})
APPROVE_BELOW = 0.35  # the lender approves applicants whose default score is below this


@dataclass
class DemoSummary:
    store: str
    folder: str
    runs: list[tuple[int, str, str]] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)
    deployments: list[str] = field(default_factory=list)
    kpi_impact: list[str] = field(default_factory=list)
    replay: str = ""
    model_card: str = ""
    seconds: float = 0.0
    already_built: bool = False  # the store held the demo before this command; nothing was changed

    def text(self) -> str:
        lines = [f"The demo (a simulation) is already built in {self.store}; nothing was changed"
                 if self.already_built else f"Demo (a simulation) finished in {self.seconds:.0f} s on {self.store}",
                 f"files and artifacts: {self.folder}", "", "runs:"]
        lines += [f"  run {i}: {status} — {what}" for i, status, what in self.runs]
        lines += ["", f"served and replayed: {self.replay}", "", "alerts that fired:"]
        lines += [f"  {a}" for a in self.alerts] or ["  none"]
        lines += ["", "deployments:"] + [f"  {d}" for d in self.deployments]
        lines += ["", "KPI impact of the deployments:"] + [f"  {k}" for k in self.kpi_impact]
        lines += ["", f"model card of the champion: {self.model_card}"]
        return "\n".join(lines)


def _ensure_people(store: Store, user: str, new_store: bool) -> None:
    """The demo's two people; the invoking user gets every role only on a store this demo has
    just created (where they became its admin) — a person's roles elsewhere are theirs."""
    from workbench.store.schema import ROLES

    with store.write(user) as uow:
        me = uow.users.find(user)
        if new_store and me is not None and "admin" in me.roles and set(me.roles) != set(ROLES):
            uow.users.set_roles(user, ROLES)
        for name, roles in ((SCIENTIST, ["scientist", "engineer"]), (RISK_OFFICER, ["approver"])):
            if uow.users.find(name) is None:
                uow.users.add(name, roles, display_name=f"{name} (demo)")


def _run_with_approval(store: Store, graph_path: Path, reason: str, progress: Callable[[str], None]) -> tuple[int, str]:
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.models import decide
    from workbench.services.runs import start_run

    run = start_run(store, SCIENTIST, graph_path, detach=False)
    result: list[str] = []
    driver = threading.Thread(target=lambda: result.append(RunDriver(store, run.id, poll_s=0.2).drive()), daemon=True)
    driver.start()
    while driver.is_alive():
        with store.read() as uow:
            waiting = [r for r in uow.approvals.all(status="open") if r.run_id == run.id]
        for request in waiting:
            progress(f"  the demo risk officer reviews approval request {request.id}")
            decide(store, RISK_OFFICER, request.id, "approved", reason)
        driver.join(timeout=0.3)
    return run.id, result[0] if result else "failed"


def _score(store: Store, version: Any, frame: pd.DataFrame) -> np.ndarray:
    from workbench.engines.runtime.models import load_model
    from workbench.orchestrator.artifacts import ArtifactStore

    artifacts = ArtifactStore.for_store(store.url)
    with store.read() as uow:
        artifact = uow.artifacts.get(version.artifact_id)
    predictor = load_model(artifacts.path(artifact.sha256), artifact.sha256, artifact.lineage.get("meta", {}),
                           artifacts.root)
    return predictor.score(frame)


def run_demo(store_url: str | None, user: str, folder: Path, *, progress: Callable[[str], None] = print,
             days: int = 120) -> DemoSummary:
    started = time.monotonic()
    created = init_store(store_url, user)
    store = open_store(store_url)
    from workbench.governance.store_signing import KeyringSigner

    store.enable_signing(KeyringSigner(store))  # every persona's entries signed with their own key
    summary = DemoSummary(store.display_url, str(folder))
    try:
        if existing_demo(store) is not None:
            raise InvalidInputError(f"{store.display_url} already holds the demo; it is built once per store",
                                    hint="open the store to look at it, or build the demo in a new store "
                                         "with --store sqlite:////path/new.db")
        folder.mkdir(parents=True, exist_ok=True)
        _ensure_people(store, user, new_store=created.admin == user)
        from workbench.demo.projects import add_marketing

        add_marketing(store, user, SCIENTIST, progress)
        if created.admin != user:
            progress(f"{user} keeps their roles in this store; the demo's views show to people with the scientist, "
                     f"engineer, operator, analyst and approver roles (an admin grants them: "
                     f"'workbench users roles {user} --role …')")
        gen = generator()
        scenario = gen.Scenario(days=days, change_day=int(days * 0.6), label_delay_days=14)
        frame = gen.applications(scenario)
        start_ms = (now_ms() // DAY_MS - scenario.days) * DAY_MS
        progress(f"generated {len(frame):,} simulated applications over {scenario.days} days "
                 f"(the change starts on day {scenario.change_day})")
        live = frame[frame["day"] >= 40].rename(columns={"application_id": "row_id"})
        live_csv = folder / "live_applications.csv"
        live[["row_id", *gen.FEATURES]].tail(2400).to_csv(live_csv, index=False)

        versions = []
        for label, (first, last), (estimator, params), reason in (
                ("version 1 (logistic regression, days 0–39)", (0, 39), LR,
                 "Demo: hold-out AUC and calibration meet the credit policy; approved for the first release."),
                ("version 2 (gradient boosting, days 10–45)", (10, 45), GB,
                 "Demo: challenger for the canary; approved to receive 10% of traffic.")):
            train_csv = folder / f"train_{first}_{last}.csv"
            gen.training_set(frame, first, last).to_csv(train_csv, index=False)
            graph_path = build_graph(folder, train_csv, live_csv, estimator, params)
            progress(f"training {label}…")
            run_id, status = _run_with_approval(store, graph_path, reason, progress)
            summary.runs.append((run_id, status, f"trains {label}"))
            with store.read() as uow:
                versions = uow.models.all(MODEL)
        champion = next(v for v in versions if v.version == 1)
        challenger = versions[-1]
        summary.replay = _serve_and_replay(store, user, folder, live, progress)
        alerts = _monitor(store, user, frame, scenario, start_ms, champion, challenger, progress)
        summary.alerts = alerts
        retrained = _retrain_after_labels(store, folder, frame, scenario, live_csv, progress, summary)
        summary.deployments, summary.kpi_impact = _kpi(store, user, frame, scenario, start_ms, champion,
                                                        retrained, progress)
        _settle_follow_ups(store, summary)
        from workbench.services.reports import write_model_card

        with store.read() as uow:
            current = uow.models.by_alias(MODEL, "champion")
        card = folder / "model_card.html"
        write_model_card(store, user, MODEL, current.version, card)
        summary.model_card = str(card)
        save_summary(summary)
    finally:
        store.close()
    summary.seconds = time.monotonic() - started
    return summary


def _follow_up_reason(request: Any) -> str:
    """The demo risk officer's reason for a run an alert started: its candidate is either the
    champion already (the run reused the cached model) or older than the approved retraining."""
    if (request.evidence or {}).get("candidate_is_champion"):
        return ("Demo: this candidate already is the champion (the triggered run reused the cached "
                "model), so there is nothing to promote.")
    return "Demo: superseded by the retraining on post-change labels, which was approved instead."


def _settle_follow_ups(store: Store, summary: DemoSummary) -> None:
    """Runs the demo's alerts triggered wait for approval; the demo's risk officer decides them
    (only requests of the demo's own runs), and the summary lists every run of the demo with
    what started it."""
    from workbench.services.models import decide

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with store.read() as uow:
            waiting = demo_requests(uow, status="open")
            runs = demo_runs(uow)
        for request in waiting:  # a triggered run may reach its gate only now
            decide(store, RISK_OFFICER, request.id, "rejected", _follow_up_reason(request))
        if not waiting and all(r.finished for r in runs):
            break
        time.sleep(0.5)
    known = {run_id for run_id, _, _ in summary.runs}
    for run in sorted(runs, key=lambda r: r.id):
        if run.id not in known:
            summary.runs.append((run.id, run.status, f"started by {run.trigger}"))
    summary.runs.sort()


def _serve_and_replay(store: Store, user: str, folder: Path, live: pd.DataFrame,
                      progress: Callable[[str], None]) -> str:
    from workbench.serving.replay import replay
    from workbench.serving.server import serve_in_thread
    from workbench.serving.service import InferenceService

    service = InferenceService.open(store, user, str(folder / "credit_demo.yaml"), "canary")
    server = serve_in_thread(service)
    try:
        progress(f"serving champion and challenger at {server.url} (canary split 90/10)…")
        rows = live.tail(1200)[["row_id", "income", "debt_ratio", "age", "credit_lines", "late_payments",
                                "employment_years", "channel"]].drop(columns=["row_id"])
        report = replay(rows, server.url, concurrency=4, batch=4, request_prefix="demo")
    finally:
        server.stop()
    return f"{report.answered} of {report.sent} requests answered at {report.rps:.0f} requests/s, both models logged"


def _monitor(store: Store, user: str, frame: pd.DataFrame, scenario: Any, start_ms: int, champion: Any,
             challenger: Any, progress: Callable[[str], None]) -> list[str]:
    from workbench.monitoring import compare, compare_predictions, fit_profile
    from workbench.monitoring.deviation import expectation_alerts
    from workbench.monitoring.expectations import spec_rules, violations

    features = ["income", "debt_ratio", "age", "credit_lines", "late_payments", "employment_years", "channel"]
    reference = frame[frame["day"] < 40][features]
    profile = fit_profile(reference)
    champion_scores = _score(store, champion, frame[features])
    challenger_scores = _score(store, challenger, frame[features])
    fired: list[str] = []
    streak = {"drift": 0, "canary": 0}
    open_alert = {"drift": False, "canary": False}
    progress("monitoring the simulated days: drift, canary divergence, prediction volume…")
    for day in range(40, scenario.days):
        today = (frame["day"] == day).to_numpy()
        window_start, window_end = start_ms + day * DAY_MS, start_ms + (day + 1) * DAY_MS - 1
        # the workbench's default drift threshold (DEFAULT_DRIFT_THRESHOLD, as the CLI and the
        # graph's drift monitor use it); 240 applications a day move up to 4 of the 7 features
        # past it by chance (seasonal income among them), so the dataset verdict needs 5 of 7
        report = compare(profile, frame.loc[today, features], drift_share=0.6)
        rows = [{"column": r.column, "method": r.method, "statistic": r.statistic, "p_value": r.p_value,
                 "threshold": r.threshold, "drifted": r.drifted} for r in report.results]
        rows.append({"column": "*", "method": "dataset", "statistic": report.share_drifted, "p_value": None,
                     "threshold": report.drift_share, "drifted": report.drifted})
        # the mean absolute difference of the two default scores: under 0.085 on any day before the
        # change, over 0.095 on every day after it (the models extrapolate differently)
        canary = compare_predictions(champion_scores[today], challenger_scores[today], metric="mean_abs_diff",
                                     threshold=0.09, label_threshold=APPROVE_BELOW, n_boot=200)
        scores = champion_scores[today]
        checked = {"checked": [[column, rule] for column, rule in spec_rules(LIVE_EXPECTATIONS)],
                   "violations": [v.to_dict() for v in violations(frame.loc[today, features], LIVE_EXPECTATIONS)]}
        with store.write(user) as uow:
            uow.results.add_drift(DRIFT_SOURCE, window_start, window_end, rows)
            uow.results.add_divergence(CANARY_SOURCE, window_start, window_end, canary.metric,
                                       float(canary.value), float(canary.threshold), bool(canary.divergent),
                                       {"agreement": canary.agreement, "kappa": canary.kappa})
            window = uow.predictions.add_window(
                DEPLOYMENT_NODE, champion.id, window_start, window_end, int(today.sum()),
                {"score_mean": float(np.mean(scores)), "positive_rate": float(np.mean(scores >= 0.5)),
                 "expectations": checked})
            expected = expectation_alerts(checked, f"day {day}")
            for condition in expected.cleared:
                uow.alerts.clear(DEPLOYMENT_NODE, "deviation", condition, at=window.window_end)
            for condition, message in expected.raised:
                if not any(a.condition == condition and a.cleared_at is None
                           for a in uow.alerts.all() if a.source == DEPLOYMENT_NODE):
                    fired.append(f"deviation alert on day {day} (the change began on day {scenario.change_day}): "
                                 + message.split(": ", 1)[-1])
                uow.alerts.raise_alert(DEPLOYMENT_NODE, "deviation", message, condition=condition,
                                       at=window.window_end)
            # an open drift alert stays open while 40 % of the features still drift (no new alert
            # each time a noisy day dips under the 5-of-7 verdict)
            held = {"drift": report.share_drifted >= 0.4, "canary": bool(canary.divergent)}
            for kind, hit in (("drift", report.drifted), ("canary", canary.divergent)):
                streak[kind] = streak[kind] + 1 if hit else 0
                if streak[kind] >= 2 and not open_alert[kind]:
                    what = ("drift of live applications: " + ", ".join(report.drifted_columns[:4])
                            if kind == "drift" else f"canary divergence {canary.metric}={canary.value:.3f}")
                    uow.alerts.raise_alert(DRIFT_SOURCE if kind == "drift" else CANARY_SOURCE, kind, f"day {day}: {what}")
                    fired.append(f"{kind} alert on day {day} (the change began on day {scenario.change_day}): {what}")
                    open_alert[kind] = True
                elif not held[kind]:
                    open_alert[kind] = False
    return fired


def _retrain_after_labels(store: Store, folder: Path, frame: pd.DataFrame, scenario: Any, live_csv: Path,
                          progress: Callable[[str], None], summary: DemoSummary) -> Any:
    """Once labels of post-change days have arrived, retrain on them, approve, promote to champion."""
    from workbench.services.models import promote

    gen = generator()
    last_labelled = min(scenario.days - 1, scenario.change_day + 20)
    first = scenario.change_day - 15
    train_csv = folder / f"train_{first}_{last_labelled}.csv"
    gen.training_set(frame, first, last_labelled).to_csv(train_csv, index=False)
    graph_path = build_graph(folder, train_csv, live_csv, *GB)
    progress(f"retraining on days {first}–{last_labelled}, whose labels have arrived…")
    run_id, status = _run_with_approval(store, graph_path,
                                        "Demo: retrained after the channel change; back-tested on post-change "
                                        "labels; approved to replace the champion.", progress)
    summary.runs.append((run_id, status, f"retrains on days {first}–{last_labelled} after the alerts"))
    with store.read() as uow:
        retrained = uow.models.all(MODEL)[-1]
    promote(store, RISK_OFFICER, MODEL, retrained.version, "champion")
    return retrained


def _kpi(store: Store, user: str, frame: pd.DataFrame, scenario: Any, start_ms: int, first: Any, retrained: Any,
         progress: Callable[[str], None]) -> tuple[list[str], list[str]]:
    """The KPI as the business saw it, with the champion of each day; deployments on the calendar."""
    from workbench.services.kpis import impact, impact_lines

    gen = generator()
    features = list(gen.FEATURES)
    deploy_day = scenario.change_day + 22
    scores = np.where(frame["day"].to_numpy() < deploy_day, _score(store, first, frame[features]),
                      _score(store, retrained, frame[features]))
    kpi = gen.daily_kpi(frame, scores, APPROVE_BELOW, scenario)
    events = [(40, None, first), (deploy_day, first, retrained)]
    lines = []
    with store.write(user) as uow:
        series = uow.kpis.ensure("profit per application", unit="EUR",
                                 description="SIMULATION: daily profit per application of the demo lender")
        uow.kpis.upsert_points(series.id, [(start_ms + int(d) * DAY_MS, float(v))
                                           for d, v in zip(kpi["day"], kpi["profit_per_application"], strict=True)])
        for day, old, new in events:
            uow.models.record_deployment("Credit default demo/champion", MODEL, old.id if old else None, new.id,
                                         ts=start_ms + day * DAY_MS)
            lines.append(f"day {day}: {MODEL} version {new.version} became the champion")
    # the one KPI-impact computation the KPI review view, the CLI and the model card state too
    impacts = impact_lines(impact(store, user, series.name, MODEL), series.unit, skipped=False)
    progress("recorded the KPI and the deployments on the simulated calendar")
    return lines, impacts
