"""Watching a graph's triggers and firing them by hand (``scientist`` or ``engineer``)."""

from __future__ import annotations

from pathlib import Path

from workbench.orchestrator.triggers import TriggerWatcher
from workbench.services.identity import authorise, project_of
from workbench.store import Store
from workbench.store.entities import Run


def watcher(store: Store, actor: str, graph_file: str | Path, *, target: str = "local",
            spawn: bool = True, project: str | None = None) -> TriggerWatcher:
    """A watcher of the graph's triggers (``runs.start``): each trigger that fires starts a run of the saved graph."""
    from workbench.graph import dumps, ensure_valid, load

    graph = load(Path(graph_file))
    ensure_valid(graph)
    with store.write(actor) as uow:
        where = project_of(uow, project)
        authorise(uow, actor, "runs.start", where)
        version = uow.graphs.save(where.id, graph.name, dumps(graph))
    return TriggerWatcher(store, actor, version.id, target=target, spawn=spawn,
                          params={"graph_path": str(Path(graph_file).resolve())})


def fire(store: Store, actor: str, graph_file: str | Path, node_id: str, *, target: str = "local",
         spawn: bool = True, project: str | None = None) -> Run:
    """Fire the trigger node ``node_id`` by hand: the run it starts."""
    return watcher(store, actor, graph_file, target=target, spawn=spawn, project=project).fire(node_id, f"manual:{node_id}")
