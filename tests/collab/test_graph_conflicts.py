"""Concurrent edits of one graph by separate workbench processes (issue 16's acceptance), on a
SQLite file and on PostgreSQL: never a lost edit.

* Two ``workbench graph save`` processes started at the same moment from the same version: edits
  of different nodes are merged; edits of the same node let one save and refuse the other (exit
  1, the node named), whose ``--force`` then writes over it with an audit entry — the overwritten
  version stays in the history.
* An open workbench's graph editor saving after another process saved: the same node opens the
  conflict dialog naming it (the person's choice is saved, the other's other edits kept);
  different nodes are merged and the merged version offered.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.collab.conftest import OpenWorkbenches, SharedStore, Workbench
from tests.support.store_setup import training_graph


def _first_version(shared: SharedStore, name: str, folder: Path) -> Path:
    """Graph ``name`` saved by bob as its version 1; its file."""
    from workbench.graph import load
    from workbench.services.graph_history import save_graph

    path = training_graph(folder / f"{name}.yaml", "churn_model", name)
    session = shared.open_as("bob")
    try:
        assert save_graph(session.store, "bob", load(path), message="first version").version.version == 1
    finally:
        session.close()
    return path


def _edited(source: Path, target: Path, edits: dict[tuple[str, str], Any]) -> Path:
    """A copy of ``source`` with node parameters changed: {(node, parameter): value}."""
    from workbench.graph import load, save

    graph = load(source)
    for (node, param), value in edits.items():
        graph.set_param(node, param, value)
    save(graph, target)
    return target


def _params(shared: SharedStore, name: str, version: int | None = None) -> tuple[int, str, dict[str, Any]]:
    """Version number, author and the node parameters of a stored version (latest when None)."""
    from workbench.graph import loads
    from workbench.services.graph_history import version_text

    session = shared.open_as("alice")
    try:
        found = version_text(session.store, "alice", name, version)
    finally:
        session.close()
    graph = loads(found.text)
    return found.version, found.author, {n: dict(node.params) for n, node in graph.nodes.items()}


def _save_both(shared: SharedStore, files: dict[str, Path]) -> dict[str, subprocess.CompletedProcess[str]]:
    """Each person's ``graph save FILE --base 1``, all started at once, each run to its end."""
    started = {person: shared.start_cli(person, "graph", "save", str(path), "--base", "1", "--json",
                                        "-m", f"{person}'s edit") for person, path in files.items()}
    done = {}
    for person, process in started.items():
        out, err = process.communicate(timeout=60)
        done[person] = subprocess.CompletedProcess(process.args, process.returncode, out, err)
    return done


def test_concurrent_saves_of_different_nodes_are_merged(shared_store: SharedStore, tmp_path: Path) -> None:
    first = _first_version(shared_store, "merge", tmp_path)
    files = {"bob": _edited(first, tmp_path / "bob.yaml", {("train", "model_name"): "bobs_model"}),
             "sam": _edited(first, tmp_path / "sam.yaml", {("data", "builtin"): "iris"})}
    done = _save_both(shared_store, files)
    assert all(r.returncode == 0 for r in done.values()), {p: r.stderr for p, r in done.items()}
    said = {person: json.loads(r.stdout) for person, r in done.items()}
    assert sorted(s["version"] for s in said.values()) == [2, 3]
    later = next(s for s in said.values() if s["version"] == 3)
    assert later["merged_with"] == 2 and later["overwrote"] is None
    version, _, params = _params(shared_store, "merge")
    assert version == 3
    assert params["train"]["model_name"] == "bobs_model" and params["data"]["builtin"] == "iris"  # both edits


