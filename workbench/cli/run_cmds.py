"""``workbench run``, ``runs``, ``models``, ``approvals``, ``approve`` and ``reject``: start and
follow runs, list and promote models, decide approval requests, headless."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import asdict

from workbench.cli import approval_show
from workbench.cli.context import CliContext

TERMINAL = {"succeeded", "failed", "cancelled", "rejected", "interrupted"}


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``run``, ``runs``, ``models``, ``approvals``, ``approve`` and ``reject`` commands to the parser.

    Listings are tables as wide as their content, or JSON with ``--json``.
    """
    run = sub.add_parser("run", help="run a graph file")
    run.add_argument("file", metavar="FILE")
    run.add_argument("--target", default="local", help="where steps run unless a node names its own target")
    run.add_argument("--node", action="append", dest="nodes", metavar="ID",
                     help="run only this node, what it needs and what follows it (repeatable)")
    run.add_argument("--wait", action="store_true", help="follow the run until it ends")
    run.add_argument("--until-gate", action="store_true",
                     help="follow the run until it ends or waits at an approval gate (then exit 0)")
    run.add_argument("--no-cache", action="store_true", help="recompute every step")
    run.add_argument("--retries", type=int, default=0, help="retries of a failed step")
    run.add_argument("--step-timeout", type=float, default=None, metavar="SECONDS")
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--json", action="store_true")
    run.set_defaults(handler=_run)

    runs = sub.add_parser("runs", help="list, show, cancel or resume runs")
    runs_sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    listing = runs_sub.add_parser("list")
    listing.add_argument("--status")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_runs_list)
    for name, handler, text in (("show", _runs_show, "a run and its steps"), ("cancel", _runs_cancel, "cancel a run"),
                                ("resume", _runs_resume, "resume an interrupted, failed or cancelled run")):
        action = runs_sub.add_parser(name, help=text)
        action.add_argument("run_id", type=int, metavar="RUN")
        action.add_argument("--json", action="store_true")
        if name == "resume":
            action.add_argument("--wait", action="store_true")
        action.set_defaults(handler=handler)
    wait = runs_sub.add_parser("wait", help="follow a run until it ends; exit 0 only if it succeeded")
    wait.add_argument("run_id", type=int, metavar="RUN")
    wait.add_argument("--json", action="store_true")
    wait.set_defaults(handler=lambda args, ctx: _follow(ctx, args.run_id, args.json))
    logs = runs_sub.add_parser("logs", help="print a run's step logs")
    logs.add_argument("run_id", type=int, metavar="RUN")
    logs.add_argument("--node", help="only this node's steps")
    logs.set_defaults(handler=_runs_logs)

    models = sub.add_parser("models", help="the model registry")
    models_sub = models.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    mlist = models_sub.add_parser("list")
    mlist.add_argument("--name")
    mlist.add_argument("--json", action="store_true")
    mlist.set_defaults(handler=_models_list)
    promote = models_sub.add_parser("promote", help="move an alias to a model version")
    promote.add_argument("name")
    promote.add_argument("version", type=int)
    promote.add_argument("--alias", required=True, choices=("candidate", "challenger", "champion", "archived"))
    promote.set_defaults(handler=_models_promote)

    approvals = sub.add_parser("approvals", help="approval requests")
    approvals_sub = approvals.add_subparsers(dest="approvals_command", metavar="ACTION", required=True)
    alist = approvals_sub.add_parser("list")
    alist.add_argument("--status", choices=("open", "approved", "rejected", "expired"))
    alist.add_argument("--json", action="store_true")
    alist.set_defaults(handler=_approvals_list)
    approval_show.register(approvals_sub)
    for name, decision in (("approve", "approved"), ("reject", "rejected")):
        decide = sub.add_parser(name, help=f"{name} an approval request (approver role)")
        decide.add_argument("request_id", type=int, metavar="ID")
        decide.add_argument("--reason", required=True, help="why (mandatory; goes to the audit trail)")
        decide.set_defaults(handler=_decide, decision=decision)


