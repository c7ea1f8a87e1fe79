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
  computed interval by interval between consecutive current values, with the integral of
  ``F_ref`` read from prefix sums of the (shifted) sorted reference: again
  ``O(n_cur log n_ref)``, so a small window against a large reference is cheap.
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


def ks_statistic_bounded(
    ref_sorted: np.ndarray,
    cur_sorted: np.ndarray,
    *,
    ref_distinct: bool | None = None,
    ref_fence: np.ndarray | None = None,
    bins: int = 0,
) -> float:
    """The KS statistic of two large sorted samples, searching only where the maximum can be.

    The line is cut at ``bins`` reference values (default ``min(n1, n2) / 64``, at most
    16,384). At each cut the two ECDFs and their left limits are read (by rank for the
    reference when it has no ties, by a fenced search otherwise); those values are attained,
    so their largest gap is a lower bound of ``D``. Inside a piece each ECDF moves only
    between its values at the piece's ends, which bounds the gap there from above; only
    pieces whose bound beats the lower bound are evaluated point by point. The result is
    ``ks_statistic``'s (the same pooled points are evaluated) at a fraction of its cost.
    """
    n1, n2 = ref_sorted.shape[0], cur_sorted.shape[0]
    if n1 == 0 or n2 == 0:
        raise ValueError("KS needs two non-empty samples")
    bins = bins or int(min(max(min(n1, n2) // 64, 16), 16_384))
    if bins < 4 or min(n1, n2) < 4 * bins:
        return ks_statistic(ref_sorted, cur_sorted, ref_distinct=ref_distinct)
    ranks = (np.arange(1, bins) * n1) // bins
    distinct = all_distinct(ref_sorted) if ref_distinct is None else ref_distinct
    if distinct:
        edges = ref_sorted[ranks]
        r_lt, r_le = ranks, ranks + 1
    else:
        edges = np.unique(ref_sorted[ranks])
        fence = fence_of(ref_sorted) if ref_fence is None else ref_fence
        r_lt = searchsorted_fenced(ref_sorted, fence, edges, "left")
        r_le = searchsorted_fenced(ref_sorted, fence, edges, "right")
    cur_fence = fence_of(cur_sorted)
    c_lt = searchsorted_fenced(cur_sorted, cur_fence, edges, "left")
    c_le = searchsorted_fenced(cur_sorted, cur_fence, edges, "right")
    lower = max(
        float(np.abs(r_le / n1 - c_le / n2).max()), float(np.abs(r_lt / n1 - c_lt / n2).max())
    )
    # piece k is [e_{k-1}, e_k): F_ref runs over [lo1, hi1] / n1 there, F_cur over [lo2, hi2] / n2
    lo1, hi1 = np.r_[0, r_le], np.r_[r_lt, n1]
    lo2, hi2 = np.r_[0, c_le], np.r_[c_lt, n2]
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
    if _scipy_kolmogn is not None:
        return float(np.clip(_scipy_kolmogn(n, x, cdf=False), 0.0, 1.0))
    return float(stats.distributions.kstwo.sf(x, n))


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


def wasserstein_sorted(
    ref_sorted: np.ndarray,
    cur_sorted: np.ndarray,
    *,
    shift: float | None = None,
    prefix: np.ndarray | None = None,
    cur_runs: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
    ref_right: np.ndarray | None = None,
) -> float:
    """Wasserstein-1 distance ``∫ |F_ref - F_cur| dx`` of two sorted non-empty samples.

    Equal sizes use the quantile form ``mean |ref[i] - cur[i]|``. Otherwise, between two
    consecutive distinct current values ``a < b`` (where ``F_cur = c``) the integral is
    ``c(2t - a - b) + G(a) + G(b) - 2G(t)`` with ``t`` the point in ``[a, b]`` where ``F_ref``
    reaches ``c`` and ``G(x) = ∫_{-inf}^{x} F_ref``, read from the prefix sums.
    """
    n1, n2 = ref_sorted.shape[0], cur_sorted.shape[0]
    if n1 == 0 or n2 == 0:
        raise ValueError("Wasserstein needs two non-empty samples")
    if n1 == n2:
        return float(np.mean(np.abs(ref_sorted - cur_sorted)))
    if shift is None or prefix is None:
        shift = float(ref_sorted[n1 // 2])
        prefix = prefix_sums(ref_sorted, shift)
    u, cur_left, cur_right = cur_runs if cur_runs is not None else runs(cur_sorted)
    if cur_right is None:
        cur_right = rank_counts(n2, cur_left, cur_right)[1]
    k = ref_right if ref_right is not None else np.searchsorted(ref_sorted, u, side="right")
    x = u - shift
    g = k * x
    g -= prefix[k]
    g /= n1
    total = float(g[0])  # left of the first current value F_cur = 0
    if u.shape[0] > 1:
        cnt = cur_right[:-1]
        c = cnt / n2
        crossing = cnt * float(n1)  # exact below 2**53, so the ceiling is exact
        crossing /= n2
        np.ceil(crossing, out=crossing)
        m = crossing.astype(np.intp)  # F_ref(x) >= c  <=>  x >= ref[m - 1]
        del crossing
        kt = np.maximum(m, k[:-1])
        np.minimum(kt, k[1:], out=kt)
        m -= 1
        t = ref_sorted[m]
        del m
        t -= shift
        a, b = x[:-1], x[1:]
        np.maximum(t, a, out=t)
        np.minimum(t, b, out=t)
        gt = kt * t
        gt -= prefix[kt]
        gt *= 2.0 / n1
        piece = g[:-1] + g[1:]
        piece -= gt
        t *= 2.0
        t -= a
        t -= b
        t *= c
        piece += t
        total += float(piece.sum())
    top = float(ref_sorted[-1]) - shift
    last = float(x[-1])
    if top > last:  # right of the last current value F_cur = 1
        g_top = (n1 * top - float(prefix[n1])) / n1
        total += (top - last) - (g_top - float(g[-1]))
    return max(total, 0.0)


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
    return stat, float(stats.chi2.sf(stat, dof)), dof
