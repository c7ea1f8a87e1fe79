"""Text output a person reads: ``runs list`` columns line up whatever the values' lengths, and
``graph show`` prints a long description whole, wrapped at words."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.cli import workbench

LONG_USER = "a-person-with-a-rather-long-login-name"
LONG_TRIGGER = "alert:drift_monitor_of_the_live_applications->retrain_on_fresh_labels"


def _columns(header: str) -> list[int]:
    return [m.start() for m in re.finditer(r"(?:^|(?<=  ))\S", header)]


def test_runs_list_columns_line_up_with_long_values(tmp_path: Path) -> None:
    from workbench.store import open_store

    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert workbench("--store", url, "--user", "admin", "init").returncode == 0
    store = open_store(url)
    try:
        with store.write(LONG_USER) as uow:
            project = uow.projects.ensure()
            uow.runs.create(project.id, None, trigger=LONG_TRIGGER, target="spark-cluster-in-the-basement")
        with store.write("bo") as uow:
            for _ in range(11):  # ids of one and two digits
                uow.runs.create(project.id, None)
    finally:
        store.close()
    result = workbench("--store", url, "--user", "admin", "runs", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 13, result.stdout
    header = lines[0]
    starts = _columns(header)
    assert header.split() == ["run", "status", "trigger", "started", "by", "target"]
    assert len(starts) == 5, header
    listed = json.loads(workbench("--store", url, "--user", "admin", "runs", "list", "--json").stdout)
    for line, run in zip(lines[1:], listed, strict=True):
        cells = [str(run["status"]), run["trigger"], run["started_by"], run["target"]]
        for start, cell in zip(starts[1:], cells, strict=True):
            assert line[start:start + len(cell)] == cell, (line, cell)
            assert start == 0 or line[start - 1] == " "
        assert line[:starts[1]].strip() == str(run["id"])
        assert line.index(str(run["id"])) + len(str(run["id"])) == len(header.split("  ")[0])  # right-aligned ids
    assert any(LONG_TRIGGER in line and LONG_USER in line for line in lines)


def test_graph_show_prints_the_whole_description_wrapped(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    assert workbench("graph", "new", "--template", "approval", "-o", str(path)).returncode == 0
    description = ("A lender scores credit applications every night. " * 6
                   + "The last sentence ends here, and nothing of it may be lost.")
    from workbench.graph import load, save

    graph = load(path)
    graph.description = description
    save(graph, path)
    result = workbench("graph", "show", str(path), env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    head = result.stdout.split("\nnodes (")[0]
    assert " ".join(head.split()[head.split().index("A"):]) == description, head
    assert all(len(line) <= 80 for line in head.splitlines()), head
    assert head.rstrip().endswith("nothing of it may be lost.")
