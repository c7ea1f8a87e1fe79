"""Hostile and broken graph files: python tags, alias bombs, binary junk, NUL bytes, wrong
structure types, unknown kinds -> the right error class and exit code, and a message that
names the file, the line and the node id. Never a traceback."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

from workbench.errors import InvalidInputError, UnusableInputError
from workbench.graph import (
    GraphFileError,
    GraphFormatError,
    dumps,
    list_templates,
    load,
    load_template,
    loads,
    yamlsafe,
)

HEADER = "format: mlops-workbench/graph\nversion: 2\n"


def test_unusable_files(tmp_path: Path) -> None:
    with pytest.raises(GraphFileError, match="no such file") as info:
        load(tmp_path / "nope.yaml")
    assert info.value.exit_code == 2 and isinstance(info.value, UnusableInputError)
    with pytest.raises(GraphFileError, match="directory"):
        load(tmp_path)
    big = tmp_path / "big.yaml"
    with open(big, "wb") as handle:
        handle.truncate(yamlsafe.MAX_BYTES + 1)
    with pytest.raises(GraphFileError, match="too big"):
        load(big)
    with pytest.raises(GraphFileError, match="too big"):
        yamlsafe.read_limited(big, limit=10)
    with pytest.raises(GraphFileError, match="null byte"):
        load("bad\x00name.yaml")
    with pytest.raises(GraphFileError, match="expected text or bytes"):
        loads(None)  # type: ignore[arg-type]
    if os.geteuid() != 0:
        locked = tmp_path / "locked.yaml"
        locked.write_text(HEADER)
        locked.chmod(0)
        with pytest.raises(GraphFileError, match="permission denied"):
            load(locked)


HOSTILE_FILE_ERRORS = {
    "python object tag": (
        HEADER + "name: !!python/object/apply:os.system ['echo hacked']\n",
        "line 3",
        "!!python/object/apply:os.system",
    ),
    "python name tag": ("format: !!python/name:os.system\n", "line 1", "not allowed"),
    "tag on a mapping": (
        "!!python/object:collections.OrderedDict {a: 1}\n",
        "line 1",
        "not allowed",
    ),
    "local tag": (HEADER + "name: !shell rm -rf /\n", "line 3", "'!shell'"),
    "binary tag": (HEADER + "name: !!binary aGVsbG8=\n", "line 3", "!!binary"),
    "set tag": (HEADER + "name: !!set {a: null}\n", "line 3", "!!set"),
    "billion laughs": (
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
        "line 5",
        r"alias \*d repeats a collection",
    ),
    "many aliases": (
        "a: &a x\nb: [" + ", ".join(["*a"] * 101) + "]\n",
        "line 2",
        "more than 100 aliases",
    ),
    "recursive alias": ("a: &a [1, *a]\n", "line 1", "recursive alias"),
    "undefined alias": ("a: *nothing\n", "line 1", "nothing"),
    "merge key": ("a: &a {x: 1}\nb:\n  <<: *a\n", "line 3", "merge keys"),
    "deep nesting": ("a: " + "[" * 70 + "]" * 70 + "\n", "line 1", "nested more than 64"),
    "very deep nesting": ("[" * 5000 + "]" * 5000, "line 1", "not valid YAML|nested more than"),
    "syntax error": (HEADER + "nodes: [\n", "line 4", "not valid YAML"),
    "tab indentation": (HEADER + "nodes:\n\t- id: x\n", "line 4", "not valid YAML"),
    "two documents": (HEADER + "---\n" + HEADER, "", "more than one YAML document"),
    "empty": ("", "", "empty"),
    "only comments": ("# nothing\n", "", "empty"),
    "escaped NUL": (HEADER + 'name: "a\\0b"\n', "line 3", "NUL"),
    "escaped surrogate": (HEADER + 'name: "\\ud800"\n', "line 3", "Unicode|surrogate"),
    "huge integer": (HEADER + "name: " + "9" * 5000 + "\n", "line 3", "cannot read"),
    "control character": (HEADER + "name: a\x07b\n", "", "not valid YAML"),
    "newer version": ("format: mlops-workbench/graph\nversion: 3\n", "line 2", "newer workbench"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_FILE_ERRORS))
def test_hostile_or_malformed_text_is_unusable(case: str) -> None:
    text, where, message = HOSTILE_FILE_ERRORS[case]
    with pytest.raises(GraphFileError) as info:
        loads(text, "evil.yaml")
    error = info.value
    assert error.exit_code == 2 and isinstance(error, UnusableInputError)
    assert str(error).startswith("evil.yaml")
    assert where in str(error) and re.search(message, str(error)), str(error)


@pytest.mark.parametrize(
    "data",
    [
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"\x7fELF\x02\x01\x01\x00",
        b"format: mlops-workbench/graph\nname: caf\xe9\n",
        b"\xff\xfe\x00f\x00o",
        "format: x\x00y\n",
        b"\x00",
    ],
)
def test_binary_junk_nul_and_non_utf8_are_refused(data: bytes | str) -> None:
    with pytest.raises(GraphFileError, match="binary data|not UTF-8"):
        loads(data, "junk.bin")


def test_utf8_bytes_with_a_bom_are_fine() -> None:
    assert loads(("\ufeff" + HEADER + "name: café\n").encode("utf-8")).name == "café"


def _node_file(node: str, edges: str = "") -> str:
    return (
        HEADER
        + "nodes:\n- {id: d, kind: data_source}\n"
        + node
        + (("edges:\n" + edges) if edges else "")
    )


WRONG_STRUCTURE = {
    "top-level list": ("- a\n- b\n", "line 1", None, "must be a mapping"),
    "top-level scalar": ("hello\n", "line 1", None, "must be a mapping"),
    "no format": ("version: 2\n", "", None, "no 'format' key"),
    "wrong format": (
        "format: something-else\nversion: 2\n",
        "line 1",
        None,
        "not a workbench graph file",
    ),
    "no version": ("format: mlops-workbench/graph\n", "line 1", None, "'version' key is missing"),
    "bad version": (
        "format: mlops-workbench/graph\nversion: two\n",
        "line 2",
        None,
        "version must be",
    ),
    "unknown top key": (HEADER + "nodez: []\n", "line 3", None, "unknown key 'nodez'"),
    "duplicate key": (HEADER + "name: a\nname: b\n", "line 4", None, "'name' appears twice"),
    "non-scalar key": (
        HEADER + "? [a, b]\n: 1\n",
        "line 3",
        None,
        "mapping keys must be plain names",
    ),
    "nodes not a list": (HEADER + "nodes: {a: 1}\n", "line 3", None, "'nodes' must be a list"),
    "node not a mapping": (
        HEADER + "nodes:\n- just text\n",
        "line 4",
        None,
        "node #1 must be a mapping",
    ),
    "node without id": (HEADER + "nodes:\n- {kind: evaluate}\n", "line 4", None, "has no 'id'"),
    "id not text": (
        HEADER + "nodes:\n- {id: 12, kind: evaluate}\n",
        "line 4",
        None,
        "node id must be text",
    ),
    "bad id": (HEADER + "nodes:\n- {id: a.b, kind: evaluate}\n", "line 4", "a.b", "is not valid"),
    "duplicate id": (
        _node_file("- {id: d, kind: evaluate}\n"),
        "line 5",
        "d",
        "already has a node 'd'",
    ),
    "no kind": (_node_file("- id: t\n  title: x\n"), "line 5", "t", "has no 'kind'"),
    "unknown kind": (
        _node_file("- id: train\n  kind: trian\n"),
        "line 6",
        "train",
        "unknown node kind 'trian' (known: ab_test, approval_gate",
    ),
    "unknown node key": (
        _node_file("- id: t\n  kind: evaluate\n  colour: red\n"),
        "line 7",
        "t",
        "unknown key 'colour'",
    ),
    "params not a mapping": (
        _node_file("- id: t\n  kind: evaluate\n  params: [1, 2]\n"),
        "line 7",
        "t",
        "'params' must be a mapping",
    ),
    "param name not text": (
        _node_file("- id: t\n  kind: trigger\n  params: {1: 2}\n"),
        "line 7",
        "t",
        "parameter names must be text",
    ),
    "bad param value": (
        _node_file("- id: t\n  kind: train_torch\n  params:\n    device: tpu\n"),
        "line 8",
        "t",
        "parameter 'device'",
    ),
    "unknown param": (
        _node_file("- id: t\n  kind: train_torch\n  params:\n    epoch: 3\n"),
        "line 8",
        "t",
        "no such parameter",
    ),
    "position not a list": (
        _node_file("- id: t\n  kind: evaluate\n  position: 3\n"),
        "line 7",
        "t",
        "'position' must be two numbers",
    ),
    "position of three": (
        _node_file("- id: t\n  kind: evaluate\n  position: [1, 2, 3]\n"),
        "line 7",
        "t",
        "[1, 2, 3]",
    ),
    "position of text": (
        _node_file("- id: t\n  kind: evaluate\n  position: [a, b]\n"),
        "line 7",
        "t",
        "'position' must be two numbers",
    ),
    "position not finite": (
        _node_file("- id: t\n  kind: evaluate\n  position: [.nan, 0]\n"),
        "line 5",
        "t",
        "finite",
    ),
    "title not text": (
        _node_file("- id: t\n  kind: evaluate\n  title: [x]\n"),
        "line 7",
        "t",
        "'title' must be text",
    ),
    "target not text": (
        _node_file("- id: t\n  kind: evaluate\n  target: 3\n"),
        "line 7",
        "t",
        "'target' must be text",
    ),
    "edges not a list": (_node_file("", "  a: b\n"), "line 6", None, "'edges' must be a list"),
    "edge not a mapping": (
        _node_file("", "- d.data -> x.data\n"),
        "line 6",
        None,
        "edge #1 must be a mapping",
    ),
    "edge without to": (_node_file("", "- {from: d.data}\n"), "line 6", None, "has no 'to'"),
    "edge end without port": (
        _node_file("", "- {from: d, to: e.data}\n"),
        "line 6",
        None,
        "must be written node.port",
    ),
    "edge to unknown node": (
        _node_file("", "- {from: d.data, to: ghost.data}\n"),
        "line 6",
        None,
        "no node 'ghost'",
    ),
    "edge to unknown port": (
        _node_file("- {id: e, kind: evaluate}\n", "- {from: d.data, to: e.dat}\n"),
        "line 7",
        None,
        "no input port 'dat'",
    ),
    "edge types differ": (
        _node_file("- {id: e, kind: evaluate}\n", "- {from: d.data, to: e.model}\n"),
        "line 7",
        None,
        "port types differ",
    ),
    "edge twice": (
        _node_file(
            "- {id: e, kind: evaluate}\n",
            "- {from: d.data, to: e.data}\n- {from: d.data, to: e.data}\n",
        ),
        "line 8",
        None,
        "already connected",
    ),
    "input fed twice": (
        _node_file(
            "- {id: d2, kind: data_source}\n- {id: e, kind: evaluate}\n",
            "- {from: d.data, to: e.data}\n- {from: d2.data, to: e.data}\n",
        ),
        "line 9",
        None,
        "takes one edge",
    ),
    "cycle": (
        HEADER
        + "nodes:\n- {id: a, kind: promote, params: {model_name: m}}\n- {id: b, kind: ensemble}\n"
        + "edges:\n- {from: a.model, to: b.models}\n- {from: b.model, to: a.model}\n",
        "line 8",
        "a",
        "cycle a -> b -> a",
    ),
    "annotation without id": (
        HEADER + "annotations:\n- {text: hi}\n",
        "line 4",
        None,
        "has no 'id'",
    ),
    "annotation bad position": (
        HEADER + "annotations:\n- {id: n, position: [1]}\n",
        "line 4",
        None,
        "position must be two finite numbers",
    ),
    "name not text": (HEADER + "name: [a]\n", "line 3", None, "name must be text"),
}


@pytest.mark.parametrize("case", sorted(WRONG_STRUCTURE))
def test_wrong_structure_is_invalid_input_with_line_and_node(case: str) -> None:
    text, line, node_id, message = WRONG_STRUCTURE[case]
    with pytest.raises(GraphFormatError) as info:
        loads(text, "graph.yaml")
    error = info.value
    assert error.exit_code == 1 and isinstance(error, InvalidInputError)
    text_of_error = str(error)
    assert text_of_error.startswith("graph.yaml"), text_of_error
    assert f"graph.yaml, {line}" in text_of_error if line else True, text_of_error
    if node_id is not None:
        assert f"node '{node_id}'" in text_of_error, text_of_error
    assert message in text_of_error, text_of_error


class PurePythonLoader(yaml.SafeLoader):
    """The reader without libyaml (some platforms ship PyYAML without it)."""

    yaml_implicit_resolvers = yamlsafe.Loader.yaml_implicit_resolvers


@pytest.fixture
def pure_python_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlsafe, "Loader", PurePythonLoader)


@pytest.mark.usefixtures("pure_python_yaml")
def test_the_pure_python_parser_gives_the_same_answers() -> None:
    for case, (text, where, message) in HOSTILE_FILE_ERRORS.items():
        with pytest.raises(GraphFileError) as info:
            loads(text, "evil.yaml")
        assert where in str(info.value) and re.search(message, str(info.value)), (
            case,
            str(info.value),
        )
    for case, (text, line, _node_id, message) in WRONG_STRUCTURE.items():
        with pytest.raises(GraphFormatError) as format_info:
            loads(text, "graph.yaml")
        assert message in str(format_info.value), (case, str(format_info.value))
        assert f"graph.yaml, {line}" in str(format_info.value) if line else True
    for name in list_templates():
        text = dumps(load_template(name))
        assert dumps(loads(text)) == text
