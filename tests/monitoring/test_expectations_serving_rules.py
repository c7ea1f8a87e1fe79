"""The serving half of data expectations: row rules checked on request rows in plain Python,
window rules split off for the prediction log, and deviation findings named per column and rule."""

from __future__ import annotations

import pandas as pd

from workbench.monitoring.deviation import expectation_condition, expectation_findings
from workbench.monitoring.expectations import row_problems, violations, window_rules, window_spec

SPEC = {"rows": {"min": 2},
        "columns": {"age": {"type": "integer", "min": 0, "max": 120, "max_null_rate": 0.1},
                    "region": {"type": "string", "allowed": ["north", "south"]},
                    "id": {"unique": True}}}


def test_row_rules_name_row_feature_and_rule_and_leave_nulls_to_windows() -> None:
    rows = [{"age": 30, "region": "north", "id": 1},
            {"age": -1, "region": "west", "id": 1},  # min, allowed (one rule per feature each)
            {"age": 30.5, "region": 7, "id": 2},  # type integer, type string
            {"age": None, "region": None, "id": 3}]  # nulls: a window rule, not a row rule
    found = row_problems(rows, SPEC)
    assert [(r, c) for r, c, _ in found] == [(1, "age"), (1, "region"), (2, "age"), (2, "region")]
    assert found[0][2] == "row 1, feature 'age': expected values ≥ 0 (expectation 'min'); got -1"
    assert "(expectation 'allowed'); got 'west'" in found[1][2]
    assert "expected type integer (expectation 'type'); got 30.5" in found[2][2]
    assert "expected type string" in found[3][2]
    assert row_problems(rows, SPEC, limit=2) == found[:2]
    assert row_problems([{"age": True}], {"columns": {"age": {"type": "number"}}})  # not a number


def test_window_spec_keeps_only_window_rules_and_they_find_what_the_rows_cannot() -> None:
    spec = window_spec(SPEC)
    assert spec == {"rows": {"min": 2}, "columns": {"age": {"max_null_rate": 0.1},
                                                    "id": {"unique": True}}}
    assert window_rules(SPEC) == [(None, "rows.min"), ("age", "max_null_rate"), ("id", "unique")]
    frame = pd.DataFrame({"age": [None, -5.0], "id": [1, 1], "region": ["x", "y"]})
    broken = violations(frame, spec)
    assert [(v.column, v.rule) for v in broken] == [("age", "max_null_rate"), ("id", "unique")]
    assert violations(pd.DataFrame({"age": [1.0], "id": [1]}), spec)[0].rule == "rows.min"


def test_findings_carry_the_rule_and_one_condition_per_column_and_rule() -> None:
    frame = pd.DataFrame({"age": [None, None, 4.0], "id": [1, 1, 2]})
    findings = expectation_findings(violations(frame, window_spec(SPEC)))
    assert [(f.check, f.column, f.counts["rule"]) for f in findings] == [
        ("expectation", "age", "max_null_rate"), ("expectation", "id", "unique")]
    assert findings[0].message == ("column 'age': expected at most 10.00% missing values; "
                                   "found 66.67% (2 of 3)")
    assert expectation_condition("age", "max_null_rate") == "expectation max_null_rate on 'age'"
    assert expectation_condition(None, "rows.min") == "expectation rows.min on rows"
