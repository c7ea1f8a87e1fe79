"""The YAML file format: canonical output, round trips, the version 1 upgrade, atomic saves,
and hostile or broken input -> the right error class, exit code, line and node id."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from workbench.graph import (
    Graph,
    GraphFileError,
    GraphFormatError,
    dumps,
    fileformat,
    load,
    loads,
    save,
    validate,
    yamlsafe,
)

HEADER = "format: mlops-workbench/graph\nversion: 2\n"

CANONICAL = """\
format: mlops-workbench/graph
version: 2
name: pipeline
description: a small pipeline
nodes:
- id: data
  kind: data_source
  title: Data source
  position: [0.0, 0.0]
  params:
    builtin: breast_cancer
    format: builtin
    path: ''
    query: ''
    target: target
    url: ''
- id: promote
  kind: promote
  title: Promote
  position: [400.0, 0.0]
  params:
    alias: champion
    model_name: m
- id: score
  kind: inference
  title: Inference
  position: [600.0, 0.0]
  params:
    alias: ''
    mode: batch
    model_name: ''
- id: train
  kind: train_sklearn
  title: Train (scikit-learn)
  position: [200.0, 0.0]
  target: gpu-box
  params:
    estimator: sklearn.linear_model.LogisticRegression
    estimator_params:
      C: 0.5
      class_weight: balanced
    model_name: ''
edges:
- {from: data.data, to: score.data}
- {from: data.data, to: train.data}
- {from: promote.model, to: score.model}
- {from: train.model, to: promote.model}
annotations:
- id: note
  text: |
    Two lines
    of text
  position: [10.0, -20.5]
