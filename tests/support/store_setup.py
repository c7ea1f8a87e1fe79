"""A store with the usual cast, for end-to-end tests: alice (admin), bob (scientist,
engineer), rita (approver), olga (operator), anna (analyst)."""

from __future__ import annotations

from pathlib import Path

from workbench.services.users import add_user
from workbench.store import Store, init_store, open_store

CAST = {"bob": ["scientist", "engineer"], "rita": ["approver"], "olga": ["operator"], "anna": ["analyst"]}


def cast_store(url: str) -> Store:
    init_store(url, "alice")
    store = open_store(url)
    for name, roles in CAST.items():
        add_user(store, "alice", name, roles)
    return store


def training_graph(path: Path, model_name: str, name: str = "training") -> Path:
    """Write the smallest graph that trains a model: built-in data → scikit-learn training."""
    from workbench.graph import Graph, save

    graph = Graph(name)
    graph.add_node("data_source", id="data", params={"format": "builtin"})
    graph.add_node("train_sklearn", id="train", params={"model_name": model_name})
    graph.connect("data", "data", "train", "data")
    save(graph, path)
    return path


def run_to_end(store: Store, user: str, graph_path: Path) -> str:
    """Start a run of ``graph_path`` and drive it in this process; its final status."""
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.runs import start_run

    run = start_run(store, user, graph_path, detach=False)
    return RunDriver(store, run.id).drive()
