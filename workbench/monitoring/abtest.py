"""Production A/B tests of a business outcome between two variants (A = control, B = treatment).

* ``two_proportion_ztest`` — conversion-style outcomes: the z statistic uses the pooled rate
  (as ``statsmodels.stats.proportion.proportions_ztest``), the confidence interval of
  ``p_B - p_A`` is the unpooled Wald interval (as ``confint_proportions_2indep(method="wald")``).
* ``welch_ttest`` — continuous outcomes: Welch's t with Welch–Satterthwaite degrees of
  freedom (as ``scipy.stats.ttest_ind(equal_var=False)``) and its interval for ``mean_B -
  mean_A``.

Both report the minimum detectable effect for the sample sizes at hand: the smallest true
difference the test would find with probability ``power`` (0.8) at level ``alpha`` (0.05),
by the normal approximation ``(z_{1-α/2} + z_power) · SE`` — for proportions with the
control's rate in both arms, for means with each arm's own variance. ``alternative`` is
``"two-sided"``, ``"greater"`` (B > A) or ``"less"``. ``ab_decision`` says a result in words.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InvalidInputError
from workbench.monitoring.methods import ALTERNATIVES


@dataclass(frozen=True)
class ABTestResult:
    test: str
    n_a: int
    n_b: int
    estimate_a: float  # rate or mean of A
    estimate_b: float
    effect: float  # B - A
    ci_low: float
    ci_high: float
    statistic: float
    p_value: float
    alpha: float
    significant: bool
    mde: float
    power: float
    alternative: str = "two-sided"
    df: float | None = None

    @property
    def relative_effect(self) -> float:
        return self.effect / self.estimate_a if self.estimate_a else float("nan")


def _check(alpha: float, power: float, alternative: str) -> None:
    if not 0 < alpha < 1:
        raise InvalidInputError(f"alpha must be in (0, 1), got {alpha!r}")
    if not 0 < power < 1:
        raise InvalidInputError(f"power must be in (0, 1), got {power!r}")
    if alternative not in ALTERNATIVES:
        raise InvalidInputError(f"alternative must be one of {', '.join(ALTERNATIVES)}")


def _p_value(
    dist: stats.rv_continuous | stats.rv_frozen, statistic: float, alternative: str
) -> float:
    if alternative == "greater":
        return float(dist.sf(statistic))
    if alternative == "less":
        return float(dist.cdf(statistic))
    return float(min(1.0, 2.0 * dist.sf(abs(statistic))))


def _interval(
    effect: float,
    se: float,
    dist: stats.rv_continuous | stats.rv_frozen,
    alpha: float,
    alternative: str,
) -> tuple[float, float]:
    if alternative == "two-sided":
        q = float(dist.ppf(1 - alpha / 2))
        return effect - q * se, effect + q * se
    q = float(dist.ppf(1 - alpha))
    if alternative == "greater":
        return effect - q * se, math.inf
    return -math.inf, effect + q * se


def _mde(se: float, alpha: float, power: float, alternative: str) -> float:
    z_alpha = stats.norm.ppf(1 - alpha / 2 if alternative == "two-sided" else 1 - alpha)
    return float((z_alpha + stats.norm.ppf(power)) * se)


def two_proportion_ztest(
    successes_a: int,
    n_a: int,
    successes_b: int,
    n_b: int,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> ABTestResult:
    _check(alpha, power, alternative)
    for name, k, n in (("A", successes_a, n_a), ("B", successes_b, n_b)):
        if int(n) != n or int(k) != k or n < 1 or not 0 <= k <= n:
            raise InvalidInputError(
                f"variant {name}: successes ({k}) must be a whole number in [0, n] and n ({n}) >= 1"
            )
    p_a, p_b = successes_a / n_a, successes_b / n_b
    pooled = (successes_a + successes_b) / (n_a + n_b)
    se_pooled = math.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    effect = p_b - p_a
    if se_pooled == 0:
        z, p_value = 0.0, 1.0
    else:
        z = effect / se_pooled
        p_value = _p_value(stats.norm, z, alternative)
    se = math.sqrt(p_a * (1 - p_a) / n_a + p_b * (1 - p_b) / n_b)
    low, high = _interval(effect, se, stats.norm, alpha, alternative)
    mde = _mde(math.sqrt(p_a * (1 - p_a) * (1 / n_a + 1 / n_b)), alpha, power, alternative)
    return ABTestResult(
        "two_proportion_z",
        int(n_a),
        int(n_b),
        p_a,
        p_b,
        effect,
        low,
        high,
        float(z),
        p_value,
        alpha,
        p_value < alpha,
        mde,
        power,
        alternative,
    )


def _values(values: object, name: str) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError):
        raise InvalidInputError(f"variant {name}: outcomes must be numbers") from None
    array = array[np.isfinite(array)]
    if array.shape[0] < 2:
        raise InvalidInputError(f"variant {name}: at least two numeric outcomes are needed")
    return array


def welch_ttest(
    values_a: object,
    values_b: object,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> ABTestResult:
    """Welch's t-test of mean_B - mean_A; NaN and infinite outcomes are left out."""
    _check(alpha, power, alternative)
    a, b = _values(values_a, "A"), _values(values_b, "B")
    n_a, n_b = a.shape[0], b.shape[0]
    va, vb = a.var(ddof=1) / n_a, b.var(ddof=1) / n_b
    se = math.sqrt(va + vb)
    effect = float(b.mean() - a.mean())
    if se == 0:
        return ABTestResult(
            "welch_t",
            n_a,
            n_b,
            float(a.mean()),
            float(b.mean()),
            effect,
            effect,
            effect,
            0.0 if effect == 0 else math.copysign(math.inf, effect),
            1.0 if effect == 0 else 0.0,
            alpha,
            effect != 0,
            0.0,
            power,
            alternative,
            None,
        )
    df = (va + vb) ** 2 / (va**2 / (n_a - 1) + vb**2 / (n_b - 1))
    t = effect / se
    dist = stats.t(df)
    p_value = _p_value(dist, t, alternative)
    low, high = _interval(effect, se, dist, alpha, alternative)
    return ABTestResult(
        "welch_t",
        n_a,
        n_b,
        float(a.mean()),
        float(b.mean()),
        effect,
        low,
        high,
        float(t),
        p_value,
        alpha,
        p_value < alpha,
        _mde(se, alpha, power, alternative),
        power,
        alternative,
        float(df),
    )


