"""Fuzzing the file reader: whatever the input, only WorkbenchError subclasses escape, and
whatever loads also dumps and round-trips byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.errors import WorkbenchError
from workbench.graph import Graph, dumps, load_template, loads, validate

FUZZ = settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
SEED_TEXT = dumps(load_template("retrain"))

YAMLISH = st.lists(
    st.sampled_from(
        [
            "format: mlops-workbench/graph\n",
            "version: 2\n",
            "version: 1\n",
            "nodes:\n",
            "edges:\n",
            "links:\n",
            "annotations:\n",
            "- ",
            "  ",
            "id: ",
            "kind: ",
            "params: ",
            "position: ",
            "pos: ",
            "{",
            "}",
            "[",
            "]",
            ", ",
            ": ",
            "\n",
            "&a ",
            "*a",
            "!!str ",
            "!!int ",
            "!x ",
            "'",
            '"',
            "#",
            "|",
            ">",
            "? ",
            "---\n",
            "...\n",
            "data_source",
            "train_sklearn",
            "promote",
            "from: a.b",
            "to: c.d",
            "1",
            "-2.5",
            ".nan",
            "true",
            "null",
            "~",
            "<<: ",
            "%YAML 1.1\n",
            "\\u0000",
            "\t",
            "é",
            "\ufeff",
            "x",
        ]
    ),
    max_size=40,
).map("".join)


def _load_or_refuse(data: str | bytes) -> None:
    for strict in (True, False):
        try:
            graph = loads(data, "fuzz.yaml", strict=strict)
        except WorkbenchError as exc:
            assert exc.exit_code in (1, 2)
            assert str(exc).startswith("fuzz.yaml")
            continue
        validate(graph)
        text = dumps(graph)
        assert dumps(loads(text, strict=strict)) == text


@FUZZ
@given(st.binary(max_size=300))
def test_random_bytes(data: bytes) -> None:
    _load_or_refuse(data)


@FUZZ
@given(st.text(max_size=300))
def test_random_text(text: str) -> None:
    _load_or_refuse(text)


@FUZZ
@given(YAMLISH)
def test_random_yaml_ish_text(text: str) -> None:
    _load_or_refuse(text)


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=len(SEED_TEXT)),
            st.integers(min_value=0, max_value=40),
            st.sampled_from(
                [
                    "",
                    " ",
                    "\n",
                    "-",
                    ":",
                    "[",
                    "{",
                    "x",
                    "0",
                    "&a",
                    "*a",
                    "!!python/none",
                    "'",
                    "  - ",
                    ".",
                    "\x00",
                ]
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_valid_files(edits: list[tuple[int, int, str]]) -> None:
    text = SEED_TEXT
    for at, length, insert in edits:
        text = text[:at] + insert + text[at + length :]
    _load_or_refuse(text)


@FUZZ
@given(st.data())
def test_mutated_lines_of_a_valid_file(data: st.DataObject) -> None:
    lines = SEED_TEXT.splitlines(keepends=True)
    index = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
    action = data.draw(st.sampled_from(["drop", "duplicate", "indent", "dedent", "swap"]))
    if action == "drop":
        del lines[index]
    elif action == "duplicate":
        lines.insert(index, lines[index])
    elif action == "indent":
        lines[index] = "  " + lines[index]
    elif action == "dedent":
        lines[index] = lines[index].lstrip()
    else:
        other = data.draw(st.integers(min_value=0, max_value=len(lines) - 1))
        lines[index], lines[other] = lines[other], lines[index]
    _load_or_refuse("".join(lines))


PLAIN_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)
PLAIN_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**12), 10**12)
    | st.floats(allow_nan=False)
    | PLAIN_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(PLAIN_TEXT, inner, max_size=3),
    max_leaves=8,
)


@FUZZ
@given(
    name=PLAIN_TEXT,
    description=PLAIN_TEXT,
    title=PLAIN_TEXT,
    estimator_params=st.dictionaries(PLAIN_TEXT, PLAIN_VALUE, max_size=4),
    position=st.tuples(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    note=PLAIN_TEXT,
)
def test_any_graph_the_api_builds_round_trips(
    name: str,
    description: str,
    title: str,
    estimator_params: dict,
    position: tuple[float, float],
    note: str,
) -> None:
    g = Graph(name, description)
    g.add_node("data_source", id="d", title=title, position=position)
    g.add_node("train_sklearn", id="t", params={"estimator_params": estimator_params})
    g.connect("d", "data", "t", "data")
    g.add_annotation(note, position)
    text = dumps(g)
    again = loads(text)
    assert dumps(again) == text
    assert (
        again.name == name and again.description == description and again.node("d").title == title
    )
    assert again.node("t").params["estimator_params"] == estimator_params
    assert again.node("d").position == g.node("d").position


@pytest.mark.parametrize("junk", ["\x85", "\u2028", "\u2029", "\r", "\r\n", "\x1b[31m"])
def test_odd_line_breaks_and_escapes_in_text_round_trip(junk: str) -> None:
    g = Graph(f"a{junk}b", f"x{junk}y\n")
    text = dumps(g)
    assert dumps(loads(text)) == text and loads(text).name == g.name
