"""comparator and drift_monitor: divergence and drift records, alerts and the alert signal."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.engines.support import Chain, Step
from workbench.engines.runtime.artifacts import sha256_file
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError


def artifact(frame: pd.DataFrame, path: Path, kind: str, **meta: object) -> dict:
    frame.to_parquet(path, index=False)
    return {"path": str(path), "sha256": sha256_file(path), "kind": kind, "meta": dict(meta)}


def predictions(scores: np.ndarray, path: Path, version: str) -> dict:
    frame = pd.DataFrame({"row_id": np.arange(len(scores), dtype=np.int64),
                          "prediction": (scores >= 0.5).astype(int), "score": scores,
                          "model_version": version})
    return artifact(frame, path, "predictions")


@pytest.fixture(scope="module")
def scores() -> np.ndarray:
    return np.random.default_rng(0).beta(2, 5, size=1200)


def test_identical_predictions_do_not_diverge(chain: Chain, scores: np.ndarray,
                                              tmp_path: Path) -> None:
    champion = predictions(scores, tmp_path / "a.parquet", "m/1")
    challenger = predictions(scores.copy(), tmp_path / "b.parquet", "m/2")
    step = chain.run("canary_same", "comparator", {"threshold": 0.1},
                     {"champion": [champion], "challenger": [challenger]})
    rows = step.result["records"]["divergence"]
    assert [r["count"] for r in rows] == [500, 700, 1200]  # the short tail joins window 1
    assert [r["index"] for r in rows] == [0, 1, None]
    assert not any(r["diverged"] for r in rows)
    assert rows[-1]["method"] == "histogram_rmse" and rows[-1]["statistic"] == 0.0
    assert rows[-1]["details"]["model_versions"] == {"champion": ["m/1"],
                                                     "challenger": ["m/2"]}
    assert step.result["signals"] == {"alert": False}
    assert step.result["records"]["alerts"] == []
    assert step.result["metrics"]["agreement"] == 1.0


def test_a_diverging_challenger_raises_alerts(chain: Chain, scores: np.ndarray,
                                              tmp_path: Path) -> None:
    champion = predictions(scores, tmp_path / "a.parquet", "m/1")
    shifted = np.clip(scores + 0.35, 0, 1)
    challenger = predictions(shifted, tmp_path / "b.parquet", "m/2")
    step = chain.run("canary_shift", "comparator", {"threshold": 0.1, "mode": "canary"},
                     {"champion": [champion], "challenger": [challenger]})
    rows = step.result["records"]["divergence"]
    assert all(r["diverged"] for r in rows) and rows[-1]["statistic"] > 0.1
    assert step.result["signals"] == {"alert": True}
    alerts = step.result["records"]["alerts"]
    assert len(alerts) == 3 and {a["kind"] for a in alerts} == {"divergence"}
    assert "canary_shift" in alerts[-1]["message"]
    written = json.loads(step.file("metrics").read_text())
    assert written["diverged"] == 1 and written["mode"] == "canary"
    assert len(written["windows_detail"]) == 3


def test_comparator_needs_shared_rows(chain: Chain, scores: np.ndarray,
                                      tmp_path: Path) -> None:
    champion = predictions(scores, tmp_path / "a.parquet", "m/1")
    other = pd.read_parquet(champion["path"]).assign(row_id=lambda f: f["row_id"] + 10_000)
    challenger = artifact(other, tmp_path / "b.parquet", "predictions")
    with pytest.raises(InvalidInputError, match="node 'cmp'.*share no row_id"):
        run_spec(chain.spec("cmp", "comparator", {},
                            {"champion": [champion], "challenger": [challenger]}))


def frames(shift: float, n_ref: int = 1000, n_cur: int = 600) -> tuple[pd.DataFrame, ...]:
    rng = np.random.default_rng(1)

    def table(n: int, offset: float, start: int) -> pd.DataFrame:
        return pd.DataFrame({
            "row_id": np.arange(start, start + n, dtype=np.int64),
            "a": rng.normal(offset, 1.0, n), "b": rng.normal(10 + offset, 2.0, n),
            "c": rng.choice(["x", "y", "z"], n, p=[0.5, 0.3, 0.2]),
            "target": rng.integers(0, 2, n),
        })

    return table(n_ref, 0.0, 0), table(n_cur, shift, n_ref)


@pytest.mark.parametrize(("shift", "alert"), [(0.0, False), (1.5, True)])
def test_drift_monitor_alerts_only_on_a_shift(chain: Chain, tmp_path: Path, shift: float,
                                              alert: bool) -> None:
    reference, current = frames(shift)
    ref = artifact(reference, tmp_path / "ref.parquet", "dataset", target="target")
    cur = artifact(current, tmp_path / "cur.parquet", "dataset", target="target")
    step = chain.run(f"drift_{int(shift * 10)}", "drift_monitor",
                     {"methods": ["psi", "ks"], "threshold": 0.2, "window_size": 200,
                      "consecutive_windows": 2},
                     {"reference": [ref], "current": [cur]})
    records = step.result["records"]["drift"]
    assert {r["column"] for r in records} == {"a", "b", "c", "*"}  # no row_id, no target
    assert {r["index"] for r in records} == {0, 1, 2}
    psi = [r for r in records if r["method"] == "psi"]
    assert psi and all(r["threshold"] == 0.2 for r in psi)
    ks = [r for r in records if r["method"] == "ks"]
    assert ks and all(r["threshold"] == 0.05 and r["p_value"] is not None for r in ks)
    dataset = [r for r in records if r["column"] == "*"]
    assert [r["drifted"] for r in dataset] == [alert] * 3
    assert step.result["signals"] == {"alert": alert}
    alerts = step.result["records"]["alerts"]
    if alert:
        assert len(alerts) == 1 and alerts[0]["kind"] == "drift"
        assert alerts[0]["window_end"] == dataset[1]["window_end"]
        assert "2 consecutive" in alerts[0]["message"]
    else:
        assert alerts == []
    assert step.result["metrics"]["windows"] == 3


def test_prediction_drift_compares_windows_with_the_first(chain: Chain,
                                                          tmp_path: Path) -> None:
    reference, current = frames(0.0)
    ref = artifact(reference, tmp_path / "ref.parquet", "dataset", target="target")
    cur = artifact(current, tmp_path / "cur.parquet", "dataset", target="target")
    scores = np.concatenate([np.full(200, 0.2), np.full(400, 0.8)])
    scores += np.random.default_rng(2).normal(0, 0.01, 600)
    preds = predictions(scores, tmp_path / "p.parquet", "m/1")
    step = chain.run("drift_pred", "drift_monitor", {"window_size": 200, "methods": ["psi"]},
                     {"reference": [ref], "current": [cur], "predictions": [preds]})
    score_rows = [r for r in step.result["records"]["drift"] if r["column"] == "score"]
    assert [r["index"] for r in score_rows] == [1, 2] and all(r["drifted"] for r in score_rows)


def test_drift_monitor_bad_method_names_the_node(chain: Chain, tmp_path: Path) -> None:
    reference, current = frames(0.0, 100, 100)
    ref = artifact(reference, tmp_path / "ref.parquet", "dataset", target="target")
    cur = artifact(current, tmp_path / "cur.parquet", "dataset", target="target")
    with pytest.raises(InvalidInputError, match="node 'd'.*unknown drift method 'bogus'"):
        run_spec(chain.spec("d", "drift_monitor", {"methods": ["bogus"]},
                            {"reference": [ref], "current": [cur]}))


def test_real_predictions_flow_into_the_comparator(chain: Chain, cancer: Step, logreg: Step,
                                                   mlp: Step) -> None:
    data = {"data": [cancer.out("data")]}
    a = chain.run("serve_lr", "inference", {}, {"model": [logreg.out("model")], **data})
    b = chain.run("serve_mlp", "inference", {}, {"model": [mlp.out("model")], **data})
    step = chain.run("cmp_real", "comparator", {"threshold": 0.5},
                     {"champion": [a.out("predictions")],
                      "challenger": [b.out("predictions")]})
    assert step.result["metrics"]["rows"] == 569
    assert step.result["metrics"]["agreement"] > 0.85
    assert step.result["signals"] == {"alert": False}


def test_drift_monitor_leaves_id_columns_out_and_says_so(chain: Chain, tmp_path: Path) -> None:
    reference, current = frames(0.0)
    for frame, start in ((reference, 0), (current, 5000)):
        frame["account_id"] = [f"A{i:06d}" for i in range(start, start + len(frame))]
    ref = artifact(reference, tmp_path / "ref.parquet", "dataset", target="target")
    cur = artifact(current, tmp_path / "cur.parquet", "dataset", target="target")
    step = chain.run("drift_ids", "drift_monitor",
                     {"methods": ["psi"], "window_size": 200, "id_columns": ["c"]},
                     {"reference": [ref], "current": [cur]})
    records = step.result["records"]["drift"]
    assert {r["column"] for r in records} == {"a", "b", "*"}
    assert all(r["threshold"] == 0.1 for r in records if r["method"] == "psi")  # the one default
    detail = json.loads(step.file("metrics").read_text(encoding="utf-8"))
    assert detail["excluded"] == {"c": "declared an id column",
                                  "account_id": "id-like: named like an id and every value is distinct"}


@pytest.mark.parametrize("how", ["pca", "classifier"])
def test_multivariate_drift_sees_a_broken_correlation_the_columns_alone_miss(chain: Chain, tmp_path: Path,
                                                                             how: str) -> None:
    """Issue 17: the columns-together test. Each column keeps its distribution, but the
    relation between them flips; per-column drift stays quiet, the multivariate test does not."""
    rng = np.random.default_rng(4)

    def table(n: int, sign: float, start: int) -> pd.DataFrame:
        a = rng.normal(0, 1, n)
        return pd.DataFrame({"row_id": np.arange(start, start + n, dtype=np.int64), "a": a,
                             "b": sign * a + rng.normal(0, 0.2, n), "target": rng.integers(0, 2, n)})

    ref = artifact(table(2000, 1.0, 0), tmp_path / "ref.parquet", "dataset", target="target")
    same = artifact(table(400, 1.0, 5000), tmp_path / "same.parquet", "dataset", target="target")
    flipped = artifact(table(400, -1.0, 9000), tmp_path / "flip.parquet", "dataset", target="target")
    verdicts = {}
    for name, current in (("same", same), ("flipped", flipped)):
        step = chain.run(f"mv_{how}_{name}", "drift_monitor",
                         {"methods": ["ks"], "window_size": 400, "multivariate": how},
                         {"reference": [ref], "current": [current]})
        rows = step.result["records"]["drift"]
        (together,) = [r for r in rows if r["column"] == "*all"]
        assert together["method"] in ("pca_reconstruction", "domain_classifier")
        assert together["threshold"] is not None
        verdicts[name] = (together["drifted"], [r["drifted"] for r in rows if r["column"] in ("a", "b")])
    assert verdicts["same"] == (False, [False, False])
    assert verdicts["flipped"][0] is True and verdicts["flipped"][1] == [False, False]


def test_the_ab_test_node_reports_the_effect_its_interval_and_a_decision(chain: Chain, tmp_path: Path) -> None:
    """Issue 17: A/B tests reachable from a graph — the node's figures are the library's, with a
    decision in words."""
    from workbench.monitoring.abtest import two_proportion_ztest

    rng = np.random.default_rng(9)
    n = 4000
    variant = np.where(np.arange(n) % 2 == 0, "old_page", "new_page")
    converted = (rng.random(n) < np.where(variant == "new_page", 0.14, 0.10)).astype(int)
    data = artifact(pd.DataFrame({"row_id": np.arange(n), "variant": variant, "converted": converted}),
                    tmp_path / "ab.parquet", "dataset")
    step = chain.run("ab", "ab_test", {"control": "old_page"}, {"data": [data]})
    figures = step.result["metrics"]
    a, b = converted[variant == "old_page"], converted[variant == "new_page"]
    expected = two_proportion_ztest(int(a.sum()), len(a), int(b.sum()), len(b))
    assert figures["effect"] == pytest.approx(expected.effect)
    assert figures["p_value"] == pytest.approx(expected.p_value)
    assert figures["ci_low"] < figures["effect"] < figures["ci_high"]
    written = json.loads(step.file("metrics").read_text())
    assert written["decision"] == "B is better than A" and written["confidence"] == 0.95

    same = artifact(pd.DataFrame({"row_id": np.arange(400), "variant": variant[:400],
                                  "converted": (rng.random(400) < 0.1).astype(int)}),
                    tmp_path / "same.parquet", "dataset")
    quiet = chain.run("ab_same", "ab_test", {"control": "old_page"}, {"data": [same]})
    assert json.loads(quiet.file("metrics").read_text())["decision"].startswith("no difference detected")
    with pytest.raises(InvalidInputError, match="node 'ab_bad'.*no column 'arm'"):
        run_spec(chain.spec("ab_bad", "ab_test", {"variant_column": "arm"}, {"data": [data]}))
