"""Ranks of sorted values in a sorted reference: the searches every drift kernel rests on.

``runs`` splits a sorted sample into its distinct values with the counts below and up to
each; ``ref_counts_at`` reads ``#ref < x`` and ``#ref <= x`` at sorted points, choosing the
search by size: a *fenced* level-synchronous search for few points in a large reference
(its cache misses overlap), a block-bounded ``np.searchsorted`` for many points, plain
``np.searchsorted`` in between. All return exactly what ``np.searchsorted`` would.
"""

from __future__ import annotations

import numpy as np


def runs(
    sorted_values: np.ndarray,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Distinct values of a sorted array, with ``#values < u`` and ``#values <= u``.

    When every value is distinct the counts are just ``i`` and ``i + 1``; they are then
    returned as ``None`` (callers use the arithmetic) to save two passes over the data.
    """
    n = sorted_values.shape[0]
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return sorted_values[:0], empty, empty
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=change[1:])
    if change.all():
        return sorted_values, None, None
    starts = np.flatnonzero(change)
    below_or_equal = np.empty_like(starts)
    below_or_equal[:-1] = starts[1:]
    below_or_equal[-1] = n
    return sorted_values[starts], starts, below_or_equal


def rank_counts(
    n2: int, cur_left: np.ndarray | None, cur_right: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray]:
    """The counts ``runs`` left implicit (``None`` for all-distinct samples), made explicit."""
    if cur_left is None or cur_right is None:
        left = np.arange(n2, dtype=np.int64)
        return left, left + 1
    return cur_left, cur_right


FENCE_STRIDE = 16


def fence_of(ref_sorted: np.ndarray) -> np.ndarray:
    """Every ``FENCE_STRIDE``-th reference value: a small index that stays in cache."""
    return ref_sorted[::FENCE_STRIDE].copy()


def searchsorted_fenced(
    ref_sorted: np.ndarray, fence: np.ndarray, keys: np.ndarray, side: str = "left"
) -> np.ndarray:
    """``np.searchsorted(ref_sorted, keys, side)`` for few keys in a large array.

    The fence narrows each key to ``FENCE_STRIDE`` values; a level-synchronous binary search
    over all keys at once finishes it, so the cache misses of the keys overlap instead of
    queueing behind one another (three times faster for 10,000 keys in 1,000,000 values).
    """
    n = ref_sorted.shape[0]
    lo = np.searchsorted(fence, keys, side=side)
    lo *= FENCE_STRIDE
    lo -= FENCE_STRIDE - 1
    np.maximum(lo, 0, out=lo)  # the answer is in [lo, lo + FENCE_STRIDE - 1]
    before = np.less if side == "left" else np.less_equal
    probe = np.empty_like(lo)
    step = FENCE_STRIDE // 2
    while step:
        np.add(lo, step - 1, out=probe)
        ahead = before(ref_sorted.take(probe, mode="clip"), keys)
        np.add(lo, step, out=lo, where=ahead)
        step //= 2
    np.minimum(lo, n, out=lo)
    return lo


DENSE_BLOCK = 4096


def searchsorted_dense(ref_sorted: np.ndarray, keys: np.ndarray, side: str = "left") -> np.ndarray:
    """``np.searchsorted`` for many sorted keys: block by block over narrowed ranges.

    numpy restarts each binary search at the end of the array; bounding every block of
    4,096 keys by the positions of its first and last key keeps the searches short (about
    a quarter faster for a million keys in a million values).
    """
    n_keys = keys.shape[0]
    if n_keys < 16 * DENSE_BLOCK:
        return np.searchsorted(ref_sorted, keys, side=side)
    starts = np.arange(0, n_keys, DENSE_BLOCK)
    lows = np.searchsorted(ref_sorted, keys[starts], side=side).tolist()
    highs = np.searchsorted(
        ref_sorted, keys[np.minimum(starts + DENSE_BLOCK, n_keys) - 1], side=side
    ).tolist()
    out = np.empty(n_keys, dtype=np.intp)
    for start, low, high in zip(starts.tolist(), lows, highs, strict=True):
        stop = start + DENSE_BLOCK
        block = out[start:stop]
        block[:] = np.searchsorted(ref_sorted[low : high + 1], keys[start:stop], side=side)
        block += low
    return out


def tie_index(ref_sorted: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """For a reference with many ties: its distinct values and ``#ref < value`` (plus ``n``).

    Searching a few thousand distinct values instead of a million tied ones keeps the
    search in cache; ``None`` when the values are mostly distinct (no gain).
    """
    n = ref_sorted.shape[0]
    distinct, below, _ = runs(ref_sorted)
    if below is None or distinct.shape[0] * 4 > n:
        return None
    cumulative = np.empty(distinct.shape[0] + 1, dtype=np.int64)
    cumulative[:-1] = below
    cumulative[-1] = n
    return distinct, cumulative


def ref_counts_at(
    ref_sorted: np.ndarray,
    points: np.ndarray,
    ref_distinct: bool,
    fence: np.ndarray | None = None,
    ties: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(#ref < x, #ref <= x)`` for sorted ``points``; one search when ref has no ties.

    ``ties`` is ``tie_index(ref_sorted)`` when the reference is mostly ties.
    """
    n1 = ref_sorted.shape[0]
    if ties is not None and not ref_distinct:
        distinct, cumulative = ties
        return (
            cumulative[np.searchsorted(distinct, points, side="left")],
            cumulative[np.searchsorted(distinct, points, side="right")],
        )
    if fence is not None and points.shape[0] * 32 <= n1:

        def search(side: str) -> np.ndarray:
            return searchsorted_fenced(ref_sorted, fence, points, side)
    else:

        def search(side: str) -> np.ndarray:
            return searchsorted_dense(ref_sorted, points, side)

    left = search("left")
    if not ref_distinct:
        return left, search("right")
    if n1 == 0:
        return left, left
    probe = np.minimum(left, n1 - 1)
    equal = ref_sorted[probe] == points
    if not equal.any():
        return left, left  # no current value is a reference value: the same array twice
    right = equal.view(np.int8).astype(left.dtype)
    right += left
    return left, right


def all_distinct(sorted_values: np.ndarray) -> bool:
    """Whether a sorted array has no repeated value."""
    if sorted_values.shape[0] < 2:
        return True
    return not bool(np.any(sorted_values[1:] == sorted_values[:-1]))
