"""Running one engine step: inputs resolved, cache consulted, the step launched on its
target, its outputs stored as content-addressed artifacts with lineage, and its records
(prediction windows, drift, divergence, alerts, KPI points) written to the store.

Rules: a step's outputs land in the store in one transaction, after every file is safely in
the artifact directory, so a crash leaves either nothing or everything. Identical inputs,
parameters and code reuse the earlier result (unless the run says ``no_cache``) when its files
still hash to their sha256; otherwise the step runs again and its log says why. Every
trained model (and every ensemble) becomes a model version with the alias ``candidate``.
Lineage records parameters with any password hidden; relative paths are resolved against the
graph's folder (``RunContext.params_of``), and a path that leaves it fails the step.
"""

from __future__ import annotations

import hashlib
import json
import platform
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.engines.base import StepLaunch, StepOutcome
from workbench.engines.runtime.registry import plugin_executor
from workbench.errors import WorkbenchError
from workbench.graph.param_safety import redact_params
from workbench.orchestrator.context import RunContext
from workbench.orchestrator.plan import PlannedStep
from workbench.orchestrator.sink import StepSink
from workbench.store.entities import Artifact, ModelVersion, Step

MODEL_KINDS = frozenset({"train_sklearn", "train_torch", "train_spark", "ensemble"})


@dataclass(frozen=True)
class StepResult:
    node_id: str
    status: str  # succeeded | failed | cancelled | rejected | skipped
    step: Step | None = None
    error: str = ""
    signals: dict[str, bool] = field(default_factory=dict)


def input_refs(ctx: RunContext, node_id: str) -> dict[str, list[Artifact]]:
    """The artifacts arriving at each input port, from the upstream steps' outputs."""
    refs: dict[str, list[Artifact]] = {}
    for edge in sorted(ctx.graph.edges_into(node_id), key=lambda e: e.id):
        if ctx.graph.is_signal_edge(edge):
            continue
        refs.setdefault(edge.dst_port, []).extend(ctx.outputs.get(edge.src_node, {}).get(edge.src_port, []))
    return refs


def cache_key(kind: str, params: dict[str, Any], refs: dict[str, list[Artifact]], extra: dict[str, Any]) -> str:
    content = json.dumps([__version__, kind, params, {p: [a.sha256 for a in arts] for p, arts in sorted(refs.items())},
                          extra], sort_keys=True, default=str)
    return hashlib.sha256(content.encode()).hexdigest()


def _cached_result(ctx: RunContext, key: str) -> tuple[Step | None, dict[str, list[Artifact]]]:
    """The earlier step with this cache key and its outputs, or ``(None, {})``."""
    with ctx.store.read() as uow:
        cached = uow.runs.cached_step(key)
        if cached is None:
            return None, {}
        return cached, {port: [uow.artifacts.get(i) for i in ids] for port, ids in uow.runs.outputs(cached.id).items()}


def _damaged(ctx: RunContext, outputs: dict[str, list[Artifact]]) -> str:
    """Why a cached step's outputs cannot be reused (a file missing or changed), or ``""``."""
    for arts in outputs.values():
        for artifact in arts:
            problem = ctx.artifacts.problem(artifact.sha256)
            if problem:
                return f"{artifact.kind} artifact {artifact.id}: {problem}"
    return ""


def _spec_input(ctx: RunContext, artifact: Artifact) -> dict[str, Any]:
    return {"path": str(ctx.artifacts.path(artifact.sha256)), "sha256": artifact.sha256,
            "kind": artifact.kind, "meta": artifact.lineage.get("meta", {}), "artifact_id": artifact.id}


def _resolve_served_model(ctx: RunContext, node_id: str, refs: dict[str, list[Artifact]]) -> ModelVersion | None:
    """The model version an inference node serves: its input edge, or its alias binding."""
    params = ctx.params_of(node_id)
    with ctx.store.read() as uow:
        if refs.get("model"):
            return uow.models.for_artifact(refs["model"][0].id)
        name, alias = params.get("model_name") or "", params.get("alias") or ""
        if not (name and alias):
            raise WorkbenchError(f"node {node_id!r}: no model arrives on its 'model' port and it is not "
                                 "bound to an alias", hint="connect a model or set model_name and alias")
        version = uow.models.by_alias(name, alias)
        if version is None or version.artifact_id is None:
            raise WorkbenchError(f"node {node_id!r}: model {name!r} has no version with the alias {alias!r} yet",
                                 hint="train one and promote it first")
        refs["model"] = [uow.artifacts.get(version.artifact_id)]
        return version


