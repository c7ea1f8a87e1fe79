"""``workbench drift --multivariate``: the columns tested together catch a change of how two
columns pair up that no per-column test sees, and stay quiet on data drawn like the reference."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from tests.support.cli import no_traceback, workbench

N = 600


def _pairs(seed: int, *, shuffle_y: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=N)
    y = x + 0.1 * rng.normal(size=N)  # y follows x closely
    if shuffle_y:
        y = rng.permutation(y)  # same marginal distribution, the pairing with x is gone
    return pd.DataFrame({"x": x, "y": y})


def _files(tmp_path: Path) -> tuple[str, str, str]:
    reference, paired, broken = tmp_path / "ref.csv", tmp_path / "same.csv", tmp_path / "broken.csv"
    _pairs(1, shuffle_y=False).to_csv(reference, index=False)
    _pairs(2, shuffle_y=False).to_csv(paired, index=False)
    _pairs(3, shuffle_y=True).to_csv(broken, index=False)
    return str(reference), str(paired), str(broken)


def test_pca_flags_a_changed_pairing_that_the_columns_alone_miss(tmp_path: Path) -> None:
    reference, _, broken = _files(tmp_path)
    plain = workbench("drift", reference, broken, "--json")
    assert plain.returncode == 0, plain.stderr
    alone = json.loads(plain.stdout)
    assert not alone["drifted"] and alone["n_drifted"] == 0  # each column keeps its distribution

    result = workbench("drift", reference, broken, "--multivariate", "pca", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    together = out["multivariate"]
    assert together["column"] == "*all" and together["method"] == "pca_reconstruction"
    assert together["drifted"] and together["statistic"] > together["threshold"]
    assert out["drifted"] and not out["drifted_by_columns"]

    text = workbench("drift", reference, broken, "--multivariate", "pca")
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("DRIFTED: 0 of 2 column(s) drifted")
    row = next(line for line in text.stdout.splitlines() if line.startswith("*all"))
    assert "pca_reconstruction" in row and row.split()[-1] == "yes"
    assert "*all: the columns together (x, y)" in text.stdout


def test_data_drawn_like_the_reference_is_not_flagged(tmp_path: Path) -> None:
    reference, paired, _ = _files(tmp_path)
    result = workbench("drift", reference, paired, "--multivariate", "pca", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert not out["multivariate"]["drifted"] and not out["drifted"]
    lower, upper = out["multivariate"]["lower"], out["multivariate"]["threshold"]
    assert lower <= out["multivariate"]["statistic"] <= upper


def test_a_saved_profile_cannot_test_columns_together(tmp_path: Path) -> None:
    reference, paired, _ = _files(tmp_path)
    profile = str(tmp_path / "ref.npz")
    assert workbench("drift", reference, paired, "--save-profile", profile).returncode == 0
    result = workbench("drift", profile, paired, "--multivariate", "pca")
    assert result.returncode != 0 and no_traceback(result)
    assert "--multivariate pca" in result.stderr and "ref.npz" in result.stderr
