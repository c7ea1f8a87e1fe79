"""Id-like columns are keys, not features: left out of drift by default and reported as
excluded, declared with ``id_columns``/``exclude``, checked again with ``include``; and the
workbench has one default drift threshold."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InvalidInputError
from workbench.monitoring import (
    DEFAULT_DRIFT_THRESHOLD,
    METHODS,
    ReferenceProfile,
    compare,
    fit_profile,
)


def _frames(n: int = 600) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(3)

    def frame(offset: int) -> pd.DataFrame:
        return pd.DataFrame({
            "row_id": np.arange(offset, offset + n),
            "customer_id": [f"C{i:06d}" for i in range(offset, offset + n)],
            "store_id": rng.integers(0, 5, n),  # an id name, but repeated values: a feature
            "income": rng.normal(50_000, 8_000, n).round(2),  # all distinct, not named like an id
            "age": rng.integers(18, 80, n),
            "email": [f"p{i}@example.org" for i in range(offset, offset + n)],
        })

    return frame(0), frame(n)


def test_id_like_columns_are_left_out_and_reported() -> None:
    reference, current = _frames()
    report = compare(reference, current)
    checked = {c.column for c in report.columns}
    assert checked == {"store_id", "income", "age"}
    assert set(report.excluded) == {"row_id", "customer_id", "email"}
    assert all(why.startswith("id-like") for why in report.excluded.values())
    assert not report.drifted and "row_id" not in report.drifted_columns
    assert report.to_dict()["excluded"] == dict(report.excluded)
    assert not [f for f in report.findings if f.column in report.excluded]  # no "extra column" noise


def test_include_checks_an_id_column_and_shows_why_it_was_left_out() -> None:
    reference, current = _frames()
    report = compare(reference, current, include=["row_id"])
    assert "row_id" in report.drifted_columns  # disjoint ranges of keys: "drift" that means nothing
    assert "row_id" not in report.excluded


def test_declared_ids_and_exclusions() -> None:
    reference, current = _frames()
    report = compare(reference, current, id_columns=["age"], exclude="store_id")
    assert report.excluded["age"] == "declared an id column"
    assert report.excluded["store_id"] == "excluded as asked"
    assert {c.column for c in report.columns} == {"income"}
    profile = fit_profile(reference)
    later = compare(profile, current, exclude=["age"])  # also against a fitted profile
    assert "age" in later.excluded and "age" not in {c.column for c in later.columns}
    with pytest.raises(InvalidInputError, match="no column 'agee'"):
        compare(reference, current, exclude=["agee"])
    with pytest.raises(InvalidInputError, match="both included and excluded"):
        compare(reference, current, include=["age"], exclude=["age"])
    with pytest.raises(InvalidInputError, match="left out when this profile was fitted"):
        compare(profile, current, include=["row_id"])


def test_a_saved_profile_remembers_what_it_left_out(tmp_path: Path) -> None:
    reference, current = _frames()
    profile = fit_profile(reference)
    loaded = ReferenceProfile.load(profile.save(tmp_path / "p.npz"))
    assert loaded.excluded == profile.excluded and "row_id" in loaded.excluded
    assert set(compare(loaded, current).excluded) == {"row_id", "customer_id", "email"}


def test_small_text_columns_of_distinct_values_are_categories_not_keys() -> None:
    reference = pd.DataFrame({"colour": ["red", "green", "blue"], "x": [1.0, 2.0, 3.0]})
    profile = fit_profile(reference)
    assert "colour" in profile.columns and not profile.excluded


def test_one_default_drift_threshold() -> None:
    from workbench.graph.catalog import default_catalog

    distances = [m for m in METHODS.values() if not m.p_value]
    assert distances and all(m.threshold == DEFAULT_DRIFT_THRESHOLD for m in distances)
    drift_node = default_catalog().get("drift_monitor")
    assert drift_node.param("threshold").default == DEFAULT_DRIFT_THRESHOLD
    reference, current = _frames()
    report = compare(reference, current, ["wasserstein"])
    assert {r.threshold for r in report.results} == {DEFAULT_DRIFT_THRESHOLD}