def _record_deployment(ctx: RunContext, node_id: str, version: ModelVersion) -> None:
    source = ctx.source(node_id)
    with ctx.store.write(ctx.actor) as uow:
        last = uow.models.last_deployment(source)
        if last is None or last.new_version_id != version.id:
            uow.models.record_deployment(source, version.name, last.new_version_id if last else None, version.id)


def _next_attempt(ctx: RunContext, node_id: str) -> int:
    with ctx.store.read() as uow:
        latest = uow.runs.latest_steps(ctx.run.id).get(node_id)
    return 1 if latest is None else latest.attempt + 1


def run_engine_step(ctx: RunContext, planned: PlannedStep) -> StepResult:
    node_id, kind = planned.node_id, planned.kind
    params = ctx.params_of(node_id)
    refs = input_refs(ctx, node_id)
    served: ModelVersion | None = None
    try:
        refusal = ctx.path_refusal(node_id) or ctx.code_refusal(node_id)
        if refusal:
            raise WorkbenchError(refusal)
        if kind == "inference":
            served = _resolve_served_model(ctx, node_id, refs)
    except WorkbenchError as exc:
        return _fail_without_launch(ctx, planned, str(exc))
    seed = int(ctx.run_options.get("seed", 0))
    extra: dict[str, Any] = {"seed": seed, "target": planned.target,
                             "model_version": served.id if served else None}
    plugin = plugin_executor(kind)
    if plugin is not None:  # an upgraded plug-in computes anew instead of reusing its old result
        extra["plugin"] = plugin.describe()
    key = cache_key(kind, params, refs, extra)
    attempts = ctx.retries + 1
    result = StepResult(node_id, "failed", error="not run")
    for attempt_no in range(attempts):
        attempt = _next_attempt(ctx, node_id)
        cached, outputs = (None, {}) if ctx.no_cache else _cached_result(ctx, key)
        damaged = _damaged(ctx, outputs) if cached is not None else ""  # hashed outside any transaction
        with ctx.store.write(ctx.actor) as uow:
            step = uow.runs.add_step(ctx.run.id, node_id, target=planned.target, attempt=attempt, cache_key=key)
            done = None
            if cached is not None and damaged:
                uow.runs.append_logs(step.id, [("stderr", f"not reusing the result of step {cached.id} "
                                                          f"(run {cached.run_id}): {damaged}; running the step again")])
            elif cached is not None:
                uow.runs.add_outputs(step.id, {p: [a.id for a in arts] for p, arts in outputs.items()})
                uow.runs.append_logs(step.id, [("stdout", f"reused the result of step {cached.id} "
                                                          f"(run {cached.run_id}): same inputs, code and parameters")])
                done = uow.runs.set_step_status(step.id, "succeeded", exit_code=0,
                                                info={**cached.info, "cached_from": cached.id})
                with ctx.lock:
                    ctx.outputs[node_id] = outputs
        if done is not None:  # outside the transaction above: a write never nests in another
            if served is not None:
                _record_deployment(ctx, node_id, served)
            return StepResult(node_id, "succeeded", done)
        result = _launch(ctx, planned, step, refs, params, served, seed)
        if result.status in ("succeeded", "cancelled") or ctx.cancel.is_set():
            return result
        if attempt_no + 1 < attempts:
            with ctx.store.write(ctx.actor) as uow:
                uow.runs.append_logs(step.id, [("stderr", f"retrying ({attempt_no + 2}/{attempts})")])
    return result


def _fail_without_launch(ctx: RunContext, planned: PlannedStep, error: str) -> StepResult:
    with ctx.store.write(ctx.actor) as uow:
        step = uow.runs.add_step(ctx.run.id, planned.node_id, target=planned.target,
                                 attempt=_next_attempt(ctx, planned.node_id))
        uow.runs.append_logs(step.id, [("stderr", error)])
        failed = uow.runs.set_step_status(step.id, "failed", error=error)
    return StepResult(planned.node_id, "failed", failed, error)


