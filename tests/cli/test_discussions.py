"""Discussions from the CLI: comments and replies on a run, a model version and a graph node,
@mentions of real people, edits by the author only and shown as edited, every comment in the
audit trail; an analyst reads but does not write; a target that does not exist is named."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.graph import load_template, save


def test_people_discuss_a_node_and_a_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    graph = load_template("approval")
    graph.name = "churn"
    path = tmp_path / "churn.yaml"
    save(graph, path)
    assert workbench("--user", "bob", "graph", "save", str(path), env=env).returncode == 0
    trainer = next(n.id for n in graph.nodes.values() if n.kind == "train_sklearn")

    first = workbench("--user", "bob", "comments", "add", f"node:churn/{trainer}",
                      "@rita should the threshold be 0.8? cc @nobody", "--json", env=env)
    assert first.returncode == 0, first.stderr
    made = json.loads(first.stdout)
    assert made["mentions"] == ["rita"] and made["author"] == "bob"
    reply = workbench("--user", "rita", "comments", "add", f"node:churn/{trainer}", "0.8 is fine",
                      "--reply-to", str(made["id"]), env=env)
    assert reply.returncode == 0, reply.stderr
    edited = workbench("--user", "bob", "comments", "edit", str(made["id"]), "@rita is 0.8 right?", env=env)
    assert edited.returncode == 0, edited.stderr
    not_mine = workbench("--user", "rita", "comments", "edit", str(made["id"]), "changed", env=env)
    assert not_mine.returncode == 3 and "bob's" in not_mine.stderr

    listed = json.loads(workbench("--user", "anna", "comments", "list", f"node:churn/{trainer}",
                                  "--json", env=env).stdout)
    (top,) = listed
    assert top["text"] == "@rita is 0.8 right?" and top["edited_at"] is not None
    assert [(r["author"], r["text"]) for r in top["replies"]] == [("rita", "0.8 is fine")]
    text = workbench("--user", "anna", "comments", "list", f"node:churn/{trainer}", env=env).stdout
    assert "(edited " in text and "    #" in text  # the reply is indented under its comment

    analyst = workbench("--user", "anna", "comments", "add", f"node:churn/{trainer}", "hi", env=env)
    assert analyst.returncode == 3
    for target, said in (("node:churn/nowhere", "no node 'nowhere'"), ("run:99", "99"),
                         ("model:churn/7", "churn"), ("thing:1", "not something to discuss")):
        missing = workbench("--user", "bob", "comments", "add", target, "x", env=env)
        assert missing.returncode in (1, 2) and no_traceback(missing), missing.stderr
        assert said in missing.stderr, (target, missing.stderr)

    from workbench.store import open_store

    store = open_store(url)
    with store.read() as uow:
        actions = [(e.action, e.actor) for e in uow.audit.all() if e.subject == f"node:churn/{trainer}"]
    store.close()
    assert actions == [("comments.add", "bob"), ("comments.add", "rita"), ("comments.edit", "bob")]
