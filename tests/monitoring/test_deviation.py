"""Data deviation checks: each named finding with its column and counts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from workbench.monitoring import DeviationSettings, check_deviation, fit_profile


def findings(ref: pd.DataFrame, cur: pd.DataFrame, **kw) -> dict[tuple[str, str | None], dict]:
    return {(f.check, f.column): dict(f.counts) for f in check_deviation(ref, cur, **kw)}


def test_each_check_fires_with_its_counts():
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(
        {
            "num": rng.uniform(0, 10, 1000),
            "txt": rng.choice(["a", "b"], 1000),
            "flag": rng.random(1000) < 0.5,
            "gone": 1.0,
            "when": pd.date_range("2024-01-01", periods=1000, freq="h"),
        }
    )
    cur = pd.DataFrame(
        {
            "num": np.r_[-1.0, -2.0, 11.0, np.inf, [np.nan] * 30, rng.uniform(0, 10, 66)],
            "txt": ["a"] * 50 + ["zz"] * 30 + ["yy"] * 20,
            "flag": [True] * 100,
            "new": 0,
            "when": pd.date_range("2024-03-01", periods=100, freq="h"),
        }
    )
    got = findings(ref, cur)
    assert got[("out_of_range", "num")] == {"below": 2, "above": 1, "n_values": 69}
    assert got[("infinite_values", "num")] == {"n_infinite": 1}
    assert got[("missing_rate_jump", "num")]["n_missing"] == 31
    assert got[("unseen_categories", "txt")]["n_categories"] == 2
    assert got[("unseen_categories", "txt")]["examples"] == ["zz", "yy"]
    assert got[("constant_column", "flag")]["where"] == "current"
    assert ("missing_column", "gone") in got and ("extra_column", "new") in got
    assert ("unsupported_type", "when") in got
    assert ("type_change", "txt") not in got


def test_tolerances_are_configurable():
    ref = pd.DataFrame({"x": np.arange(100.0)})
    cur = pd.DataFrame({"x": np.r_[np.arange(90.0), [np.nan] * 9, 1000.0]})
    assert ("missing_rate_jump", "x") in findings(ref, cur)
    loose = DeviationSettings(missing_rate_tolerance=0.5, out_of_range_tolerance=0.5)
    assert findings(ref, cur, deviation=loose) == {}


def test_type_changes_and_reference_side_findings():
    ref = pd.DataFrame({"n": np.arange(50.0), "b": [0, 1] * 25, "c": ["x", "y"] * 25, "k": 3.0})
    cur = pd.DataFrame(
        {"n": ["red", "blue"] * 10, "b": [0, 1, 2, 3] * 5, "c": [1.0] * 20, "k": np.arange(20.0)}
    )
    got = findings(ref, cur)
    assert got[("type_change", "n")] == {"reference_kind": "numeric", "current_kind": "categorical"}
    assert got[("type_change", "b")] == {"reference_kind": "boolean", "current_kind": "numeric"}
    assert ("type_change", "c") not in got  # numbers are just unseen categories here
    assert ("unseen_categories", "c") in got
    assert got[("constant_column", "k")]["where"] == "reference"


def test_deviation_uses_a_fitted_profile_too():
    ref = pd.DataFrame({"x": np.arange(10.0)})
    profile = fit_profile(ref)
    assert findings(profile, pd.DataFrame({"x": [np.nan] * 5}))[("all_missing", "x")] == {
        "n_rows": 5,
        "n_missing": 5,
    }
