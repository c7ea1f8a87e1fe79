"""PCA reconstruction drift and the domain classifier."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InvalidInputError
from workbench.monitoring import (
    compare,
    domain_classifier_drift,
    fit_pca_drift,
    pca_reconstruction_drift,
)


def correlated(n: int, seed: int, rho: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    b = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)
    c = rho * a + np.sqrt(1 - rho**2) * rng.normal(size=n)
    cat = np.where(a + rng.normal(0, 0.5, n) > 0, "hi", "lo")
    return pd.DataFrame({"a": a, "b": b, "c": c, "cat": cat})


def test_pca_band_holds_on_reference_like_data_and_catches_broken_correlation():
    ref = correlated(6000, 0, 0.9)
    model = fit_pca_drift(ref, chunk_size=500)
    assert 0.65 <= model.explained <= 1 and 1 <= model.n_components < 6
    assert model.chunk_errors.shape == (12,)
    same = model.compare(correlated(500, 1, 0.9))
    assert not same.drifted and model.lower <= same.statistic <= model.upper
    broken = correlated(500, 2, 0.0)
    # the marginals barely move, so univariate drift stays quiet ...
    assert not compare(ref, broken, ["wasserstein"]).drifted
    # ... but the joint structure broke
    result = model.compare(broken)
    assert result.drifted and result.statistic > model.upper
    assert result.detail["n_components"] == model.n_components


def test_pca_handles_missing_values_and_unseen_categories():
    ref = correlated(2000, 3, 0.8)
    cur = correlated(400, 4, 0.8)
    cur.loc[::7, "a"] = np.nan
    cur.loc[::5, "cat"] = "never-seen"
    result = pca_reconstruction_drift(ref, cur)
    assert np.isfinite(result.statistic) and result.lower < result.upper


def test_pca_rejects_bad_input():
    with pytest.raises(InvalidInputError):
        fit_pca_drift(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(InvalidInputError, match="variance"):
        fit_pca_drift(correlated(100, 0, 0.5), variance=1.5)
    model = fit_pca_drift(correlated(100, 0, 0.5), chunk_size=10)
    with pytest.raises(InvalidInputError, match="lacks column"):
        model.compare(pd.DataFrame({"a": [1.0]}))


def test_domain_classifier_tells_shifted_data_apart_and_not_identical_data():
    ref = correlated(300, 5, 0.5)
    same = domain_classifier_drift(ref, correlated(300, 6, 0.5), permutations=4, seed=1)
    assert not same.drifted and 0.3 < same.statistic < 0.65
    shifted = correlated(300, 7, 0.5).assign(a=lambda d: d["a"] + 1.5)
    moved = domain_classifier_drift(ref, shifted, permutations=4, seed=1)
    assert moved.drifted and moved.statistic > 0.75 and moved.p_value == pytest.approx(1 / 5)
    assert moved.upper < moved.statistic
    assert moved.detail["n_reference"] == 300 and moved.detail["permutations"] == 4
