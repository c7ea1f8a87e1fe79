"""``workbench abtest compare`` and ``workbench abtest results``: the same test an ``ab_test``
node runs, on a file (its numbers equal ``ab_test``'s and statsmodels' z-test), and the latest
result of every ``ab_test`` node after a real run of docs/examples/pricing_ab_drift.yaml."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportions_ztest

from tests.support.cli import ROOT, no_traceback, workbench
from tests.support.store_setup import cast_store
from workbench.monitoring.abtest import ab_test

GRAPH = ROOT / "docs" / "examples" / "pricing_ab_drift.yaml"


def _conversions(path: Path) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    variant = np.repeat(["A", "B"], 1500)
    converted = (rng.random(3000) < np.where(variant == "A", 0.10, 0.20)).astype(int)
    frame = pd.DataFrame({"variant": variant, "converted": converted})
    frame.to_csv(path, index=False)
    return frame


def test_compare_says_b_is_better_with_the_numbers_of_ab_test(tmp_path: Path) -> None:
    path = tmp_path / "ab.csv"
    frame = _conversions(path)
    expected = ab_test(frame, "variant", "converted")
    args = ("abtest", "compare", str(path), "--variant-column", "variant", "--outcome-column", "converted")

    text = workbench(*args)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("B is better than A (A is the control 'A', B is 'B')")
    assert f"{expected.estimate_b:.4g} over 1500 row(s)" in text.stdout
    assert f"effect B − A: {expected.effect:+.4g}" in text.stdout
    assert f"p = {expected.p_value:.3g}" in text.stdout
    assert f"an effect of {expected.mde:.4g} or more with power 80%" in text.stdout

    result = workbench(*args, "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["decision"] == "B is better than A" and out["significant"]
    for name in ("estimate_a", "estimate_b", "effect", "ci_low", "ci_high", "p_value", "mde"):
        assert out[name] == getattr(expected, name), name
    assert (out["n_a"], out["n_b"]) == (1500, 1500)
    # the peer: statsmodels' pooled two-proportion z-test on the same counts
    counts = frame.groupby("variant")["converted"].sum()
    _, peer_p = proportions_ztest([counts["B"], counts["A"]], [1500, 1500])
    assert np.isclose(out["p_value"], peer_p, rtol=1e-9, atol=0)


def test_a_column_the_file_lacks_is_named_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ab.csv"
    _conversions(path)
    result = workbench("abtest", "compare", str(path), "--variant-column", "group",
                       "--outcome-column", "converted")
    assert result.returncode != 0 and no_traceback(result)
    assert "'group'" in result.stderr and str(path) in result.stderr
    assert "variant, converted" in result.stderr


def test_results_lists_the_node_of_a_real_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    ran = workbench("--user", "bob", "run", str(GRAPH), "--wait", env=env)
    assert ran.returncode == 0, ran.stderr

    table = workbench("--user", "olga", "abtest", "results", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:2] == ["decision", "effect"]
    row = lines[1]  # one ab_test node, one run: one row
    assert row.startswith("B better") and "Pricing A/B test with joint drift / ab" in row
    assert lines[2] == ""
    assert "Pricing A/B test with joint drift / ab (run 1): B is better than A" in table.stdout

    listed = workbench("--user", "olga", "abtest", "results", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    (entry,) = json.loads(listed.stdout)
    assert entry["node"] == "ab" and entry["decision"] == "B is better than A"
    assert entry["figures"]["significant"] == 1 and entry["figures"]["effect"] > 0