def _launch(ctx: RunContext, planned: PlannedStep, step: Step, refs: dict[str, list[Artifact]],
            params: dict[str, Any], served: ModelVersion | None, seed: int) -> StepResult:
    node_id = planned.node_id
    try:
        engine = ctx.engine_for(planned.target)
    except KeyError:
        reason = ctx.engine_errors.get(planned.target) or (
            f"node {node_id!r}: unknown target {planned.target!r} "
            "(register it with 'workbench targets add …')")
        return _finish_failed(ctx, step, reason, None)
    workdir = ctx.artifacts.scratch_dir(f"run{ctx.run.id}-{node_id}-")
    spec = {
        "node": {"id": node_id, "kind": planned.kind, "params": params},
        "inputs": {port: [_spec_input(ctx, a) for a in arts] for port, arts in refs.items()},
        "options": {"seed": seed, "device": params.get("device", "auto"),
                    "artifact_root": str(ctx.artifacts.root),
                    "model_version": None if served is None else
                    {"name": served.name, "version": served.version, "id": served.id}},
        "run": {"run_id": ctx.run.id, "step_id": step.id},
    }
    sink = StepSink(ctx.store, ctx.actor, ctx.run.id, step.id)
    ctx.flusher.add(sink)

    def on_start(pid: int) -> None:
        with ctx.store.write(ctx.actor) as uow:
            uow.runs.set_step_status(step.id, "running", pid=pid)

    launch = StepLaunch(spec=spec, workdir=workdir, timeout_s=ctx.step_timeout_s, on_line=sink.line,
                        on_event=sink.event, on_start=on_start, should_cancel=ctx.cancel.is_set)
    try:
        outcome = engine.run_step(launch)
    except WorkbenchError as exc:
        ctx.flusher.remove(sink)
        ctx.artifacts.discard(workdir)
        return _finish_failed(ctx, step, str(exc), None)
    ctx.flusher.remove(sink)
    try:
        if outcome.ok:
            return _ingest(ctx, planned, step, refs, served, outcome, workdir / "out")
        if outcome.cancelled:
            with ctx.store.write(ctx.actor) as uow:
                done = uow.runs.set_step_status(step.id, "cancelled", exit_code=outcome.exit_code, error="cancelled")
            return StepResult(node_id, "cancelled", done, "cancelled")
        return _finish_failed(ctx, step, outcome.describe_failure(launch.peak_rss_mb), outcome)
    finally:
        ctx.artifacts.discard(workdir)


def _finish_failed(ctx: RunContext, step: Step, error: str, outcome: StepOutcome | None) -> StepResult:
    tail = "\n".join(outcome.log_tail[-15:]) if outcome else ""
    with ctx.store.write(ctx.actor) as uow:
        done = uow.runs.set_step_status(step.id, "failed", exit_code=outcome.exit_code if outcome else None,
                                        error=f"{error}\n{tail}".strip())
    return StepResult(step.node_id, "failed", done, error)