"""


@pytest.fixture
def canonical_graph(pipeline: Graph) -> Graph:
    pipeline.set_target("train", "gpu-box")
    pipeline.set_param("train", "estimator_params", {"class_weight": "balanced", "C": 0.5})
    pipeline.add_annotation("Two lines\nof text\n", (10, -20.5))
    return pipeline


def test_dumps_writes_the_canonical_layout(canonical_graph: Graph) -> None:
    assert dumps(canonical_graph) == CANONICAL


def test_round_trip_is_byte_identical(canonical_graph: Graph) -> None:
    text = dumps(canonical_graph)
    again = loads(text)
    assert dumps(again) == text
    assert dumps(loads(dumps(again))) == text
    assert again.node("train").target == "gpu-box"
    assert set(again.edges) == set(canonical_graph.edges)
    assert again.annotation("note").text == "Two lines\nof text\n"


def test_odd_text_survives_a_round_trip() -> None:
    g = Graph("name: with colon", "'quotes' and \"double\"\n  indented\ttab\nü ☃ 🚀\n\n")
    g.add_node(
        "kpi_source",
        id="k",
        title="on",
        params={"path": "yes", "time_column": "123", "value_column": "null"},
    )
    g.add_node("trigger", id="t", title="- dash", params={"on": "schedule"})
    g.add_node(
        "promote", id="p", title="#hash", params={"model_name": "true"}, position=(1e17, -0.0)
    )
    g.add_annotation("", (0.1, 1 / 3))
    text = dumps(g)
    assert "  on: schedule" in text  # 'on' is a plain key, not a YAML 1.1 boolean
    again = loads(text)
    assert dumps(again) == text
    assert again.node("k").params["path"] == "yes" and again.node("k").title == "on"
    assert again.node("p").params["model_name"] == "true" and again.description == g.description
    assert again.annotation("note").position == (0.1, 1 / 3)


def test_loading_fills_defaults_and_tolerates_flow_style_and_comments() -> None:
    text = HEADER + (
        "# a comment\n"
        "nodes:\n"
        "- {id: d, kind: data_source}\n"
        "- id: t\n  kind: train_torch\n  params: {epochs: 3}\n"
        "edges: [{from: d.data, to: t.data}]\n"
    )
    g = loads(text)
    assert g.name == "untitled" and g.description == ""
    assert g.node("d").title == "Data source" and g.node("d").position == (0.0, 0.0)
    assert g.node("t").params == {"epochs": 3}  # what the file says; defaults are not invented
    assert validate(g) == []
    assert yaml.safe_load(dumps(g))["nodes"][1]["params"] == {"epochs": 3}


def test_version_1_files_are_upgraded() -> None:
    v1 = (
        "format: mlops-workbench/graph\n"
        "version: 1\n"
        "name: old\n"
        "nodes:\n"
        "- id: d\n  kind: data_source\n  title: Data\n  pos: [0, 0]\n"
        "- id: t\n  kind: train_sklearn\n  pos: [200, 10]\n  params: {model_name: old}\n"
        "links:\n"
        "- [d, data, t, data]\n"
    )
    g = loads(v1, "old.yaml")
    assert g.node("t").position == (200.0, 10.0) and g.node("d").title == "Data"
    assert [e.id for e in g.edges] == ["d.data->t.data"]
    text = dumps(g)
    assert "version: 2" in text and "links" not in text and "{from: d.data, to: t.data}" in text
    assert dumps(loads(text)) == text
    with pytest.raises(GraphFormatError, match=r"old.yaml, line 14: link #1 must be"):
        loads(v1.replace("- [d, data, t, data]", "- [d, data, t]"), "old.yaml")
    with pytest.raises(
        GraphFormatError, match=r"line 11, node 't': 'position' must be two numbers"
    ):
        loads(v1.replace("pos: [200, 10]", "pos: [200]"), "old.yaml")
    with pytest.raises(GraphFormatError, match="unknown key 'position'"):
        loads(v1.replace("pos: [0, 0]", "position: [0, 0]"), "old.yaml")


def test_save_is_atomic_and_load_reads_it_back(tmp_path: Path, canonical_graph: Graph) -> None:
    path = tmp_path / "graph.yaml"
    save(canonical_graph, path)
    assert path.read_bytes() == CANONICAL.encode("utf-8")
    assert dumps(load(path)) == CANONICAL
    os.chmod(path, 0o640)
    canonical_graph.set_title("train", "Fit")
    save(canonical_graph, str(path))
    assert load(path).node("train").title == "Fit"
    assert (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["graph.yaml"]  # no temporary files left


def test_a_failed_save_keeps_the_old_file(
    tmp_path: Path, canonical_graph: Graph, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "graph.yaml"
    path.write_text("old content", encoding="utf-8")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(fileformat.os, "replace", broken_replace)
    with pytest.raises(GraphFileError, match="No space left") as info:
        save(canonical_graph, path)
    assert info.value.exit_code == 2
    assert path.read_text(encoding="utf-8") == "old content"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.yaml"]
    with pytest.raises(GraphFileError):
        save(canonical_graph, tmp_path / "missing-dir" / "g.yaml")
    with pytest.raises(GraphFileError, match="null byte"):
        save(canonical_graph, str(tmp_path / "bad\x00name.yaml"))


def test_the_issue_example_message() -> None:
    text = (
        HEADER
        + "nodes:\n"
        + "".join(f"- {{id: d{i}, kind: data_source}}\n" for i in range(7))
        + "- id: train\n  kind: trian\n"
    )
    with pytest.raises(GraphFormatError) as info:
        loads(text, "graph.yaml")
    assert str(info.value).startswith(
        "graph.yaml, line 12, node 'train': unknown node kind 'trian' (known: ab_test, approval_gate, "
    )


def _node_file(node: str, edges: str = "") -> str:
    return (
        HEADER
        + "nodes:\n- {id: d, kind: data_source}\n"
        + node
        + (("edges:\n" + edges) if edges else "")
    )


def test_lenient_loading_keeps_unknown_kinds_and_bad_values_for_the_editor() -> None:
    text = _node_file(
        "- id: t\n  kind: trian\n  params: {x: 1}\n- id: m\n  kind: train_torch\n  params: {epochs: -1}\n",
        "- {from: d.data, to: t.data}\n- {from: d.data, to: m.data}\n",
    )
    g = loads(text, strict=False)
    assert g.node("t").kind == "trian" and g.node("t").title == "trian"
    assert g.node("m").params["epochs"] == -1
    assert {p.code for p in validate(g)} == {"unknown_kind", "invalid_param"}
    assert dumps(loads(dumps(g), strict=False)) == dumps(g)
    with pytest.raises(GraphFormatError):
        loads(dumps(g))
    with pytest.raises(GraphFormatError, match="no node 'ghost'"):
        loads(_node_file("", "- {from: d.data, to: ghost.data}\n"), strict=False)


def test_a_line_is_found_even_when_the_path_ends_early() -> None:
    parsed = yamlsafe.parse_yaml("a:\n  b: [1, 2]\n")
    assert parsed.line(("a", "b", 1)) == 2
    assert parsed.line(("a", "zzz")) == 2
    assert parsed.line(("nothing",)) == 1
    assert yamlsafe.line_of(None, ("a",)) == 1


def test_dumped_yaml_uses_no_anchors_or_tags(canonical_graph: Graph) -> None:
    canonical_graph.set_param("train", "estimator_params", {"a": [1, 2], "b": [1, 2]})
    text = dumps(canonical_graph)
    assert "&" not in text and "*" not in text and "!!" not in text
