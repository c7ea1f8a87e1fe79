"""Driving one run to its end: steps in dependency order, independent branches at once (up
to ``max_parallel`` engine steps; control steps wait on their own threads), heartbeat and
cancel, resume from the last successful steps, and triggered follow-up runs.

Rules: the run's final status is ``cancelled`` if a cancel was requested, ``rejected`` if an
approval was refused, ``failed`` if any step failed (its dependants are ``skipped``), else
``succeeded``. Steps that succeeded in an earlier attempt of this run are not run again:
their outputs are taken from the store. An alert from a node whose ``alert`` port feeds a
``trigger`` starts a new run of the part of the graph that trigger starts.
"""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from workbench.engines.base import Engine
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.orchestrator.context import RunContext
from workbench.orchestrator.control import CONTROL_RUNNERS
from workbench.orchestrator.plan import Plan, part_started_by, plan
from workbench.orchestrator.sink import SinkFlusher
from workbench.orchestrator.steps import StepResult, run_engine_step
from workbench.store import Store
from workbench.store.states import StepStatus

HEARTBEAT_S = 2.0


def default_engines() -> dict[str, Engine]:
    from workbench.engines.local import LocalEngine

    return {"local": LocalEngine()}


class RunDriver:
    def __init__(self, store: Store, run_id: int, *, artifacts: ArtifactStore | None = None,
                 engines: dict[str, Engine] | None = None, max_parallel: int = 2,
                 step_timeout_s: float | None = None, retries: int = 0, no_cache: bool = False,
                 poll_s: float = 0.5):
        self.store, self.run_id = store, run_id
        self.artifacts = artifacts or ArtifactStore.for_store(store.url)
        self.engines = engines or default_engines()
        self.engine_errors: dict[str, str] = {}
        self.max_parallel = max(1, max_parallel)
        self.step_timeout_s, self.retries, self.no_cache, self.poll_s = step_timeout_s, retries, no_cache, poll_s

    # -- setup ----------------------------------------------------------------------------
    def _context(self) -> tuple[RunContext, Plan]:
        from workbench.graph import loads

        with self.store.write("orchestrator") as uow:
            run = uow.runs.get(self.run_id)
            version = uow.graphs.get(run.graph_version_id)
            uow.runs.claim(self.run_id, socket.gethostname(), os.getpid())
        graph = loads(version.text, f"graph version {version.id}")
        options = run.params
        ctx = RunContext(store=self.store, run=run, actor=run.started_by, graph=graph,
                         graph_sha256=hashlib.sha256(version.text.encode()).hexdigest(),
                         artifacts=self.artifacts, engines=self.engines, flusher=SinkFlusher(),
                         step_timeout_s=options.get("step_timeout_s", self.step_timeout_s),
                         retries=int(options.get("retries", self.retries)),
                         no_cache=bool(options.get("no_cache", self.no_cache)), poll_s=self.poll_s,
                         engine_errors=self.engine_errors)
        the_plan = plan(graph, options.get("nodes"), default_target=run.target or "local")
        self._add_target_engines({s.target for s in the_plan.steps})
        return ctx, the_plan

    def _add_target_engines(self, targets: set[str]) -> None:
        """Engines for the registered targets this run uses; unknown ones fail their steps."""
        from workbench.engines.errors import TargetError
        from workbench.engines.registry import build_engine

        with self.store.read() as uow:
            for name in sorted(targets - set(self.engines)):
                target = uow.targets.find(name)
                if target is None:
                    continue
                try:
                    self.engines[name] = build_engine(target.name, target.kind, target.params)
                except TargetError as exc:
                    self.engine_errors[name] = str(exc)

    def _restore(self, ctx: RunContext, the_plan: Plan) -> set[str]:
        """Nodes that already succeeded in this run; their outputs become available again."""
        done: set[str] = set()
        with self.store.read() as uow:
            for node_id, step in uow.runs.latest_steps(self.run_id).items():
                if step.status != "succeeded" or node_id not in the_plan.node_ids:
                    continue
                ctx.outputs[node_id] = {port: [uow.artifacts.get(i) for i in ids]
                                        for port, ids in uow.runs.outputs(step.id).items()}
                done.add(node_id)
        return done

    # -- the loop -------------------------------------------------------------------------
    def drive(self) -> str:
        ctx, the_plan = self._context()
        done = self._restore(ctx, the_plan)
        with self.store.write(ctx.actor) as uow:
            uow.runs.set_status(self.run_id, "running")
        stop_beat = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(ctx, stop_beat), daemon=True)
        beat.start()
        results: dict[str, StepResult] = {}
        failed: set[str] = set()
        engine_pool = ThreadPoolExecutor(self.max_parallel, thread_name_prefix="step")
        control_pool = ThreadPoolExecutor(8, thread_name_prefix="control")
        running: dict[Future[StepResult], str] = {}
        try:
            while True:
                if not ctx.cancel.is_set():
                    for planned in the_plan.steps:
                        node_id = planned.node_id
                        if node_id in done or node_id in failed or node_id in running.values():
                            continue
                        if any(d in failed for d in planned.deps):
                            failed.add(node_id)
                            results[node_id] = self._skip(ctx, node_id, [d for d in planned.deps if d in failed])
                            continue
                        if all(d in done for d in planned.deps):
                            pool, fn = ((control_pool, CONTROL_RUNNERS[planned.kind]) if planned.control
                                        else (engine_pool, run_engine_step))
                            running[pool.submit(self._guarded, fn, ctx, planned)] = node_id
                if not running:
                    break
                finished, _ = wait(list(running), timeout=self.poll_s, return_when=FIRST_COMPLETED)
                for future in finished:
                    node_id = running.pop(future)
                    result = future.result()
                    results[node_id] = result
                    if result.status == StepStatus.SUCCEEDED:
                        done.add(node_id)
                        self._follow_triggers(ctx, node_id, result)
                    else:
                        failed.add(node_id)
        finally:
            engine_pool.shutdown(wait=True)
            control_pool.shutdown(wait=True)
            stop_beat.set()
            beat.join(timeout=5)
            ctx.flusher.close()
            for engine in self.engines.values():
                engine.close()
        return self._finish(ctx, the_plan, results, done)

    @staticmethod
    def _guarded(fn: Any, ctx: RunContext, planned: Any) -> StepResult:
        try:
            return fn(ctx, planned)
        except Exception as exc:  # a bug in one step must not take the run down silently
            return StepResult(planned.node_id, "failed", error=f"{type(exc).__name__}: {exc}")

    def _skip(self, ctx: RunContext, node_id: str, because: list[str]) -> StepResult:
        with self.store.write(ctx.actor) as uow:
            step = uow.runs.add_step(self.run_id, node_id, attempt=1 + len(
                [s for s in uow.runs.steps(self.run_id) if s.node_id == node_id]))
            done = uow.runs.set_step_status(step.id, "skipped", error=f"not run: {', '.join(because)} did not succeed")
        return StepResult(node_id, "skipped", done)

    def _heartbeat(self, ctx: RunContext, stop: threading.Event) -> None:
        while not stop.wait(HEARTBEAT_S):
            try:
                with self.store.write("orchestrator") as uow:
                    if uow.runs.heartbeat(self.run_id):
                        ctx.cancel.set()
            except Exception:  # the store may be briefly unreachable; keep beating
                continue

    def _finish(self, ctx: RunContext, the_plan: Plan, results: dict[str, StepResult], done: set[str]) -> str:
        with self.store.write(ctx.actor) as uow:
            if ctx.cancel.is_set() or uow.runs.get(self.run_id).cancel_requested:
                status, error = "cancelled", "cancelled on request"
                for step in uow.runs.latest_steps(self.run_id).values():
                    if step.status in ("queued", "running", "awaiting_approval"):
                        uow.runs.set_step_status(step.id, "cancelled", error="cancelled on request")
            elif any(r.status == "rejected" for r in results.values()):
                status = "rejected"
                error = next(r.error for r in results.values() if r.status == "rejected")
            elif len(done) < len(the_plan.steps):
                status = "failed"
                failures = [f"{r.node_id}: {r.error.splitlines()[0] if r.error else r.status}"
                            for r in results.values() if r.status == "failed"]
                error = "; ".join(failures) or "some steps did not run"
            else:
                status, error = "succeeded", ""
            uow.runs.set_status(self.run_id, status, error=error)
        return status

    def _follow_triggers(self, ctx: RunContext, node_id: str, result: StepResult) -> None:
        """Start the runs that this node's alerts trigger (drift alert → retrain)."""
        if not any(result.signals.values()):
            return
        from workbench.orchestrator.launch import create_run, spawn_worker

        for port, fired in result.signals.items():
            if not fired:
                continue
            for edge in ctx.graph.edges_out_of(node_id, port):
                trigger = ctx.graph.nodes[edge.dst_node]
                if trigger.kind != "trigger" or trigger.params.get("on") not in ("drift_alert", "manual", None):
                    continue
                cause = f"alert:{node_id}->{trigger.id}"
                if ctx.run.trigger == cause:
                    continue  # a triggered run never re-triggers itself
                part = sorted(part_started_by(ctx.graph, trigger.id))
                if not part:
                    continue
                run = create_run(self.store, ctx.actor, graph_version_id=ctx.run.graph_version_id,
                                 target=ctx.run.target, trigger=cause,
                                 params={**{k: v for k, v in ctx.run.params.items() if k != "nodes"}, "nodes": part})
                spawn_worker(self.store.url, run.id)
