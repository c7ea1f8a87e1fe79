"""Data expectations: what a data set must look like, declared beside its source, and every
way a frame falls short.

A spec is plain data (it lives in a graph file under the ``data_source`` node's
``expectations`` parameter)::

    rows: {min: 100, max: 1000000}
    columns:
      age:    {type: number, min: 0, max: 120, max_null_rate: 0.01}
      region: {type: string, allowed: [north, south, east, west]}
      id:     {unique: true, max_null_rate: 0}

``type`` is ``number``, ``integer``, ``string`` or ``boolean``. :func:`check_spec` names what is
wrong with a spec itself; :func:`violations` lists, for a frame, every expectation it breaks —
one line each, naming the column, what was expected and what was found (with examples) — in
a stable order. Nothing here raises for bad data: callers decide (a run fails the step; serving
and monitoring record findings).

Serving splits a spec in two. The *row* rules (``type``, ``min``, ``max``, ``allowed``) hold
for every single row: :func:`row_problems` checks request rows with them in plain Python (no
pandas on the request path) and the service refuses a row that breaks one. The *window* rules
(``rows``, ``max_null_rate``, ``unique``) only mean something over many rows: :func:`window_spec`
keeps them, and the prediction log checks each window of served rows against it (``rows``
then counts the rows of one prediction window). Every violation names its ``rule``
(``rows.min``, ``rows.max``, ``exists``, ``type``, ``min``, ``max``, ``allowed``,
``max_null_rate``, ``unique``), so one rule broken in many windows is one condition.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ROW_RULES", "WINDOW_RULES", "Violation", "check_spec", "row_problems", "spec_rules",
           "violations", "window_rules", "window_spec"]

TYPES = ("number", "integer", "string", "boolean")
COLUMN_KEYS = {"type", "min", "max", "allowed", "max_null_rate", "unique"}
ROW_RULES = ("type", "min", "max", "allowed")
WINDOW_RULES = ("max_null_rate", "unique")


@dataclass(frozen=True)
class Violation:
    column: str | None  # None: the whole data set
    expectation: str
    found: str
    rule: str = ""  # which rule of the spec (see the module docstring)

    def text(self) -> str:
        where = f"column {self.column!r}" if self.column is not None else "the data"
        return f"{where}: expected {self.expectation}; found {self.found}"

    def to_dict(self) -> dict[str, Any]:
        return {"column": self.column, "rule": self.rule, "expectation": self.expectation,
                "found": self.found}


def check_spec(spec: Any) -> list[str]:
    """What is wrong with ``spec`` itself (empty when it is usable)."""
    if not isinstance(spec, Mapping):
        return ["expectations must be a mapping with 'rows' and/or 'columns'"]
    problems = [f"unknown key {k!r} (use 'rows' and 'columns')" for k in spec if k not in ("rows", "columns")]
    rows = spec.get("rows", {})
    if not isinstance(rows, Mapping) or any(k not in ("min", "max") or not isinstance(v, int) or isinstance(v, bool)
                                            for k, v in rows.items()):
        problems.append("'rows' takes whole numbers 'min' and/or 'max'")
    columns = spec.get("columns", {})
    if not isinstance(columns, Mapping):
        return [*problems, "'columns' must map column names to their expectations"]
    for name, rules in columns.items():
        if not isinstance(rules, Mapping):
            problems.append(f"column {name!r}: its expectations must be a mapping")
            continue
        problems += [f"column {name!r}: unknown expectation {k!r} (use {', '.join(sorted(COLUMN_KEYS))})"
                     for k in rules if k not in COLUMN_KEYS]
        if "type" in rules and rules["type"] not in TYPES:
            problems.append(f"column {name!r}: type must be one of {', '.join(TYPES)}")
        for bound in ("min", "max"):
            if bound in rules and (not isinstance(rules[bound], int | float) or isinstance(rules[bound], bool)):
                problems.append(f"column {name!r}: {bound} must be a number")
        rate = rules.get("max_null_rate", 0.0)
        if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0.0 <= rate <= 1.0:
            problems.append(f"column {name!r}: max_null_rate must be between 0 and 1")
        if "allowed" in rules and not isinstance(rules["allowed"], list):
            problems.append(f"column {name!r}: allowed must be a list of values")
        if "unique" in rules and not isinstance(rules["unique"], bool):
            problems.append(f"column {name!r}: unique must be true or false")
    return problems


def _examples(values: Any, limit: int = 3) -> str:
    shown = [repr(v.item() if isinstance(v, np.generic) else v) for v in list(values)[:limit]]
    return ", ".join(shown)


def _type_ok(series: pd.Series, kind: str) -> tuple[bool, str]:
    present = series.dropna()
    if kind == "number":
        return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)), str(series.dtype)
    if kind == "integer":
        if pd.api.types.is_integer_dtype(series):
            return True, str(series.dtype)
        if pd.api.types.is_float_dtype(series):
            whole = bool(np.all(np.isfinite(present)) and np.all(np.mod(present, 1) == 0))
            return whole, "numbers with fractions" if not whole else str(series.dtype)
        return False, str(series.dtype)
    if kind == "boolean":
        return bool(pd.api.types.is_bool_dtype(series)), str(series.dtype)
    ok = bool(pd.api.types.is_string_dtype(series) or (series.dtype == object
                                                      and present.map(lambda v: isinstance(v, str)).all()))
    return ok, str(series.dtype)


def violations(frame: pd.DataFrame, spec: Mapping[str, Any]) -> list[Violation]:
    """Every expectation of ``spec`` that ``frame`` breaks (``spec`` must pass ``check_spec``)."""
    found: list[Violation] = []
    rows = spec.get("rows") or {}
    n = len(frame)
    if "min" in rows and n < rows["min"]:
        found.append(Violation(None, f"at least {rows['min']} rows", f"{n}", "rows.min"))
    if "max" in rows and n > rows["max"]:
        found.append(Violation(None, f"at most {rows['max']} rows", f"{n}", "rows.max"))
    for name, rules in (spec.get("columns") or {}).items():
        if name not in frame.columns:
            found.append(Violation(name, "the column to exist", "no such column", "exists"))
            continue
        series = frame[name]
        nulls = int(series.isna().sum())
        limit = float(rules.get("max_null_rate", 1.0))
        if "max_null_rate" in rules and n and nulls / n > limit:
            found.append(Violation(name, f"at most {limit:.2%} missing values", f"{nulls / n:.2%} ({nulls} of {n})", "max_null_rate"))
        kind = rules.get("type")
        typed = True
        if kind is not None:
            typed, actual = _type_ok(series, kind)
            if not typed:
                found.append(Violation(name, f"type {kind}", actual, "type"))
        present = series.dropna()
        numeric = typed and pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric and "min" in rules:
            below = present[present < rules["min"]]
            if len(below):
                found.append(Violation(name, f"values ≥ {rules['min']}",
                                       f"{len(below)} below, e.g. {_examples(below)}", "min"))
        if numeric and "max" in rules:
            above = present[present > rules["max"]]
            if len(above):
                found.append(Violation(name, f"values ≤ {rules['max']}",
                                       f"{len(above)} above, e.g. {_examples(above)}", "max"))
        if "allowed" in rules:
            allowed = set(rules["allowed"])
            outside = present[~present.isin(allowed)]
            if len(outside):
                found.append(Violation(name, f"only {_examples(sorted(allowed, key=str), 6)}",
                                       f"{len(outside)} other values, e.g. {_examples(pd.unique(outside))}", "allowed"))
        if rules.get("unique"):
            repeated = present[present.duplicated(keep=False)]
            if len(repeated):
                found.append(Violation(name, "unique values",
                                       f"{int(present.duplicated().sum())} repeats, e.g. {_examples(pd.unique(repeated))}",
                                       "unique"))
    return found


# -- serving: row rules on request rows, window rules on windows of served rows ------------


def window_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The window rules of ``spec``: ``rows``, and per column ``max_null_rate`` and ``unique``."""
    columns = {name: {k: v for k, v in rules.items() if k in WINDOW_RULES}
               for name, rules in (spec.get("columns") or {}).items()}
    out: dict[str, Any] = {"columns": {k: v for k, v in columns.items() if v}}
    if spec.get("rows"):
        out["rows"] = dict(spec["rows"])
    return out


