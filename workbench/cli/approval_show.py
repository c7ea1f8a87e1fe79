"""``workbench approvals show ID``: what the approval dialog shows a risk officer, as text or JSON
— the candidate against the champion, the gate's policies, fairness per group and, with
``--explain``, both models' SHAP summaries and, with ``--label-free``, both models' performance
estimated on the run's production rows without labels (CBPE / DLE) next to their hold-out figures."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from workbench.cli.context import CliContext
from workbench.governance.evidence import Evidence, direction_words

METRICS = ("accuracy", "roc_auc", "f1", "precision", "recall", "log_loss", "r2", "rmse", "mae")
FAIRNESS = ("selection_rate", "tpr", "fpr", "precision", "accuracy")


def register(approvals_sub: Any) -> None:
    """Add ``show`` to the ``approvals`` command's actions."""
    show = approvals_sub.add_parser("show", help="one request's evidence: metrics, policies, fairness, "
                                                 "explanations")
    show.add_argument("request_id", type=int, metavar="ID")
    show.add_argument("--explain", action="store_true",
                      help="also compute both models' SHAP summaries (takes a few seconds)")
    show.add_argument("--label-free", action="store_true",
                      help="also estimate both models' performance on the run's production rows without "
                           "labels (CBPE for classifiers, DLE for regressors; takes a few seconds)")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)


def _number(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) and not isinstance(value, bool) else "–"


def _show(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.approvals import details, explanations, label_free

    found = details(ctx.store(), ctx.user, args.request_id)
    request, evidence = found.request, found.request.evidence
    explained = explanations(ctx.store(), ctx.user, args.request_id) if args.explain else None
    estimated = label_free(ctx.store(), ctx.user, args.request_id) if args.label_free else None
    if args.json:
        out: dict[str, Any] = {"id": request.id, "status": request.status, "run_id": request.run_id,
                               "requested_by": request.requested_by, "evidence": evidence,
                               "can_decide": found.can_decide, "why_not": found.why_not}
        if explained is not None:
            out["explanations"] = {"n_rows": explained.n_rows, "models": [
                {"role": m.role, "version": m.version, "method": m.method, "summary": list(m.summary),
                 "note": m.note} for m in explained.models]}
        if estimated is not None:
            out["label_free"] = dataclasses.asdict(estimated)
        ctx.print_json(out)
        return 0
    typed = Evidence.from_json(evidence)
    model = typed.model
    print(f"approval request {request.id} ({request.status}): {model.name or '?'} "
          f"v{model.version if model.version is not None else '?'}, run {request.run_id}, "
          f"requested by {request.requested_by}")
    print("you may decide it" if found.can_decide else f"you cannot decide it: {found.why_not}")
    _metrics(ctx, typed)
    for policy in typed.policies:
        print(f"\npolicy {policy.name}: {'holds' if policy.holds else 'DOES NOT HOLD'} ({policy.detail})")
    _fairness(ctx, typed)
    if explained is not None:
        _explanations(ctx, explained)
    if estimated is not None:
        _label_free(ctx, estimated)
    return 0


def _metrics(ctx: CliContext, evidence: Evidence) -> None:
    mine, champion = evidence.model.metrics, evidence.champion
    theirs = champion.metrics if champion is not None else {}
    rows = [[name, _number(mine.get(name)), _number(theirs.get(name)) if champion else "–",
             _number(evidence.deltas.get(name)) if champion else "–"] for name in METRICS if name in mine]
    print(f"\nhold-out metrics (champion: {f'v{champion.version}' if champion is not None else 'none'})")
    ctx.print_table(["metric", "candidate", "champion", "change"], rows, right=(1, 2, 3))


def _fairness(ctx: CliContext, evidence: Evidence) -> None:
    if not evidence.fairness:
        print("\nfairness: no figures (name sensitive_features on the evaluate step before the gate)")
        return
    for figure in evidence.fairness:
        report = figure.report
        level = float(report.get("level") or 0.95)
        print(f"\nfairness by {figure.column!r}: demographic-parity ratio "
              f"{_number(figure.parity_ratio)}, difference "
              f"{_number(report.get('demographic_parity_difference'))}; equalized-odds difference "
              f"{_number(figure.equalized_odds_difference)} ({level:.0%} intervals)")
        rows = []
        for group, figures in (report.get("groups") or {}).items():
            cells = []
            for name in FAIRNESS:
                cell = figures.get(name) or {}
                cells.append(f"{_number(cell.get('value'))} [{_number(cell.get('low'))}, "
                             f"{_number(cell.get('high'))}]")
            rows.append([group, figures.get("n", ""), *cells])
        ctx.print_table(["group", "rows", *FAIRNESS], rows, right=(1,))


def _explanations(ctx: CliContext, explained: Any) -> None:
    print(f"\nexplanations: mean |SHAP| on {explained.n_rows} hold-out rows")
    for model in explained.models:
        if model.note or not model.summary:
            print(f"  {model.role} v{model.version}: {model.note or 'no explanation'}")
            continue
        print(f"  {model.role} v{model.version} ({model.method})")
        ctx.print_table(["feature", "mean |SHAP|", "direction"],
                        [[s.get("feature"), _number(s.get("mean_abs")), direction_words(s.get("direction"))]
                         for s in model.summary[:15]], right=(1,))


def _label_free(ctx: CliContext, estimated: Any) -> None:
    from workbench.monitoring.cbpe import METRICS as ESTIMATED

    print(f"\nlabel-free estimates: {estimated.n_rows} production row(s) without labels"
          + (f" ({', '.join(estimated.production)})" if estimated.production else ""))
    for model in estimated.models:
        calibration = f", calibration {model.calibration}" if model.calibration else ""
        print(f"  {model.role} v{model.version}: {model.method}{calibration}; hold-out figures on "
              f"{model.n_holdout} labelled row(s)")
        present = [*model.estimated, *model.holdout]
        names = [*[k for k in ESTIMATED if k in present], *dict.fromkeys(k for k in present if k not in ESTIMATED)]
        ctx.print_table(["metric", "production (estimated)", "hold-out (realised)"],
                        [[name, _number(model.estimated.get(name)), _number(model.holdout.get(name))]
                         for name in names], right=(1, 2))
    if estimated.note:
        print(f"  {estimated.note}")