def _run_json(run) -> dict:  # noqa: ANN001
    return {k: v for k, v in asdict(run).items()}


def _run(args: argparse.Namespace, ctx: CliContext) -> int:
    """Validate and save the graph, start a detached worker and print the run id; ``--wait`` and
    ``--until-gate`` then follow the run (see ``_follow``)."""
    from workbench.services.runs import start_run

    run = start_run(ctx.store(), ctx.user, args.file, target=args.target, nodes=args.nodes,
                    no_cache=args.no_cache, retries=args.retries, step_timeout_s=args.step_timeout,
                    seed=args.seed, project=ctx.project)
    if not (args.wait or args.until_gate):
        if args.json:
            ctx.print_json({"run_id": run.id, "status": run.status})
        else:
            print(run.id)
        return 0
    return _follow(ctx, run.id, args.json, until_gate=args.until_gate)


def _follow(ctx: CliContext, run_id: int, as_json: bool, *, until_gate: bool = False) -> int:
    """Print each step's status as it changes (and an approval gate's request id) until the run
    ends: exit 0 only when it succeeded. ``until_gate`` stops (exit 0) once the run waits at a gate;
    ``runs wait RUN`` follows it again. Ctrl-C stops the waiting (exit 130), not the run."""
    from workbench.services.runs import show_run

    seen: dict[int, str] = {}
    announced: set[int] = set()
    if not as_json:
        print(f"run {run_id} started; Ctrl-C stops waiting, not the run")
    try:
        while True:
            view = show_run(ctx.store(), ctx.user, run_id)
            for step in view.steps:
                if seen.get(step.id) == step.status:
                    continue
                seen[step.id] = step.status
                if as_json:
                    continue
                extra = ""
                if step.status == "failed" and step.error:
                    extra = f": {step.error.splitlines()[0]}"
                print(f"  {step.node_id:<16} {step.status}{extra}", flush=True)
                request = step.info.get("approval_request_id")
                if step.status == "awaiting_approval" and request and request not in announced:
                    announced.add(request)
                    print(f"  waiting for approval request {request}: an approver runs "
                          f"'workbench approve {request} --reason …' or 'workbench reject {request} --reason …'",
                          flush=True)
            if view.run.status in TERMINAL:
                break
            gate = next((s.info.get("approval_request_id") for s in view.steps
                         if s.status == "awaiting_approval" and s.info.get("approval_request_id")), None)
            if until_gate and gate:
                if as_json:
                    ctx.print_json({"run": _run_json(view.run), "approval_request_id": gate,
                                    "steps": [asdict(s) for s in view.steps]})
                else:
                    print(f"run {run_id} waits for approval request {gate}; "
                          f"'workbench runs wait {run_id}' follows it to the end")
                return 0
            time.sleep(0.5)
    except KeyboardInterrupt:
        print(f"\nstopped waiting; run {run_id} goes on ('workbench runs show {run_id}')", file=sys.stderr)
        return 130
    if as_json:
        ctx.print_json({"run": _run_json(view.run), "steps": [asdict(s) for s in view.steps]})
    else:
        print(f"run {run_id} {view.run.status}" + (f": {view.run.error}" if view.run.error else ""))
    return 0 if view.run.status == "succeeded" else 1


def _runs_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.runs import list_runs

    runs = list_runs(ctx.store(), ctx.user, status=args.status, limit=args.limit, project=ctx.project)
    if args.json:
        ctx.print_json([_run_json(r) for r in runs])
        return 0
    if not runs:
        print("no runs" + (f" with status {args.status}" if args.status else "") + f" in project {ctx.project}")
        return 0
    ctx.print_table(["run", "status", "trigger", "started by", "target"],
                    [[r.id, r.status, r.trigger, r.started_by, r.target] for r in runs], right=(0,))
    return 0


