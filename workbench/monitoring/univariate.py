"""Per-method drift kernels: pure functions on sorted value arrays and count vectors.

This module owns the numbers of every univariate drift method; nothing here knows about
columns, profiles or thresholds. Conventions (the project's DRIFT CONVENTIONS, made exact):

* **KS** — two-sample, two-sided, as ``scipy.stats.ks_2samp(method="auto")``: the statistic
  is ``max |F_ref - F_cur|`` over the pooled sample; the p-value is exact when both samples
  have at most 10,000 values (delegated to scipy, which is cheap at that size) and otherwise
  ``kstwo.sf(D, round(n1·n2/(n1+n2)))``, Smirnov's asymptotic rule, exactly as scipy does.
  The statistic is computed from the two sorted samples in ``O(n_cur log n_ref)``: between
  two consecutive current values ``F_cur`` is constant and ``F_ref`` monotone, so the
  supremum is attained at a current value or just left of one. For two large samples
  ``ks_statistic_bounded`` bounds the gap piece by piece and evaluates only the pieces that
  can hold the maximum. Where scipy sums Smirnov's exact series over ``n`` terms (half a
  second at ``n = 500,000``) the sum is evaluated over its bump only (``smirnov_upper``).
* **Wasserstein-1** — ``∫ |F_ref - F_cur| dx`` (equal to ``scipy.stats.wasserstein_distance``)
  computed in its quantile form ``∫ |Q_ref - Q_cur| dp``, current value by current value,
  with the integral of ``Q_ref`` read from prefix sums of the (shifted) sorted reference and
  only a local search in the slice of reference ranks each current value stands for:
  ``O(n_cur · log(n_ref / n_cur))`` work, read in memory order, so a small window against a
  large reference is cheap.
* **Histogram methods** (PSI, Jensen–Shannon, Hellinger, L-infinity) take two count vectors
  over the same bins or categories. PSI is ``Σ (q - p)·ln(q / p)`` with proportions that are
  zero replaced by ``PSI_FLOOR`` (1e-4); Jensen–Shannon is the *distance* (square root of
  the divergence) in base 2, in [0, 1], as ``scipy.spatial.distance.jensenshannon(p, q,
  base=2)``; Hellinger is ``sqrt(½ Σ (√p - √q)²)`` in [0, 1]; L-infinity is ``max |p - q|``.
* **chi²** — the contingency test of the 2×K table of reference vs current counts, as
  ``scipy.stats.chi2_contingency`` (Yates' correction when the table is 2×2). Categories
  empty in both rows are left out (scipy would refuse the table).
* **Bins** for numeric columns are reference quantiles: the interior edges are the reference
  values at ranks ``ceil(i·n/k)`` (inverted CDF), duplicates dropped; bins are right-closed and
  the outer two are open-ended, so current values beyond the reference range count in the end
  bins. Discrete data thus keeps one bin per frequent value.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from workbench.monitoring.ranks import (  # re-exported: the kernels' building blocks
    all_distinct,
    fence_of,
    rank_counts,
    ref_counts_at,
    runs,
    searchsorted_fenced,
)

try:  # scipy's scalar Kolmogorov distribution, without rv_continuous's per-call overhead
    from scipy.stats._ksstats import _kolmogn as _scipy_kolmogn
except ImportError:  # pragma: no cover - a scipy that moved it
    _scipy_kolmogn = None

KS_EXACT_MAX_N = 10_000  # scipy.stats.ks_2samp(method="auto") is exact up to this size
PSI_FLOOR = 1e-4


# ----------------------------------------------------------------------------- KS


def ks_statistic(
    ref_sorted: np.ndarray,
    cur_sorted: np.ndarray,
    *,
    ref_distinct: bool | None = None,
    cur_runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ref_at_cur: tuple[np.ndarray, np.ndarray] | None = None,
) -> float:
    """``max |F_ref - F_cur|`` exactly as ``ks_2samp`` computes it (both arrays sorted, no NaN)."""
    n1, n2 = ref_sorted.shape[0], cur_sorted.shape[0]
    if n1 == 0 or n2 == 0:
        raise ValueError("KS needs two non-empty samples")
    u, cur_left, cur_right = cur_runs if cur_runs is not None else runs(cur_sorted)
    if ref_at_cur is None:
        distinct = all_distinct(ref_sorted) if ref_distinct is None else ref_distinct
        ref_at_cur = ref_counts_at(ref_sorted, u, distinct)
    ref_left, ref_right = ref_at_cur
    if cur_left is None and ref_left is ref_right:
        # no ties anywhere: at the j-th current value F_cur steps from j/n2 to (j+1)/n2
        # while F_ref stays at k_j/n1, so one difference array gives both sides
        diff = ref_right / n1
        diff -= np.arange(n2, dtype=np.float64) / n2
        return float(max(diff.max(), 1.0 / n2 - diff.min(), 0.0))
    best = 0.0
    for ref_count, cur_count in zip(ref_at_cur, rank_counts(n2, cur_left, cur_right), strict=True):
        diff = ref_count / n1
        diff -= cur_count / n2
        best = max(best, float(diff.max()), float(-diff.min()))
    return best


@dataclass(frozen=True)
class CutPlan:
    """The reference side of ``ks_statistic_bounded`` for one window size: the cut values and
    the reference counts below and up to each (``#ref < e``, ``#ref <= e``)."""

    n2: int
    edges: np.ndarray
    below: np.ndarray
    up_to: np.ndarray
    piece_low: np.ndarray  # #ref <= e_{k-1} (0 for the first piece): where piece k starts
    piece_high: np.ndarray  # #ref < e_k (n1 for the last piece): where it ends


def cut_plan(
    ref_sorted: np.ndarray,
    n2: int,
    *,
    ref_distinct: bool | None = None,
    ref_fence: np.ndarray | None = None,
    bins: int = 0,
) -> CutPlan | None:
    """Cuts at ``bins`` reference values (default ``min(n1, n2) / 8``, at most 16,384); ``None``
    when the samples are too small for cutting to pay."""
    n1 = ref_sorted.shape[0]
    bins = bins or int(min(max(min(n1, n2) // 8, 16), 16_384))
    if bins < 4 or min(n1, n2) < 4 * bins:
        return None
    ranks = (np.arange(1, bins) * n1) // bins
    distinct = all_distinct(ref_sorted) if ref_distinct is None else ref_distinct
    if distinct:
        edges, below, up_to = ref_sorted[ranks], ranks, ranks + 1
    else:
        edges = np.unique(ref_sorted[ranks])
        fence = fence_of(ref_sorted) if ref_fence is None else ref_fence
        below = searchsorted_fenced(ref_sorted, fence, edges, "left")
        up_to = searchsorted_fenced(ref_sorted, fence, edges, "right")
    zero, end = np.zeros(1, dtype=below.dtype), np.full(1, n1, dtype=below.dtype)
    return CutPlan(
        n2, edges, below, up_to, np.concatenate([zero, up_to]), np.concatenate([below, end])
    )


def ks_statistic_bounded(
    ref_sorted: np.ndarray,
    cur_sorted: np.ndarray,
    *,
    ref_distinct: bool | None = None,
    ref_fence: np.ndarray | None = None,
    bins: int = 0,
    plan: CutPlan | None = None,
) -> float:
    """The KS statistic of two large sorted samples, searching only where the maximum can be.

    The line is cut at reference values (``cut_plan``). At each cut the two ECDFs and their
    left limits are read (by rank for the reference when it has no ties, by a fenced search
    otherwise); those values are attained, so their largest gap is a lower bound of ``D``.
    Inside a piece each ECDF moves only between its values at the piece's ends, which bounds
    the gap there from above; only pieces whose bound beats the lower bound are evaluated
    point by point. The result is ``ks_statistic``'s (the same pooled points are evaluated)
    at a fraction of its cost.
    """
    n1, n2 = ref_sorted.shape[0], cur_sorted.shape[0]
    if n1 == 0 or n2 == 0:
        raise ValueError("KS needs two non-empty samples")
    distinct = all_distinct(ref_sorted) if ref_distinct is None else ref_distinct
    if plan is None or plan.n2 != n2:
        plan = cut_plan(ref_sorted, n2, ref_distinct=distinct, ref_fence=ref_fence, bins=bins)
    if plan is None:
        return ks_statistic(ref_sorted, cur_sorted, ref_distinct=distinct)
    edges, r_lt, r_le = plan.edges, plan.below, plan.up_to
    lo1, hi1 = plan.piece_low, plan.piece_high
    c_lt = np.searchsorted(cur_sorted, edges, side="left")
    c_le = np.searchsorted(cur_sorted, edges, side="right")
    lower = max(
        float(np.abs(r_le / n1 - c_le / n2).max()), float(np.abs(r_lt / n1 - c_lt / n2).max())
    )
    # piece k is [e_{k-1}, e_k): F_ref runs over [lo1, hi1] / n1 there, F_cur over [lo2, hi2] / n2
    lo2 = np.concatenate([np.zeros(1, dtype=c_le.dtype), c_le])
    hi2 = np.concatenate([c_lt, np.full(1, n2, dtype=c_lt.dtype)])
    upper = np.maximum(hi1 / n1 - lo2 / n2, hi2 / n2 - lo1 / n1)
    pieces = np.flatnonzero(upper > lower)
    starts, stops = lo2[pieces], hi2[pieces]  # current values strictly inside each piece
    keep = stops > starts
    starts, stops = starts[keep], stops[keep]
    total = int((stops - starts).sum())
    if total == 0:
        return lower
    if total > n2 // 4:
        return ks_statistic(ref_sorted, cur_sorted, ref_distinct=distinct)
    lengths = stops - starts
    offsets = np.repeat(starts - np.r_[0, np.cumsum(lengths)[:-1]], lengths)
    points = cur_sorted[np.arange(total) + offsets]
    best = lower
    for side in ("right", "left"):
        diff = np.searchsorted(ref_sorted, points, side=side) / n1
        diff -= np.searchsorted(cur_sorted, points, side=side) / n2
        best = max(best, float(diff.max()), float(-diff.min()))
    return best


def _smirnov_log_terms(n: int, x: float, j: np.ndarray) -> np.ndarray:
    """Log of the Birnbaum–Tingey terms ``C(n,j) (1-x-j/n)^(n-j) (x+j/n)^(j-1)``, real ``j``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (
            -math.log(n + 1.0)
            - special.betaln(n - j + 1.0, j + 1.0)
            + (n - j) * np.log1p(-x - j / n)
            + (j - 1.0) * np.log(x + j / n)
        )


def _log_sum(log_terms: np.ndarray, weight: float = 1.0) -> tuple[float, float]:
    peak = float(np.nanmax(log_terms))
    return peak, weight * float(np.nansum(np.exp(log_terms - peak)))


def smirnov_upper(n: int, x: float) -> float:
    """``P(D_n^+ >= x)``, the Birnbaum–Tingey sum of ``scipy.special.smirnov``, in ``O(1)`` terms.

    Small sums are added term by term. For large ``n`` the terms form a smooth bump that is
    thousands of ``j`` wide; a coarse pass finds where it is within ``e^-60`` of its peak and,
    when that window is wide and clear of both ends, the sum is evaluated as the trapezoid rule
    on a 4,000-point grid of real ``j`` (by Poisson summation, a unit-step sum and a fine
    trapezoid rule of a smooth bump both equal its integral to far below double precision).
    Agrees with scipy to about 1e-9 relative; scipy's own sum takes 0.5 s at ``n = 500,000``.
    """
    if 2.0 * n * x * x > 800.0:  # below e^-800 (DKW): underflows, as in scipy
        return 0.0
    jmax = int(math.floor(n * (1.0 - x)))
    if jmax <= 2048:
        j = np.arange(jmax + 1, dtype=np.float64)
        peak, total = _log_sum(_smirnov_log_terms(n, x, j))
        return float(x * math.exp(peak) * total)
    coarse = np.linspace(0.0, float(jmax), 1025)
    lt = _smirnov_log_terms(n, x, coarse)
    keep = np.flatnonzero(lt > np.nanmax(lt) - 60.0)
    lo = float(coarse[max(int(keep[0]) - 1, 0)])
    hi = float(coarse[min(int(keep[-1]) + 1, coarse.shape[0] - 1)])
    if lo > 0.0 and hi < jmax and hi - lo > 2000.0:
        h = (hi - lo) / 4000.0
        peak, total = _log_sum(_smirnov_log_terms(n, x, np.arange(lo, hi + h / 2, h)), h)
    else:
        j = np.arange(math.floor(lo), math.ceil(hi) + 1.0)
        peak, total = _log_sum(_smirnov_log_terms(n, x, j))
    return float(x * math.exp(peak) * total)


def kolmogorov_sf(n: int, x: float) -> float:
    """``scipy.stats.kstwo.sf(x, n)``, with its slow branch (``2·smirnov(n, x)``) made fast.

    The branches follow scipy's Simard–L'Ecuyer selection; where scipy sums the exact
    one-sided Smirnov series over ``n(1-x)`` terms (it takes half a second at ``n=500,000``)
    the sum is windowed (see ``smirnov_upper``); the other branches call scipy.
    """
    if x >= 1.0:
        return 0.0
    if x <= 0.0:
        return 1.0
    t = n * x
    if n <= 140 or t <= 1.0 or t >= n - 1:
        return _kstwo_sf(n, x)
    nxsquared = t * x
    if x < 0.5 and nxsquared >= 370.0:
        return 0.0
    if x >= 0.5 or nxsquared >= 2.2:
        return float(np.clip(2.0 * smirnov_upper(n, x), 0.0, 1.0))
    return _kstwo_sf(n, x)


def _kstwo_sf(n: int, x: float) -> float:
    t = n * x
    if n > 140 and 1.0 < t < n - 1 and x < 0.5 and t * x < 2.2:  # scipy's large-n CDF branch
        if t * x >= 18.0:
            return 0.0
        if n > 100_000 or n * x**1.5 > 1.4:
            return min(max(1.0 - pelz_good_cdf(n, x), 0.0), 1.0)
    if _scipy_kolmogn is not None:
        return float(np.clip(_scipy_kolmogn(n, x, cdf=False), 0.0, 1.0))
    return float(stats.distributions.kstwo.sf(x, n))


_PI2, _PI4, _PI6 = math.pi**2, math.pi**4, math.pi**6
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def pelz_good_cdf(n: int, x: float) -> float:
    """Pelz and Good's (1976) approximation of ``P(D_n <= x)``, in scalar arithmetic.

    The Li-Chien/Korolyuk expansion ``K0(z) + K1(z)/√n + K2(z)/n + K3(z)/n^1.5`` with
    ``z = x√n``, each term written with Jacobi theta functions so that it converges for small
    ``z``; the same terms, in the same order, as scipy's ``kstwo`` uses for large ``n``, at a
    fraction of the cost of evaluating them on numpy scalars.
    """
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    z = math.sqrt(n) * x
    z2 = z * z
    z3, z4, z6 = z2 * z, z2 * z2, z2 * z2 * z2
    qlog = -_PI2 / 8 / z2
    if qlog < -708:
        return 0.0
    q = math.exp(qlog)
    k1a, k1b = -z2, _PI2 / 4
    k2a = 6 * z6 + 2 * z4
    k2b = (2 * z4 - 5 * z2) * _PI2 / 4
    k2c = _PI4 * (1 - 2 * z2) / 16
    k3d = _PI6 * (5 - 30 * z2) / 64
    k3c = _PI4 * (-60 * z2 + 212 * z4) / 16
    k3b = _PI2 * (135 * z4 - 96 * z6) / 4
    k3a = -30 * z6 - 90 * z**8
    s0 = s1 = s2 = s3 = 0.0
    top = math.ceil(16 * z / math.pi)
    for k in range(top, 0, -1):  # Horner over q^(m²), m odd
        m2 = float((2 * k - 1) ** 2)
        m4 = m2 * m2
        power = q ** (8 * k)
        s0 = s0 * power + 1.0
        s1 = s1 * power + (k1a + k1b * m2)
        s2 = s2 * power + (k2a + k2b * m2 + k2c * m4)
        s3 = s3 * power + (k3a + k3b * m2 + k3c * m4 + k3d * m4 * m2)
    scale = q * _SQRT_2PI
    s0, s1 = s0 * scale / z, s1 * scale / (6 * z4)
    s2, s3 = s2 * scale / (72 * z**7), s3 * scale / (6480 * z**10)
    q = math.exp(-_PI2 / 2 / z2)  # the remaining sums over all integers k
    sqrt3z = math.sqrt(3.0) * z
    extra2 = extra3 = 0.0
    for k in range(top, 0, -1):
        k2 = float(k * k)
        power = q**k2
        extra2 += k2 * power
        kpi = math.pi * k
        extra3 += (sqrt3z + kpi) * (sqrt3z - kpi) * k2 * power
    s2 += extra2 * (_PI2 * _SQRT_2PI / (-36 * z3))
    s3 += extra3 * (_PI2 * _SQRT_2PI / (216 * z6))
    root = math.sqrt(n)
    return s0 + s1 / root + s2 / n + s3 / (n * root)


def ks_pvalue(d: float, n1: int, n2: int) -> float:
    """Smirnov's asymptotic two-sided p-value, as ``ks_2samp`` uses beyond the exact sizes."""
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(kolmogorov_sf(int(np.round(en)), d), 0.0, 1.0))


def ks_test(
    ref_sorted: np.ndarray,
    cur_sorted: np.ndarray,
    *,
    n_ref: int | None = None,
    ref_distinct: bool | None = None,
    cur_runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ref_at_cur: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[float, float]:
    """Two-sided two-sample KS: ``(statistic, p_value)`` as ``ks_2samp(method="auto")``.

    ``n_ref`` is the true reference size when ``ref_sorted`` is a quantile sketch of it.
    """
    n1 = ref_sorted.shape[0] if n_ref is None else n_ref
    n2 = cur_sorted.shape[0]
    if max(n1, n2) <= KS_EXACT_MAX_N and n1 == ref_sorted.shape[0]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            res = stats.ks_2samp(ref_sorted, cur_sorted, method="auto")
        return float(res.statistic), float(res.pvalue)
    d = ks_statistic(
        ref_sorted, cur_sorted, ref_distinct=ref_distinct, cur_runs=cur_runs, ref_at_cur=ref_at_cur
    )
    return d, ks_pvalue(d, n1, n2)


# ----------------------------------------------------------------------------- Wasserstein


def prefix_sums(ref_sorted: np.ndarray, shift: float) -> np.ndarray:
    """``P[k] = Σ_{i<k} (ref[i] - shift)``, length ``n + 1`` (the shift keeps sums small)."""
    out = np.empty(ref_sorted.shape[0] + 1, dtype=np.float64)
    out[0] = 0.0
    np.cumsum(ref_sorted - shift, out=out[1:])
    return out


@dataclass(frozen=True)
class QuantilePlan:
    """What the quantile-form Wasserstein reads from the reference for one window size ``n2``.

    It depends only on the reference and ``n2``, so a monitor cutting windows of one size
    computes it once (``NumericProfile.plan``) and each window then reads no reference
    memory except the slices its values fall inside.
    """

    n2: int
    shift: float
    s: np.ndarray  # s_j = j·n1/n2, j = 0..n2
    area: np.ndarray  # A(s_j) = ∫_0^{s_j} (Q_ref - shift), from the prefix sums
    lo: np.ndarray  # ⌊s_j⌋, j < n2
    hi: np.ndarray  # ⌈s_{j+1}⌉ (at most n1), j < n2
    first: np.ndarray  # ref[lo_j]
    last: np.ndarray  # ref[hi_j - 1]


def quantile_plan(
    ref_sorted: np.ndarray, n2: int, shift: float, prefix: np.ndarray
) -> QuantilePlan:
    """The plan of ``wasserstein_sorted`` for windows of ``n2`` values (see ``QuantilePlan``)."""
    n1 = ref_sorted.shape[0]
    scaled = np.arange(n2 + 1, dtype=np.int64) * n1  # s_j · n2, exact
    whole = scaled // n2  # ⌊s_j⌋
    frac = (scaled - whole * n2) / n2  # s_j - ⌊s_j⌋
    area = ref_sorted.take(np.minimum(whole, n1 - 1)) - shift
    area *= frac
    area += prefix.take(whole)
    lo = whole[:-1]
    hi = np.minimum(whole[1:] + (frac[1:] > 0), n1)
    return QuantilePlan(
        n2=n2,
        shift=shift,
        s=whole + frac,
        area=area,
        lo=lo,
        hi=hi,
        first=ref_sorted.take(np.minimum(lo, n1 - 1)),
        last=ref_sorted.take(np.maximum(hi - 1, 0)),
    )


def wasserstein_sorted(
    ref_sorted: np.ndarray,
    cur_sorted: np.ndarray,
    *,
    shift: float | None = None,
    prefix: np.ndarray | None = None,
    plan: QuantilePlan | None = None,
) -> float:
    """Wasserstein-1 distance of two sorted non-empty samples, ``∫ |Q_ref(p) - Q_cur(p)| dp``.

    That equals ``∫ |F_ref - F_cur| dx``. Equal sizes: ``mean |ref[i] - cur[i]|``. Otherwise
    the ``j``-th current value ``c`` holds ``Q_cur`` on ``p ∈ (j/n2, (j+1)/n2]``, which is the
    reference-rank interval ``(s0, s1] = (j·n1/n2, (j+1)·n1/n2]``; with ``A(s) = ∫_0^s Q_ref``
    read from the prefix sums, ``∫ |Q_ref - c| = (A(s1) - A(s0)) - c(s1 - s0) + 2∫ (c -
    Q_ref)⁺`` and the last term needs ``#ref < c`` only inside ``[⌊s0⌋, ⌈s1⌉]``: a search in
    the slice of about ``n1/n2`` reference values that ``c`` stands for, and only when ``c``
    falls inside it. ``plan`` (``quantile_plan``) is what this reads of the reference.
    """
    n1, n2 = ref_sorted.shape[0], cur_sorted.shape[0]
    if n1 == 0 or n2 == 0:
        raise ValueError("Wasserstein needs two non-empty samples")
    if n1 == n2:
        return float(np.mean(np.abs(ref_sorted - cur_sorted)))
    if plan is None or plan.n2 != n2:
        if shift is None or prefix is None:
            shift = float(ref_sorted[n1 // 2])
            prefix = prefix_sums(ref_sorted, shift)
        plan = quantile_plan(ref_sorted, n2, shift, prefix)
    elif prefix is None:
        prefix = prefix_sums(ref_sorted, plan.shift)
    c = cur_sorted - plan.shift
    a0, a1, s0, s1 = plan.area[:-1], plan.area[1:], plan.s[:-1], plan.s[1:]
    local = a1 - a0
    local -= c * (s1 - s0)
    # t = #ref < c, clipped to [lo, hi]: all the positive part needs
    above_all = plan.last < cur_sorted
    t = np.where(above_all, plan.hi, plan.lo)
    inside = np.flatnonzero(~above_all & (plan.first < cur_sorted))
    if inside.size:  # ref[pos] < c <= ref[hi - 1]: binary lifting within the slice
        pos, limit, key = plan.lo[inside], plan.hi[inside], cur_sorted[inside]
        step = 1 << int((limit - pos).max() - 1).bit_length()
        while step:
            ahead = pos + step
            ok = ahead < limit
            ok &= ref_sorted.take(np.minimum(ahead, n1 - 1)) < key
            np.copyto(pos, ahead, where=ok)
            step >>= 1
        t[inside] = pos + 1
    at_t = np.where(t <= s0, a0, a1)
    between = np.flatnonzero((t > s0) & (t < s1))
    if between.size:
        at_t[between] = prefix.take(t[between])
    m = np.clip(t, s0, s1)
    m -= s0
    m *= c
    m -= at_t
    m += a0
    local += 2.0 * m
    return max(float(local.sum()) / n1, 0.0)


# ----------------------------------------------------------------------------- histograms


def quantile_edges(ref_sorted: np.ndarray, bins: int) -> np.ndarray:
    """Interior bin edges: reference values at ranks ``ceil(i·n/bins)``, duplicates dropped."""
    n = ref_sorted.shape[0]
    if n == 0 or bins < 2:
        return np.empty(0, dtype=np.float64)
    ranks = -((-np.arange(1, bins) * n) // bins)  # ceil(i*n/bins), 1-based
    return np.unique(ref_sorted[np.clip(ranks - 1, 0, n - 1)]).astype(np.float64, copy=False)


def bin_counts(sorted_values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Counts of a sorted sample in right-closed bins ``(-inf, e0], (e0, e1], …, (e_last, inf)``."""
    n = sorted_values.shape[0]
    cuts = np.searchsorted(sorted_values, edges, side="right")
    bounds = np.concatenate(([0], cuts, [n]))
    return np.diff(bounds).astype(np.int64)


def _proportions(counts: np.ndarray) -> np.ndarray:
    counts = np.asarray(counts, dtype=np.float64)
    total = counts.sum()
    if total <= 0:
        raise ValueError("a histogram with no observations has no proportions")
    return counts / total


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray, floor: float = PSI_FLOOR) -> float:
    """Population stability index over the same bins; zero proportions become ``floor``."""
    p = _proportions(ref_counts)
    q = _proportions(cur_counts)
    p = np.where(p == 0, floor, p)
    q = np.where(q == 0, floor, q)
    return float(np.sum((q - p) * np.log(q / p)))


def psi_band(value: float) -> str:
    """PSI band: ``none`` below 0.1, ``moderate`` up to 0.25, ``major`` above."""
    if value < 0.1:
        return "none"
    return "moderate" if value <= 0.25 else "major"


def js_distance(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Jensen–Shannon distance in base 2 (in [0, 1]) of two count vectors."""
    p = _proportions(ref_counts)
    q = _proportions(cur_counts)
    m = (p + q) / 2.0
    div = (np.sum(special.rel_entr(p, m)) + np.sum(special.rel_entr(q, m))) / 2.0
    return float(np.sqrt(max(div / math.log(2.0), 0.0)))


def hellinger(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """Hellinger distance ``sqrt(½ Σ (√p − √q)²)`` in [0, 1]."""
    p = _proportions(ref_counts)
    q = _proportions(cur_counts)
    return float(min(np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2)), 1.0))


def linf(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float:
    """L-infinity distance ``max |p − q|`` of two count vectors."""
    return float(np.max(np.abs(_proportions(ref_counts) - _proportions(cur_counts))))


def chi2_test(ref_counts: np.ndarray, cur_counts: np.ndarray) -> tuple[float, float, int]:
    """``(statistic, p_value, dof)`` of the 2×K contingency test, as ``chi2_contingency``."""
    table = np.vstack([np.asarray(ref_counts, np.float64), np.asarray(cur_counts, np.float64)])
    table = table[:, table.sum(axis=0) > 0]
    rows = table.sum(axis=1)
    if table.shape[1] == 0 or np.any(rows == 0):
        raise ValueError("chi² needs observations in both samples")
    total = rows.sum()
    expected = np.outer(rows, table.sum(axis=0)) / total
    dof = table.shape[1] - 1
    if dof == 0:
        return 0.0, 1.0, 0
    observed = table
    if dof == 1:  # Yates' continuity correction, capped by the difference (as scipy)
        diff = expected - observed
        observed = observed + np.minimum(0.5, np.abs(diff)) * np.sign(diff)
    stat = float(np.sum((observed - expected) ** 2 / expected))
    return stat, float(special.chdtrc(dof, stat)), dof  # chi2.sf without its overhead
