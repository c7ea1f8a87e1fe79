"""Checking request rows against the served models' training schema, and turning valid rows
into the frame the models score.

Owns :class:`FeatureSpec` (one feature's type in the training data), :class:`Problem` (one
thing wrong with a request, naming the row index and the field) and :func:`check_rows`.

Rules: a request is a non-empty list of at most ``max_rows`` JSON objects; every object has
exactly the served models' features (a missing or an unknown one is a problem). ``number``
features take JSON numbers (not booleans, not strings, finite); ``boolean`` features take
``true``/``false`` (or 0/1); ``string`` features take strings; ``null`` is accepted only for a
feature whose training column had missing values. At most ``MAX_PROBLEMS`` problems are
reported, in row order. Checking is plain Python on the request path: no pandas until the rows
are known to be valid.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["MAX_PROBLEMS", "FeatureSpec", "Problem", "check_rows", "to_frame"]

MAX_PROBLEMS = 20


@dataclass(frozen=True)
class FeatureSpec:
    kind: str = "number"  # number | boolean | string | any
    nullable: bool = False

    def json_schema(self) -> dict[str, Any]:
        base = {"number": {"type": "number"}, "boolean": {"type": "boolean"},
                "string": {"type": "string"}}.get(self.kind, {})
        if self.nullable and base:
            return {"anyOf": [base, {"type": "null"}]}
        return dict(base)


@dataclass(frozen=True)
class Problem:
    row: int | None  # None: the request as a whole
    field: str | None
    message: str
    type: str

    def as_detail(self) -> dict[str, Any]:
        loc: list[Any] = ["body", "rows"]
        if self.row is not None:
            loc.append(self.row)
        if self.field is not None:
            loc.append(self.field)
        return {"loc": loc, "msg": self.message, "type": self.type}


FLOAT32_MAX = 3.4028234663852886e38


def _shown(value: Any) -> str:
    text = "null" if value is None else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _value_problem(spec: FeatureSpec, value: Any) -> str | None:
    if value is None:
        return None if spec.nullable else "null is not allowed (no missing values in training)"
    if isinstance(value, bool):
        ok = spec.kind in ("boolean", "any")
    elif isinstance(value, int | float):
        if spec.kind in ("number", "any"):
            if isinstance(value, int) and not -FLOAT32_MAX <= value <= FLOAT32_MAX:
                return f"{_shown(value)} is beyond the range a model scores (±3.4e38)"
            if not math.isfinite(value):
                return "not a finite number"
            # models score in float32 (scikit-learn's trees, torch): a larger value would overflow
            return None if abs(value) <= FLOAT32_MAX else f"{_shown(value)} is beyond the range a model scores (±3.4e38)"
        ok = spec.kind == "boolean" and value in (0, 1)
    elif isinstance(value, str):
        ok = spec.kind in ("string", "any")
    else:
        ok = False
    if ok:
        return None
    expected = {"number": "a number", "boolean": "true or false", "string": "a string",
                "any": "a JSON scalar"}[spec.kind]
    return f"expected {expected}, got {_shown(value)}"


def check_rows(rows: Any, schema: Mapping[str, FeatureSpec], max_rows: int) -> list[Problem]:
    """The problems of ``rows`` against ``schema`` (feature name → spec); empty when valid."""
    if not isinstance(rows, list):
        return [Problem(None, None, "'rows' must be a list of objects", "type_error")]
    if not rows:
        return [Problem(None, None, "'rows' is empty: send at least one row", "empty_rows")]
    if len(rows) > max_rows:
        return [Problem(None, None, f"too many rows: {len(rows)} in one request, at most "
                                    f"{max_rows} are accepted; split the request", "too_many_rows")]
    expected = schema.keys()
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        if len(problems) >= MAX_PROBLEMS:
            break
        if not isinstance(row, dict):
            problems.append(Problem(index, None, f"row {index} is not an object of feature "
                                                 f"values (got {_shown(row)})", "row_type"))
            continue
        if row.keys() != expected:
            for name in expected - row.keys():
                problems.append(Problem(index, name, f"row {index}: missing feature {name!r}",
                                        "missing_feature"))
            for name in row.keys() - expected:
                problems.append(Problem(index, name, f"row {index}: unknown feature {name!r} "
                                                     "(not a feature the model was trained on)",
                                        "unknown_feature"))
        for name, value in row.items():
            spec = schema.get(name)
            if spec is None:
                continue
            kind = type(value)
            if kind is float and spec.kind == "number" and -FLOAT32_MAX <= value <= FLOAT32_MAX:
                continue  # the common case, first (NaN fails both comparisons)
            if kind is int and spec.kind == "number" and -FLOAT32_MAX <= value <= FLOAT32_MAX:
                continue
            reason = _value_problem(spec, value)
            if reason is not None:
                problems.append(Problem(index, name, f"row {index}, feature {name!r}: {reason}",
                                        "value_type"))
    problems.sort(key=lambda p: (p.row if p.row is not None else -1, p.field or ""))
    return problems[:MAX_PROBLEMS]


def to_frame(rows: Sequence[Mapping[str, Any]], features: Sequence[str],
             schema: Mapping[str, FeatureSpec]) -> pd.DataFrame:
    """Valid rows as a frame of ``features`` columns (numbers as float64)."""
    columns = list(features)
    if all(schema[f].kind == "number" for f in columns):
        values = np.array([[row[f] for f in columns] for row in rows], dtype=np.float64)
        return pd.DataFrame(values, columns=columns)
    return pd.DataFrame.from_records([{f: row[f] for f in columns} for row in rows],
                                     columns=columns)