def _runs_show(args: argparse.Namespace, ctx: CliContext) -> int:
    """The run's steps with what each used: peak resident memory, mean and peak CPU, GPU memory
    peak (``--json``: each step's ``resources``)."""
    from workbench.engines.resource_series import by_step, describe, peaks
    from workbench.services.runs import show_run, step_metrics

    view = show_run(ctx.store(), ctx.user, args.run_id)
    used = {step_id: peaks(figures)
            for step_id, figures in by_step(step_metrics(ctx.store(), ctx.user, args.run_id)).items()}
    if args.json:
        ctx.print_json({"run": _run_json(view.run), "graph": view.graph_name,
                        "steps": [{**asdict(s), "resources": used.get(s.id)} for s in view.steps]})
        return 0
    run = view.run
    print(f"run {run.id} of {view.graph_name!r}: {run.status} (trigger {run.trigger}, target {run.target}, "
          f"by {run.started_by})" + (f"\n  {run.error}" if run.error else ""))
    for step in view.steps:
        line = f"  {step.node_id:<16} #{step.attempt} {step.status:<18} {step.target}"
        if step.exit_code not in (None, 0):
            line += f" exit {step.exit_code}"
        print(line)
        if step.id in used and describe(used[step.id]):
            print(f"  {'':<16}   {describe(used[step.id])}")
    return 0


def _runs_cancel(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.runs import cancel_run

    cancel_run(ctx.store(), ctx.user, args.run_id)
    print(f"asked run {args.run_id} to stop")
    return 0


def _runs_resume(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.runs import resume_run

    run = resume_run(ctx.store(), ctx.user, args.run_id)
    if getattr(args, "wait", False):
        return _follow(ctx, run.id, args.json)
    print(f"resumed run {run.id}")
    return 0


def _runs_logs(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.runs import show_run

    view = show_run(ctx.store(), ctx.user, args.run_id)
    with ctx.store().read() as uow:
        for step in view.steps:
            if args.node and step.node_id != args.node:
                continue
            print(f"== {step.node_id} #{step.attempt} ({step.status})")
            for line in uow.runs.logs(step.id):
                print(f"{'!' if line.stream == 'stderr' else ' '} {line.line}")
    return 0


def _models_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.models import list_models

    versions = list_models(ctx.store(), ctx.user, args.name, project=ctx.project)
    if args.json:
        ctx.print_json([asdict(v) for v in versions])
        return 0
    rows = [[v.name, f"v{v.version}", ",".join(v.aliases),
             ", ".join(f"{k}={val:.4g}" for k, val in sorted(v.metrics.items()) if isinstance(val, int | float))]
            for v in versions]
    ctx.print_table(["model", "version", "aliases", "metrics"], rows)
    return 0


def _models_promote(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.models import promote

    move = promote(ctx.store(), ctx.user, args.name, args.version, args.alias)
    before = ""
    if move.old_version_id is not None and move.old_version_id != move.new_version_id:
        with ctx.store(read_only=True).read() as uow:
            before = f" (before: version {uow.models.get_by_id(move.old_version_id).version})"
    elif move.old_version_id is None:
        before = f" (no version was {args.alias} before)"
    print(f"{args.name} version {args.version} is now {args.alias}{before}")
    return 0


def _approvals_list(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.models import list_approvals

    requests = list_approvals(ctx.store(), ctx.user, args.status, project=ctx.project)
    if args.json:
        ctx.print_json([asdict(r) for r in requests])
        return 0
    if not requests:
        print("no approval requests" + (f" {args.status}" if args.status else "") + f" in project {ctx.project}")
        return 0
    rows = []
    for r in requests:
        model = r.evidence.get("model", {})
        rows.append([r.id, r.status, f"{model.get('name', '?')} v{model.get('version', '?')}", r.run_id,
                     r.requested_by])
    ctx.print_table(["request", "status", "model", "run", "requested by"], rows, right=(0, 3))
    return 0


def _decide(args: argparse.Namespace, ctx: CliContext) -> int:
    from workbench.services.models import decide

    request = decide(ctx.store(), ctx.user, args.request_id, args.decision, args.reason)
    print(f"approval request {request.id} {request.status} by {ctx.user}")
    return 0
