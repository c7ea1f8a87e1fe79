"""Reference profiles: kind rules, what is kept, persistence, and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InvalidInputError, UnusableInputError
from workbench.monitoring import (
    CategoricalProfile,
    NumericProfile,
    ReferenceProfile,
    compare,
    detect_kind,
    fit_profile,
)


def frame(n: int = 500, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "f": rng.normal(size=n),
            "i": rng.integers(0, 100, n),
            "b01": rng.integers(0, 2, n),
            "flag": rng.random(n) < 0.3,
            "s": rng.choice(["a", "b", "c"], n),
            "cat": pd.Categorical(rng.choice(["x", "y"], n)),
            "ts": pd.date_range("2024-01-01", periods=n, freq="min"),
            "nullable": pd.array(rng.integers(0, 9, n), dtype="Int64"),
            "numtext": rng.normal(size=n).round(3).astype(str),
        }
    )


def test_kind_rules():
    df = frame()
    kinds = {c: detect_kind(df[c]) for c in df.columns}
    assert kinds == {
        "f": "numeric",
        "i": "numeric",
        "b01": "boolean",
        "flag": "boolean",
        "s": "categorical",
        "cat": "categorical",
        "ts": None,
        "nullable": "numeric",
        "numtext": "numeric",
    }
    assert detect_kind(pd.Series([True, None, False], dtype=object)) == "boolean"
    assert detect_kind(pd.Series([None, None])) == "categorical"
    assert detect_kind(pd.Series(["1", "2", "x"] + ["3"] * 100)) == "numeric"
    assert detect_kind(pd.Series(["1", "x", "y", "z"])) == "categorical"


def test_fit_profile_keeps_sorted_values_bins_and_counts():
    df = frame()
    df.loc[::10, "f"] = np.nan
    profile = fit_profile(df)
    f = profile.columns["f"]
    assert isinstance(f, NumericProfile)
    valid = df["f"].dropna().to_numpy()
    assert np.array_equal(f.values, np.sort(valid))
    assert f.n_values == len(valid) and f.n_missing == 50 and f.missing_rate == 0.1
    assert f.mean == pytest.approx(valid.mean()) and f.std == pytest.approx(valid.std())
    assert (f.min, f.max) == (valid.min(), valid.max())
    assert f.psi_counts.sum() == len(valid) and len(f.psi_edges) == 9
    assert f.fine_counts.sum() == len(valid) and 50 < len(f.fine_edges) <= 99
    s = profile.columns["s"]
    assert isinstance(s, CategoricalProfile) and s.kind == "categorical"
    assert (
        dict(zip(s.categories, s.counts.tolist(), strict=True)) == df["s"].value_counts().to_dict()
    )
    assert set(profile.columns["flag"].categories) == {False, True}
    assert "ts" not in profile.columns and profile.skipped["ts"].startswith("unsupported")
    assert profile.n_rows == 500


def test_kind_overrides_and_ignore():
    df = frame()
    profile = fit_profile(df, kinds={"i": "categorical", "f": "ignore", "b01": "numeric"})
    assert profile.columns["i"].kind == "categorical"
    assert profile.columns["b01"].kind == "numeric"
    assert "f" not in profile.columns and profile.skipped["f"] == "ignored"
    with pytest.raises(InvalidInputError, match="unknown column kind"):
        fit_profile(df, kinds={"i": "text"})
    with pytest.raises(InvalidInputError, match="not in the reference"):
        fit_profile(df, kinds={"nope": "numeric"})


def test_profile_round_trips_through_bytes_and_files(tmp_path):
    df = frame(300, seed=4)
    df.loc[3, "s"] = None
    profile = fit_profile(df)
    again = ReferenceProfile.from_bytes(profile.to_bytes())
    assert list(again.columns) == list(profile.columns)
    for name, col in profile.columns.items():
        other = again.columns[name]
        assert other.kind == col.kind and other.n_rows == col.n_rows
        if isinstance(col, NumericProfile):
            assert np.array_equal(other.values, col.values)
            assert np.array_equal(other.fine_edges, col.fine_edges)
        else:
            assert other.categories == col.categories
            assert np.array_equal(other.counts, col.counts)
    current = frame(200, seed=5)
    a = compare(profile, current, "all").to_frame()
    b = compare(again, current, "all").to_frame()
    pd.testing.assert_frame_equal(a, b)
    path = profile.save(tmp_path / "p.npz")
    assert ReferenceProfile.load(path).columns["f"].n_values == 300
    (tmp_path / "bad.npz").write_bytes(b"not a profile")
    with pytest.raises(UnusableInputError, match="not a readable reference profile"):
        ReferenceProfile.load(tmp_path / "bad.npz")
    with pytest.raises(UnusableInputError, match="cannot read"):
        ReferenceProfile.load(tmp_path / "missing.npz")


def test_sketch_keeps_quantiles_and_true_count():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"x": rng.normal(size=50_000)})
    profile = fit_profile(df, sketch_size=1_000)
    col = profile.columns["x"]
    assert col.values.shape[0] == 1_000 and col.n_values == 50_000 and col.is_sketch
    assert col.psi_counts.sum() == 50_000
    result = compare(profile, pd.DataFrame({"x": rng.normal(size=20_000)}), ["ks", "wasserstein"])
    exact = compare(df, pd.DataFrame({"x": rng.normal(size=20_000)}), ["ks", "wasserstein"])
    assert result.result("x", "ks").statistic == pytest.approx(
        exact.result("x", "ks").statistic, abs=0.01
    )
    assert not result.drifted


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (pd.DataFrame(), "no columns"),
        (pd.DataFrame({"a": []}), "no rows"),
        ([1, 2, 3], "pandas DataFrame"),
    ],
)
def test_fit_profile_rejects_unusable_references(bad, message):
    with pytest.raises(InvalidInputError, match=message):
        fit_profile(bad)


def test_duplicate_column_names_are_rejected():
    df = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(InvalidInputError, match="more than once"):
        fit_profile(df)


def test_all_missing_and_single_row_columns():
    df = pd.DataFrame({"x": [np.nan, np.nan], "y": [1.5, 1.5], "s": [None, None]})
    profile = fit_profile(df)
    assert profile.columns["x"].n_values == 0 and np.isnan(profile.columns["x"].mean)
    assert profile.columns["s"].n_values == 0
    one = fit_profile(pd.DataFrame({"x": [3.0]}))
    assert one.columns["x"].values.tolist() == [3.0]


def test_window_plans_are_kept_per_size_and_give_the_same_report() -> None:
    from workbench.monitoring.profile import PLANS_KEPT

    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"x": rng.normal(size=50_000), "k": rng.integers(0, 40, 50_000).astype(float)})
    profile = fit_profile(reference)
    column = profile.columns["x"]
    window = pd.DataFrame({"x": rng.normal(0.05, 1, 5_000), "k": rng.integers(0, 41, 5_000).astype(float)})
    first = compare(profile, window, ["ks", "wasserstein"]).to_frame()
    plan = column.plan("quantile", 5_000)
    assert column.plan("quantile", 5_000) is plan  # computed once per window size
    again = compare(profile, window, ["ks", "wasserstein"]).to_frame()
    fresh = compare(reference, window, ["ks", "wasserstein"]).to_frame()  # a new profile: no plans
    pd.testing.assert_frame_equal(first, again)
    pd.testing.assert_frame_equal(first, fresh)
    for size in range(1_000, 1_000 + 3 * PLANS_KEPT):
        column.plan("quantile", size)
    assert len(column._cache["plans"]) <= PLANS_KEPT
