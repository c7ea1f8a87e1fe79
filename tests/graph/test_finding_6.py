"""Finding 6 of the security review: a password inside a graph parameter. ``graph validate``
refuses it (naming the node and the parameter, never echoing the password), a run of it is
refused before anything is stored, and lineage never keeps a URL's password even when a
graph version holding one reaches the orchestrator some other way."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.graph import Graph, dumps, save

PASSWORD = "Tr0ub4dor-and-3"
URL = f"postgresql://bob:{PASSWORD}@db.example:5432/prod"


def _sql_graph(path: Path) -> Path:
    graph = Graph("warehouse")
    graph.add_node("data_source", id="sales", params={"format": "sql", "url": URL, "query": "select 1"})
    graph.add_node("train_sklearn", id="train", params={"model_name": "sales"})
    graph.connect("sales", "data", "train", "data")
    save(graph, path)
    return path


def test_finding_6_a_password_in_a_graph_parameter_is_refused(tmp_path: Path) -> None:
    store_url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(store_url).close()
    env = {"WORKBENCH_STORE": store_url, "PYTHONPATH": str(ROOT)}
    path = _sql_graph(tmp_path / "warehouse.yaml")

    checked = workbench("graph", "validate", str(path), env=env)
    said = checked.stdout + checked.stderr
    assert checked.returncode == 1 and no_traceback(checked), said
    assert "'sales'" in said and "'url'" in said and "keyring" in said
    assert PASSWORD not in said
    as_json = workbench("graph", "validate", "--json", str(path), env=env)
    assert as_json.returncode == 1 and PASSWORD not in as_json.stdout + as_json.stderr
    assert any(p["node_id"] == "sales" and p["param"] == "url" for p in json.loads(as_json.stdout)["problems"])

    ran = workbench("--user", "bob", "run", str(path), env=env)
    assert ran.returncode == 1 and no_traceback(ran), ran.stdout + ran.stderr
    assert PASSWORD not in ran.stdout + ran.stderr
    stored = b"".join(f.read_bytes() for f in tmp_path.glob("store.db*") if f.is_file())
    assert PASSWORD.encode() not in stored


def test_finding_6_lineage_never_keeps_a_password(tmp_path: Path) -> None:
    from workbench.orchestrator.launch import create_run
    from workbench.orchestrator.runner import RunDriver

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    graph = Graph("leaky")  # reaches the store without the services' validation, as a plug-in could
    graph.add_node("data_source", id="data", params={"format": "builtin", "url": URL})
    with store.write("bob") as uow:
        version = uow.graphs.save(uow.projects.ensure().id, graph.name, dumps(graph))
    run = create_run(store, "bob", graph_version_id=version.id, params={"graph_path": str(tmp_path / "leaky.yaml")})
    assert RunDriver(store, run.id).drive() == "succeeded"
    with store.read() as uow:
        step = uow.runs.latest_steps(run.id)["data"]
        (artifact_id,) = uow.runs.outputs(step.id)["data"]
        lineage = uow.artifacts.get(artifact_id).lineage
    assert PASSWORD not in json.dumps(lineage)
    assert lineage["params"]["url"] == "postgresql://bob:***@db.example:5432/prod"
    store.close()


def test_finding_6_the_data_source_takes_the_password_from_the_keyring(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from workbench.engines.runtime.data import _with_keyring_password
    from workbench.governance.secrets import delete_secret, store_secret

    bare = sa.engine.make_url("postgresql://bob@db.example:5432/prod")
    assert _with_keyring_password(bare).password is None
    store_secret("database", "postgresql://bob@db.example:5432/prod", PASSWORD)
    try:
        assert _with_keyring_password(bare).password == PASSWORD
    finally:
        delete_secret("database", "postgresql://bob@db.example:5432/prod")