def _lineage(ctx: RunContext, planned: PlannedStep, result: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    info = result.get("info") or {}
    return {"graph_version_id": ctx.run.graph_version_id, "graph_sha256": ctx.graph_sha256,
            "graph": ctx.graph.name, "node_id": planned.node_id, "kind": planned.kind,
            "params": redact_params(ctx.params_of(planned.node_id)), "code_version": ctx.run_options.get("code_version"),
            "python": info.get("python") or platform.python_version(), "libraries": info.get("libraries", {}),
            "target": planned.target, "device": info.get("device"), "run_id": ctx.run.id, "meta": meta}


def _ingest(ctx: RunContext, planned: PlannedStep, step: Step, refs: dict[str, list[Artifact]],
            served: ModelVersion | None, outcome: StepOutcome, out_dir: Path) -> StepResult:
    result = outcome.result or {}
    stored: list[tuple[str, dict[str, Any], str, int]] = []
    for port, files in (result.get("outputs") or {}).items():
        for entry in files:
            path = (out_dir / entry["file"]).resolve()
            if out_dir.resolve() not in path.parents or not path.is_file():
                return _finish_failed(ctx, step, f"the step named an output file it did not write: {entry['file']!r}",
                                      outcome)
            sha, size, _ = ctx.artifacts.put_file(path)
            stored.append((port, entry, sha, size))
    input_ids = [a.id for arts in refs.values() for a in arts]
    records = result.get("records") or {}
    source = ctx.source(planned.node_id)
    info = {"metrics": result.get("metrics") or {}, **{k: v for k, v in (result.get("info") or {}).items()
                                                     if k in ("device", "gpu", "rows", "python")}}
    with ctx.store.write(ctx.actor) as uow:
        produced: dict[str, list[Artifact]] = {}
        for port, entry, sha, size in stored:
            meta = entry.get("meta") or {}
            artifact = uow.artifacts.add(entry.get("kind", port), ctx.artifacts.uri(sha), sha, size,
                                         producer_step_id=step.id, lineage=_lineage(ctx, planned, result, meta),
                                         inputs=input_ids)
            produced.setdefault(port, []).append(artifact)
        uow.runs.add_outputs(step.id, {p: [a.id for a in arts] for p, arts in produced.items()})
        if planned.kind in MODEL_KINDS and produced.get("model"):
            artifact = produced["model"][0]
            name = (ctx.params_of(planned.node_id).get("model_name") or
                    artifact.lineage["meta"].get("model_name") or f"{ctx.graph.name}.{planned.node_id}")
            version = uow.models.register(name, artifact_id=artifact.id, run_id=ctx.run.id,
                                          metrics=result.get("metrics") or {}, lineage=artifact.lineage)
            uow.models.set_alias(name, version.version, "candidate")
            info["model_version"] = {"name": name, "version": version.version, "id": version.id}
        _write_records(uow, ctx, source, records, served)
        done = uow.runs.set_step_status(step.id, "succeeded", exit_code=0, info=info)
    with ctx.lock:
        ctx.outputs[planned.node_id] = produced
    if served is not None:
        _record_deployment(ctx, planned.node_id, served)
    signals = {k: bool(v) for k, v in (result.get("signals") or {}).items()}
    return StepResult(planned.node_id, "succeeded", done, signals=signals)


def _write_records(uow: Any, ctx: RunContext, source: str, records: dict[str, Any],
                   served: ModelVersion | None) -> None:
    for window in records.get("prediction_windows") or []:
        summary = window.get("summary") or {}
        added = uow.predictions.add_window(source, served.id if served else None, int(window["window_start"]),
                                           int(window["window_end"]), int(window["count"]), summary)
        if summary.get("expectations"):
            _expectation_alerts(uow, ctx, source, added, summary["expectations"])
    drift = records.get("drift") or []
    by_window: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in drift:
        by_window.setdefault((int(row["window_start"]), int(row["window_end"])), []).append(row)
    for (start, end), rows in by_window.items():
        uow.results.add_drift(source, start, end, rows)
    for row in records.get("divergence") or []:
        uow.results.add_divergence(source, int(row["window_start"]), int(row["window_end"]), row["method"],
                                   float(row["statistic"]), float(row["threshold"]), bool(row["diverged"]),
                                   row.get("details") or {})
    _write_alerts(uow, ctx, source, records)
    for kpi in records.get("kpi") or []:
        series = uow.kpis.ensure(str(kpi.get("name") or source))
        uow.kpis.upsert_points(series.id, [(int(t), float(v)) for t, v in kpi.get("points") or []])


def _expectation_alerts(uow: Any, ctx: RunContext, source: str, window: Any,
                        checked: dict[str, Any]) -> None:
    """A scored window's broken expectations raise (or count on) deviation alerts of the source;
    the rules it met end their open episodes — as the prediction log does for served rows."""
    from workbench.monitoring.deviation import expectation_alerts

    alerts = expectation_alerts(checked, f"run {ctx.run.id}, prediction window {window.id} "
                                         f"({window.count} rows)")
    for condition in alerts.cleared:
        uow.alerts.clear(source, "deviation", condition, at=window.window_end)
    for condition, message in alerts.raised:
        uow.alerts.raise_alert(source, "deviation", message, ctx.run.id, condition=condition,
                               at=window.window_end)


def _write_alerts(uow: Any, ctx: RunContext, source: str, records: dict[str, Any]) -> None:
    """Alerts in window order, with the windows where a condition did not hold between them:
    a window that did not diverge (or a dataset that did not drift) clears the open episode
    of that kind, so a repeat only counts on the open alert while the condition holds."""
    events: list[tuple[int, int, str, dict[str, Any] | None]] = []
    for row in records.get("divergence") or []:
        if not row.get("diverged") and (row.get("details") or {}).get("scope") != "overall":
            events.append((int(row["window_end"]), 0, "divergence", None))
    for row in records.get("drift") or []:
        if row.get("column") == "*" and row.get("method") == "dataset" and not row.get("drifted"):
            events.append((int(row["window_end"]), 0, "drift", None))
    alerts = records.get("alerts") or []
    last = max((e[0] for e in events), default=0)
    for alert in alerts:
        events.append((int(alert.get("window_end") or last), 1, str(alert.get("kind", "alert")), alert))
    for _, _, kind, alert in sorted(events, key=lambda e: (e[0], e[1])):
        if alert is None:
            uow.alerts.clear(source, kind)
        else:
            uow.alerts.raise_alert(source, kind, str(alert.get("message", "")), ctx.run.id,
                                   condition=alert.get("condition") or None)