def ab_test(
    frame: pd.DataFrame,
    variant_column: str,
    outcome_column: str,
    *,
    control: object = None,
    alpha: float = 0.05,
    power: float = 0.8,
    alternative: str = "two-sided",
) -> ABTestResult:
    """A/B test from one row per unit: a 0/1 outcome gets the z-test, others Welch's t."""
    for column in (variant_column, outcome_column):
        if column not in frame.columns:
            raise InvalidInputError(f"no column {column!r}", hint=f"columns: {list(frame.columns)}")
    variants = list(pd.unique(frame[variant_column].dropna()))
    if len(variants) != 2:
        raise InvalidInputError(
            f"an A/B test needs exactly two variants, found {len(variants)}: {variants[:5]}",
            where=f"column {variant_column!r}",
        )
    if control is not None and control not in variants:
        raise InvalidInputError(f"control {control!r} is not one of the variants {variants}")
    first = control if control is not None else sorted(variants, key=str)[0]
    second = variants[1] if variants[0] == first else variants[0]
    outcome = pd.to_numeric(frame[outcome_column], errors="coerce")
    a = outcome[frame[variant_column] == first].dropna().to_numpy()
    b = outcome[frame[variant_column] == second].dropna().to_numpy()
    if len(a) and len(b) and np.isin(np.concatenate([a, b]), (0.0, 1.0)).all():
        return two_proportion_ztest(
            int(a.sum()),
            len(a),
            int(b.sum()),
            len(b),
            alpha=alpha,
            power=power,
            alternative=alternative,
        )
    return welch_ttest(a, b, alpha=alpha, power=power, alternative=alternative)


def ab_decision(result: ABTestResult) -> str:
    """The result in words: which variant wins, or that no difference was detected."""
    if not result.significant:
        return (f"no difference detected (the test could find an effect of {result.mde:.4g} or more "
                f"with power {result.power:.0%})")
    return "B is better than A" if result.effect > 0 else "A is better than B"
