"""Request rows against the training schema: every problem names the row and the field."""

from __future__ import annotations

import numpy as np

from workbench.serving.service import routes_to_challenger
from workbench.serving.validation import FeatureSpec, check_rows, to_frame

SCHEMA = {"a": FeatureSpec("number"), "b": FeatureSpec("number", nullable=True),
          "flag": FeatureSpec("boolean"), "city": FeatureSpec("string")}
GOOD = {"a": 1.5, "b": None, "flag": True, "city": "Oslo"}


def messages(rows: object, max_rows: int = 10) -> list[str]:
    return [p.message for p in check_rows(rows, SCHEMA, max_rows)]


def test_valid_rows_pass_and_become_a_frame() -> None:
    assert messages([GOOD, {**GOOD, "a": 2, "b": 0.5, "flag": 0}]) == []
    frame = to_frame([{"a": 1, "b": None}], ["a", "b"], SCHEMA)
    assert list(frame.columns) == ["a", "b"] and frame.dtypes.tolist() == ["float64", "float64"]


def test_each_problem_names_the_row_and_the_feature() -> None:
    rows = [GOOD, {"b": 1.0, "flag": False, "city": "x", "extra": 3},
            {**GOOD, "a": "12"}, {**GOOD, "a": True, "city": 4}]
    assert messages(rows) == [
        "row 1: missing feature 'a'",
        "row 1: unknown feature 'extra' (not a feature the model was trained on)",
        "row 2, feature 'a': expected a number, got '12'",
        "row 3, feature 'a': expected a number, got True",
        "row 3, feature 'city': expected a string, got 4",
    ]
    (problem,) = check_rows([{**GOOD, "a": None}], SCHEMA, 10)
    assert problem.as_detail()["loc"] == ["body", "rows", 0, "a"]
    assert "null is not allowed" in problem.message


def test_the_request_as_a_whole() -> None:
    assert messages([]) == ["'rows' is empty: send at least one row"]
    assert "too many rows: 11" in messages([GOOD] * 11)[0]
    assert messages([GOOD, [1, 2]]) == ["row 1 is not an object of feature values (got [1, 2])"]
    assert messages({"a": 1}) == ["'rows' must be a list of objects"]
    assert messages([{**GOOD, "a": float("nan")}]) == ["row 0, feature 'a': not a finite number"]


def test_the_canary_split_is_deterministic_and_proportional() -> None:
    ids = [f"replay-{k}" for k in range(10_000)]
    picked = [routes_to_challenger(i, 0.1) for i in ids]
    assert picked == [routes_to_challenger(i, 0.1) for i in ids]
    assert 0.09 < sum(picked) / len(ids) < 0.11
    assert not any(routes_to_challenger(i, 0.0) for i in ids[:100])
    assert all(routes_to_challenger(i, 1.0) for i in ids[:100])


def test_finding_8_numbers_beyond_float32_are_refused_not_a_server_error() -> None:
    """Issue 13, finding 8: 1e308 overflowed float32 inside the model (a 500); now it is a
    problem of the request (a 422), named like every other."""
    assert messages([{**GOOD, "a": 1e308}, {**GOOD, "a": -3.5e38}, {**GOOD, "a": 3.4e38}, {**GOOD, "a": 10**400}]) == [
        "row 0, feature 'a': 1e+308 is beyond the range a model scores (±3.4e38)",
        "row 1, feature 'a': -3.5e+38 is beyond the range a model scores (±3.4e38)",
        "row 3, feature 'a': " + repr(10**400)[:37] + "... is beyond the range a model scores (±3.4e38)",
    ]


def test_the_numpy_fast_path_scores_exactly_as_the_frame_path_and_only_where_safe() -> None:
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from workbench.engines.runtime.models import SklearnPredictor
    from workbench.serving.fast_path import NumpySklearnPredictor, fast_predictor
    from workbench.serving.validation import FeatureSpec, to_frame

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200)})
    target = (frame["a"] + frame["b"] > 0).astype(int)
    numeric = {"a": FeatureSpec("number"), "b": FeatureSpec("number")}

    def predictor(estimator: object, features: tuple[str, ...]) -> SklearnPredictor:
        return SklearnPredictor(framework="sklearn", features=features, task="classification",
                                classes=(0, 1), estimator=estimator)

    plain = predictor(make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, target), ("a", "b"))
    fast = fast_predictor(plain, numeric)
    assert isinstance(fast, NumpySklearnPredictor)
    rows = frame.head(50).to_dict("records")
    batch = to_frame(rows, ("a", "b"), numeric)
    for x, y in zip(plain.predict_and_score(batch), fast.predict_and_score(batch), strict=True):
        assert np.array_equal(np.asarray(x), np.asarray(y))

    # fitted in another column order, or selecting columns by name: the frame path stays
    swapped = predictor(LogisticRegression().fit(frame[["b", "a"]], target), ("a", "b"))
    assert type(fast_predictor(swapped, numeric)) is SklearnPredictor
    mixed = frame.assign(c=np.where(frame["a"] > 0, "x", "y"))
    by_name = make_pipeline(ColumnTransformer([("c", OneHotEncoder(), ["c"])], remainder="passthrough"),
                            LogisticRegression()).fit(mixed, target)
    spec = {**numeric, "c": FeatureSpec("string")}
    assert type(fast_predictor(predictor(by_name, ("a", "b", "c")), spec)) is SklearnPredictor
