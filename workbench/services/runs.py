"""Starting, watching, cancelling and resuming runs, for the signed-in user."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.errors import InvalidInputError, PermissionDeniedError
from workbench.orchestrator.launch import create_run, reconcile, spawn_worker
from workbench.services.identity import acting, authorise, project_of
from workbench.store import Store
from workbench.store.entities import Run, Step
from workbench.store.states import RESUMABLE, WRITERS


@dataclass(frozen=True)
class RunView:
    run: Run
    steps: list[Step]
    graph_name: str


def code_version(folder: Path) -> dict[str, Any] | None:
    """The Git commit of the graph's folder (and whether it has uncommitted changes)."""
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10, check=False)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain"], capture_output=True,
                               text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return {"git_commit": commit.stdout.strip(), "dirty": bool(dirty.stdout.strip())}


def start_run(store: Store, actor: str, graph_file: str | Path, *, target: str = "local",
              nodes: list[str] | None = None, trigger: str = "manual", no_cache: bool = False,
              retries: int = 0, step_timeout_s: float | None = None, seed: int = 0,
              detach: bool = True, project: str | None = None) -> Run:
    """Validate the graph file, save it as a graph version and create a run of it.

    Needs ``runs.start`` (scientist or engineer) in ``project`` (default: the default project), to
    which the run belongs. An invalid graph never becomes a run. With ``detach`` a worker process
    drives it.
    """
    from workbench.graph import dumps, ensure_valid, load

    path = Path(graph_file)
    graph = load(path)
    ensure_valid(graph)
    params: dict[str, Any] = {"graph_path": str(path.resolve()), "no_cache": no_cache, "retries": retries,
                              "seed": seed, "code_version": code_version(path.resolve().parent)}
    if step_timeout_s:
        params["step_timeout_s"] = step_timeout_s
    if nodes:
        unknown = [n for n in nodes if n not in graph.nodes]
        if unknown:
            raise InvalidInputError(f"{path}: no node {unknown[0]!r} in the graph")
        params["nodes"] = list(nodes)
    with store.write(actor) as uow:
        where = project_of(uow, project)
        authorise(uow, actor, "runs.start", where)
        version = uow.graphs.save(where.id, graph.name, dumps(graph))
    run = create_run(store, actor, graph_version_id=version.id, target=target, trigger=trigger, params=params)
    if detach:
        spawn_worker(store.url, run.id)
    return run


def _reconcile_for(store: Store, actor: str) -> None:
    """Notice runs whose worker is gone, once the acting user is known to the store (an
    unknown name is refused before anything is written or signalled)."""
    with store.read() as uow:
        user = acting(uow, actor)
    if store.read_only or not any(r in WRITERS for r in user.roles):
        return  # an analyst only reads (on PostgreSQL their login could not write this anyway)
    reconcile(store, actor)  # noticed and recorded by the person who looked


def list_runs(store: Store, actor: str, *, status: str | None = None, limit: int = 50,
              project: str | None = None) -> list[Run]:
    """The newest runs (of one status when given), after noticing runs whose worker is gone."""
    _reconcile_for(store, actor)
    with store.read() as uow:
        acting(uow, actor)
        project_id = None if project is None else project_of(uow, project).id
        return uow.runs.all(status=status, limit=limit, project_id=project_id)


def show_run(store: Store, actor: str, run_id: int) -> RunView:
    """A run with its steps and its graph's name."""
    _reconcile_for(store, actor)
    with store.read() as uow:
        acting(uow, actor)
        run = uow.runs.get(run_id)
        name = uow.graphs.get(run.graph_version_id).name if run.graph_version_id else ""
        return RunView(run, uow.runs.steps(run_id), name)


def cancel_run(store: Store, actor: str, run_id: int) -> Run:
    """Ask a run that has not finished to stop (``runs.cancel``)."""
    with store.write(actor) as uow:
        run = uow.runs.get(run_id)
        authorise(uow, actor, "runs.cancel", uow.projects.by_id(run.project_id))
        if run.finished:
            raise InvalidInputError(f"run {run_id} is already {run.status}")
        return uow.runs.request_cancel(run_id)


def resume_run(store: Store, actor: str, run_id: int, *, detach: bool = True) -> Run:
    """Continue one's own run that stopped part-way (``runs.start``) from its unfinished steps."""
    with store.read() as uow:
        authorise(uow, actor, "runs.start")  # before anything is reconciled
    reconcile(store, actor)
    with store.write(actor) as uow:
        run = uow.runs.get(run_id)
        authorise(uow, actor, "runs.start", uow.projects.by_id(run.project_id))
        if run.started_by != actor:  # a graph is code: it runs with the rights of whoever drives it
            raise PermissionDeniedError(
                f"run {run_id} was started by {run.started_by}; only they resume it",
                hint="run the same graph again as your own run (Re-run in the Runs view, or workbench run FILE)")
        if run.status not in RESUMABLE:
            raise InvalidInputError(f"run {run_id} is {run.status}; only {', '.join(sorted(RESUMABLE))} runs can be resumed")
        resumed = uow.runs.reset_for_resume(run_id)
    if detach:
        spawn_worker(store.url, run_id)
    return resumed


def rerun(store: Store, actor: str, run_id: int, *, detach: bool = True) -> Run:
    """Run the same saved graph version again with the same options (a reproduction)."""
    with store.write(actor) as uow:
        original = uow.runs.get(run_id)
        authorise(uow, actor, "runs.start", uow.projects.by_id(original.project_id))
        if original.graph_version_id is None:
            raise InvalidInputError(f"run {run_id} has no saved graph version to run again")
    params = {**original.params, "reproduces": run_id}
    run = create_run(store, actor, graph_version_id=original.graph_version_id, target=original.target,
                     trigger=f"rerun:{run_id}", params=params)
    if detach:
        spawn_worker(store.url, run.id)
    return run


def step_logs(store: Store, actor: str, step_id: int, since_id: int = 0) -> list:
    """A step's log lines after ``since_id``, oldest first."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.runs.logs(step_id, since_id=since_id)


def step_metrics(store: Store, actor: str, run_id: int, step_id: int | None = None) -> dict[str, dict]:
    """Every metric series of a run (or one step): key -> columns step, ts, value."""
    with store.read() as uow:
        acting(uow, actor)
        series = uow.metrics.keys(run_id)
        result = {}
        for key, series_id in series.items():
            points = uow.metrics.points(series_id)
            result[key] = points
        return result


def latest_graph_file(store: Store, actor: str, *, project: str | None = None) -> Path | None:
    """The graph file of the newest run (of ``project`` when given) that still exists on this machine (to reopen it)."""
    with store.read() as uow:
        acting(uow, actor)
        project_id = None if project is None else project_of(uow, project).id
        for run in uow.runs.all(limit=50, project_id=project_id):
            path = run.params.get("graph_path")
            if path and Path(path).is_file():
                return Path(path)
    return None