def window_rules(spec: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """Every (column, rule) pair :func:`window_spec` checks (a column of None: the row count)."""
    pairs: list[tuple[str | None, str]] = [(None, f"rows.{k}") for k in ("min", "max")
                                           if k in (spec.get("rows") or {})]
    for name, rules in (spec.get("columns") or {}).items():
        pairs += [(name, rule) for rule in WINDOW_RULES if rule in rules and rules[rule] is not False]
    return pairs


def spec_rules(spec: Mapping[str, Any]) -> list[tuple[str | None, str]]:
    """Every (column, rule) pair :func:`violations` checks with the whole ``spec`` (a batch of
    scored rows is checked against row and window rules alike)."""
    pairs: list[tuple[str | None, str]] = [(None, f"rows.{k}") for k in ("min", "max")
                                           if k in (spec.get("rows") or {})]
    for name, rules in (spec.get("columns") or {}).items():
        pairs.append((name, "exists"))
        pairs += [(name, rule) for rule in (*ROW_RULES, *WINDOW_RULES)
                  if rule in rules and rules[rule] is not False]
    return pairs


def _row_value_problem(value: Any, rules: Mapping[str, Any]) -> tuple[str, str] | None:
    """(rule, what was expected) that ``value`` breaks, or None; null passes (a window rule)."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    kind = rules.get("type")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind is not None:
        ok = {"number": number, "integer": number and float(value).is_integer(),
              "string": isinstance(value, str), "boolean": isinstance(value, bool)}[kind]
        if not ok:
            return "type", f"type {kind}"
    if number and "min" in rules and value < rules["min"]:
        return "min", f"values ≥ {rules['min']}"
    if number and "max" in rules and value > rules["max"]:
        return "max", f"values ≤ {rules['max']}"
    if "allowed" in rules and value not in rules["allowed"]:
        return "allowed", f"only {_examples(sorted(rules['allowed'], key=str), 6)}"
    return None


def row_problems(rows: list[Mapping[str, Any]], spec: Mapping[str, Any],
                 limit: int = 20) -> list[tuple[int, str, str]]:
    """``(row index, column, message)`` for each row rule a request row breaks (at most
    ``limit``, in row order); columns a row lacks are left to the schema check."""
    columns = [(name, rules) for name, rules in (spec.get("columns") or {}).items()
               if any(k in rules for k in ROW_RULES)]
    found: list[tuple[int, str, str]] = []
    for index, row in enumerate(rows):
        for name, rules in columns:
            if name not in row:
                continue
            broken = _row_value_problem(row[name], rules)
            if broken is not None:
                rule, expected = broken
                found.append((index, name, f"row {index}, feature {name!r}: expected {expected} "
                                           f"(expectation {rule!r}); got {_examples([row[name]])}"))
                if len(found) >= limit:
                    return found
    return found