def test_concurrent_saves_of_the_same_node_refuse_one_until_forced(shared_store: SharedStore, tmp_path: Path) -> None:
    first = _first_version(shared_store, "clash", tmp_path)
    edits = {"bob": {("train", "model_name"): "bobs_model"},
             "sam": {("train", "model_name"): "sams_model", ("data", "builtin"): "iris"}}
    files = {person: _edited(first, tmp_path / f"{person}.yaml", e) for person, e in edits.items()}
    done = _save_both(shared_store, files)
    codes = {person: r.returncode for person, r in done.items()}
    assert sorted(codes.values()) == [0, 1], {p: r.stderr for p, r in done.items()}
    winner = next(p for p, c in codes.items() if c == 0)
    loser = next(p for p, c in codes.items() if c == 1)
    refusal = done[loser].stderr
    assert "'train'" in refusal and f"{winner} saved version 2" in refusal and "--force" in refusal
    assert "Traceback" not in refusal
    version, author, params = _params(shared_store, "clash")
    assert (version, author) == (2, winner)  # the refused edit did not land, and nothing else did

    forced = shared_store.cli(loser, "graph", "save", str(files[loser]), "--base", "1", "--force",
                              "-m", f"{loser} insists")
    assert forced.returncode == 0 and "overwriting the changes of version 2" in forced.stdout, forced.stderr
    version, author, params = _params(shared_store, "clash")
    assert (version, author) == (3, loser)
    assert params["train"]["model_name"] == f"{loser[:3]}s_model"
    _, _, overwritten = _params(shared_store, "clash", 2)  # the overwritten edit stays in the history
    assert overwritten["train"]["model_name"] == f"{winner[:3]}s_model"

    from workbench.services.audit import entries

    session = shared_store.open_as("alice")
    try:
        trail = [(e.action, e.actor, e.payload.get("overwrote")) for e in entries(session.store, subject="graph:clash")]
    finally:
        session.close()
    assert trail[-1] == ("graphs.overwrite", loser, 2), trail


@pytest.fixture(scope="module")
def bob(open_workbenches: OpenWorkbenches) -> Workbench:
    (workbench,) = open_workbenches("bob")
    return workbench


def _opened(bob: Workbench, path: Path) -> None:
    asked = time.time()
    bob.send(do="open_graph", file=str(path))
    assert bob.wait_for("graph_open", lambda e: e["name"] == path.stem, timeout=20, after=asked)["base"] == 1


def test_the_editor_meets_the_same_node_saved_by_another_process_in_the_conflict_dialog(
        shared_store: SharedStore, bob: Workbench, tmp_path: Path) -> None:
    first = _first_version(shared_store, "gui-clash", tmp_path)
    _opened(bob, first)
    bob.send(do="set_param", node="train", name="model_name", value="bobs_model")
    theirs = _edited(first, tmp_path / "sam.yaml", {("train", "model_name"): "sams_model", ("data", "builtin"): "iris"})
    saved = shared_store.cli("sam", "graph", "save", str(theirs), "--base", "1", "-m", "sam's model")
    assert saved.returncode == 0, saved.stderr

    asked = time.time()
    bob.send(do="save_graph", message="bob's model")
    dialog = bob.wait_for("dialog", lambda e: e["kind"] == "conflict", timeout=20, after=asked)
    assert dialog["nodes"] == ["train"]
    bob.send(do="answer", button="resolve", choose={"train": "mine"})
    result = bob.wait_for("graph_saved", timeout=20, after=asked)
    assert result["version"] == 3 and result["base"] == 3, result
    version, author, params = _params(shared_store, "gui-clash")
    assert (version, author) == (3, "bob")
    assert params["train"]["model_name"] == "bobs_model"  # bob's choice for the node both changed
    assert params["data"]["builtin"] == "iris"  # sam's other edit is kept
    assert _params(shared_store, "gui-clash", 2)[2]["train"]["model_name"] == "sams_model"


def test_the_editor_merges_another_process_s_edit_of_another_node(
        shared_store: SharedStore, bob: Workbench, tmp_path: Path) -> None:
    first = _first_version(shared_store, "gui-merge", tmp_path)
    _opened(bob, first)
    bob.send(do="set_param", node="train", name="model_name", value="bobs_model")
    theirs = _edited(first, tmp_path / "sam.yaml", {("data", "builtin"): "iris"})
    saved = shared_store.cli("sam", "graph", "save", str(theirs), "--base", "1", "-m", "sam's data")
    assert saved.returncode == 0, saved.stderr

    asked = time.time()
    bob.send(do="save_graph", message="bob's model")
    offered = bob.wait_for("dialog", lambda e: "Merged with a later version" in e["text"], timeout=20,
                           after=asked)
    assert "version 2" in offered["text"] and "both edits" in offered["text"]
    bob.send(do="answer", button="yes")  # load the merged version into the editor
    result = bob.wait_for("graph_saved", timeout=20, after=asked)
    assert "merged with version 2" in result["status"], result
    assert result["version"] == 3 and result["base"] == 3, result
    version, _, params = _params(shared_store, "gui-merge")
    assert version == 3
    assert params["train"]["model_name"] == "bobs_model" and params["data"]["builtin"] == "iris"
