"""Data expectations: every violation named with the column, what was expected and what was
found; a spec that cannot be used says why (the step itself: tests/engines/test_expectations_step.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.monitoring.expectations import check_spec, violations

SPEC = {"rows": {"min": 5},
        "columns": {"age": {"type": "number", "min": 0, "max": 120, "max_null_rate": 0.1},
                    "region": {"type": "string", "allowed": ["north", "south"]},
                    "id": {"unique": True},
                    "score": {"type": "integer"},
                    "missing": {"type": "number"}}}


def test_every_violation_is_named() -> None:
    frame = pd.DataFrame({"age": [30, -2, 150, None], "region": ["north", "west", "south", "east"],
                          "id": [1, 2, 2, 3], "score": [1.0, 2.5, 3.0, 4.0]})
    found = [v.text() for v in violations(frame, SPEC)]
    assert found[0] == "the data: expected at least 5 rows; found 4"
    assert "column 'age': expected at most 10.00% missing values; found 25.00% (1 of 4)" in found
    assert "column 'age': expected values ≥ 0; found 1 below, e.g. -2.0" in found
    assert "column 'age': expected values ≤ 120; found 1 above, e.g. 150.0" in found
    assert any(t.startswith("column 'region': expected only 'north', 'south'; found 2 other values") for t in found)
    assert "column 'id': expected unique values; found 1 repeats, e.g. 2" in found
    assert "column 'score': expected type integer; found numbers with fractions" in found
    assert "column 'missing': expected the column to exist; found no such column" in found
    good = pd.DataFrame({"age": np.arange(6.0), "region": ["north"] * 6, "id": range(6),
                         "score": range(6), "missing": np.zeros(6)})
    assert violations(good, SPEC) == []


def test_a_spec_that_cannot_be_used_says_why() -> None:
    assert check_spec(SPEC) == []
    problems = check_spec({"rows": {"min": "5"}, "columns": {"a": {"type": "text", "max_null_rate": 2,
                                                                   "colour": "red"}}, "extra": 1})
    assert any("unknown key 'extra'" in p for p in problems)
    assert any("'rows' takes whole numbers" in p for p in problems)
    assert any("type must be one of" in p for p in problems)
    assert any("max_null_rate must be between 0 and 1" in p for p in problems)
    assert any("unknown expectation 'colour'" in p for p in problems)
