"""Drift profiling of Spark DataFrames agrees with the local engine on the same data: exactly
for small references (profiled exactly), within the documented tolerances for references
profiled by quantile sketch (PSI and JS within 0.01, KS within relative error + 1/sketch,
normalised Wasserstein within that times the reference's range over its std)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.spark.conftest import SparkChain
from tests.engines.support import Chain, Step
from workbench.engines.spark.drift import RELATIVE_ERROR, SKETCH_SIZE

METHODS = ["psi", "ks", "js", "chi2", "wasserstein"]


def _frame(n: int, shift: float, seed: int, start_ms: int | None = None) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    half = n // 2
    frame = pd.DataFrame({
        "num_a": np.concatenate([rng.normal(0, 1, half), rng.normal(shift, 1, n - half)]),
        "num_b": rng.exponential(2.0, n).round(2),  # ties, as real data has
        "flag": rng.integers(0, 2, n),
        "colour": rng.choice(["red", "green", "blue"], n,
                             p=[0.5, 0.3, 0.2] if shift == 0 else [0.3, 0.3, 0.4]),
        "target": rng.integers(0, 2, n),
    })
    if start_ms is not None:
        frame["timestamp"] = pd.to_datetime(start_ms + np.arange(n) // 3 * 1000, unit="ms")
    return frame


def _source(chain: Chain, node: str, frame: pd.DataFrame, folder: Path) -> Step:
    path = folder / f"{node}.parquet"
    frame.to_parquet(path, index=False)
    return chain.run(node, "data_source", {"format": "parquet", "path": str(path)})


def _by_key(records: list[dict]) -> dict[tuple, dict]:
    return {(r["index"], r["column"], r["method"]): r for r in records}


def _compare(local_chain: Chain, on_spark: SparkChain, ref: Step, cur: Step,
             node: str) -> tuple[dict, dict, Step, Step]:
    params = {"methods": METHODS, "threshold": 0.2, "window_size": 500, "consecutive_windows": 2}
    inputs = {"reference": [ref.out("data")], "current": [cur.out("data")]}
    local = local_chain.run(f"{node}_local", "drift_monitor", params, inputs)
    spark = on_spark.run(f"{node}_spark", "drift_monitor", params, inputs)
    return (_by_key(local.result["records"]["drift"]), _by_key(spark.result["records"]["drift"]),
            local, spark)


def test_small_reference_is_profiled_exactly(local_chain: Chain, on_spark: SparkChain,
                                             tmp_path: Path) -> None:
    ref = _source(local_chain, "drift_ref_small", _frame(2000, 0.0, 1), tmp_path)
    cur = _source(local_chain, "drift_cur_small", _frame(1600, 1.0, 2), tmp_path)
    local, spark, local_step, spark_step = _compare(local_chain, on_spark, ref, cur, "small")
    assert local.keys() == spark.keys() and len(local) == 3 * 15
    for key, mine in spark.items():
        theirs = local[key]
        assert mine["statistic"] == pytest.approx(theirs["statistic"], rel=1e-9, abs=1e-12), key
        assert mine["drifted"] == theirs["drifted"], key
        assert mine["count"] == theirs["count"]  # no timestamps: windows carry the step's time
    assert spark_step.result["metrics"] == local_step.result["metrics"]
    assert spark_step.result["records"]["alerts"] == local_step.result["records"]["alerts"]


def test_sketched_reference_agrees_within_the_tolerances(local_chain: Chain, on_spark: SparkChain,
                                                         tmp_path: Path) -> None:
    ref_frame = _frame(30_000, 0.0, 3)
    ref = _source(local_chain, "drift_ref_big", ref_frame, tmp_path)
    cur = _source(local_chain, "drift_cur_big", _frame(3000, 0.8, 4, start_ms=1_700_000_000_000),
                  tmp_path)
    local, spark, local_step, spark_step = _compare(local_chain, on_spark, ref, cur, "big")
    assert any("quantile sketch" in line for _, line in on_spark.lines)
    assert local.keys() == spark.keys() and len(local) == 6 * 15
    ks_tolerance = RELATIVE_ERROR + 1 / SKETCH_SIZE
    flips = 0
    for key, mine in spark.items():
        theirs = local[key]
        assert (mine["window_start"], mine["window_end"], mine["count"]) == (
            theirs["window_start"], theirs["window_end"], theirs["count"])
        method = key[2]
        if method in ("psi", "jensenshannon"):
            assert mine["statistic"] == pytest.approx(theirs["statistic"], abs=0.01), key
        elif method == "ks":
            assert mine["statistic"] == pytest.approx(theirs["statistic"], abs=ks_tolerance), key
        elif method == "wasserstein":
            profile = ref_frame[key[1]]
            bound = ks_tolerance * (profile.max() - profile.min()) / profile.std(ddof=0)
            assert mine["statistic"] == pytest.approx(theirs["statistic"], abs=bound), key
        elif method == "chi2":  # category counts are exact
            assert mine["statistic"] == pytest.approx(theirs["statistic"], rel=1e-9), key
        if mine["drifted"] != theirs["drifted"]:  # only a verdict on the threshold may flip
            if theirs["p_value"] is None:
                assert abs(theirs["statistic"] - theirs["threshold"]) < 0.01, key
            else:
                assert min(mine["p_value"], theirs["p_value"]) > 0.01, key
            flips += 1
    assert flips <= 3
    drifted = [r for r in spark.values() if r["column"] == "num_a" and r["method"] == "psi"]
    assert [r["drifted"] for r in sorted(drifted, key=lambda r: r["index"])] == [False] * 3 + [True] * 3
    assert spark_step.result["metrics"]["windows_drifted"] == local_step.result["metrics"]["windows_drifted"]
