"""Graph history from the CLI as two people use it: saves with messages, the log, diffs of
versions and files, edits to different nodes merged, edits to the same node refused (exit 1,
the node named) unless forced — and the forced overwrite is in the audit trail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.graph import load, load_template, save
from workbench.services.users import add_user


def test_two_people_save_one_graph_without_losing_an_edit(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = cast_store(url)
    add_user(store, "alice", "carol", ["scientist"])
    store.close()

    def as_(person: str, *args: str, home: str):  # noqa: ANN202
        # each person has their own machine: their own data folder (remembered bases)
        return workbench("--user", person, *args, env={"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT),
                                                       "XDG_DATA_HOME": str(tmp_path / home)})

    bob_file, carol_file = tmp_path / "bob" / "g.yaml", tmp_path / "carol" / "g.yaml"
    bob_file.parent.mkdir()
    carol_file.parent.mkdir()
    graph = load_template("approval")
    graph.name = "churn"
    save(graph, bob_file)
    first = as_("bob", "graph", "save", str(bob_file), "-m", "first cut", home="b")
    assert first.returncode == 0 and "version 1" in first.stdout, first.stderr
    shutil.copy(bob_file, carol_file)
    assert as_("carol", "graph", "save", str(carol_file), "--base", "1", home="c").returncode == 0  # unchanged

    trainer = next(n.id for n in graph.nodes.values() if n.kind == "train_sklearn")
    source = next(n.id for n in graph.nodes.values() if n.kind == "data_source")
    mine = load(bob_file)
    mine.set_param(trainer, "model_name", "bob")
    save(mine, bob_file)
    theirs = load(carol_file)
    theirs.move_node(source, (10.0, 20.0))
    theirs.set_title(source, "Carol's data")
    save(theirs, carol_file)
    assert as_("carol", "graph", "save", str(carol_file), "-m", "clearer source", home="c").returncode == 0
    merged = as_("bob", "graph", "save", str(bob_file), "-m", "rename model", "--json", home="b")
    assert merged.returncode == 0, merged.stderr
    assert json.loads(merged.stdout)["merged_with"] == 2  # different nodes: merged, nothing lost

    log = json.loads(as_("carol", "graph", "log", "churn", "--json", home="c").stdout)
    assert [(v["version"], v["author"]) for v in log] == [(3, "bob"), (2, "carol"), (1, "bob")]
    assert log[0]["message"] == "merged with version 2: rename model" and log[2]["message"] == "first cut"
    diff = json.loads(as_("carol", "graph", "diff", "churn@1", "churn", "--json", home="c").stdout)
    changed = {n["node"]: n for n in diff["nodes"]}
    assert changed[trainer]["params"]["model_name"][1] == "bob"
    assert changed[source]["fields"]["title"][1] == "Carol's data"
    text = as_("carol", "graph", "diff", str(carol_file), "churn", home="c")
    assert text.returncode == 0 and f"changed node '{trainer}'" in text.stdout, text.stdout

    # both change the same node: refused, the node named, nothing saved
    theirs = load(carol_file)
    theirs.set_param(trainer, "model_name", "carol")
    save(theirs, carol_file)
    clash = as_("carol", "graph", "save", str(carol_file), home="c")
    said = clash.stdout + clash.stderr
    assert clash.returncode == 1 and no_traceback(clash), said
    assert repr(trainer) in said and "bob saved version 3" in said and "--force" in said
    assert len(json.loads(as_("carol", "graph", "log", "churn", "--json", home="c").stdout)) == 3
    forced = as_("carol", "graph", "save", str(carol_file), "--force", home="c")
    assert forced.returncode == 0 and "overwriting" in forced.stdout, forced.stderr
    from workbench.store import open_store

    store = open_store(url)
    with store.read() as uow:
        entries = [(e.action, e.actor, e.payload.get("overwrote")) for e in uow.audit.all()
                   if e.subject == "graph:churn"]
    store.close()
    assert entries[-1] == ("graphs.overwrite", "carol", 3)
    # an analyst may read the history but not save
    analyst = as_("anna", "graph", "save", str(carol_file), home="n")
    assert analyst.returncode == 3
