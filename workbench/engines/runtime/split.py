"""The one train/test split every step agrees on, without coordination.

``split_mask(row_ids, test_fraction, seed)`` decides each row by a hash of its ``row_id``
alone (SplitMix64 finaliser over ``row_id + seed · golden ratio``), so training and
evaluation, in different processes or on different hosts, put the same rows on the same side;
a row keeps its side when other rows are added or removed, and the test share converges to
``test_fraction``.

Rules: pure numpy on uint64 (wrap-around multiplication is the point, not an accident); the
same ids and seed give the same mask on every platform.
"""

from __future__ import annotations

import numpy as np

from workbench.errors import InvalidInputError

__all__ = ["TEST_FRACTION", "split_mask"]

TEST_FRACTION = 0.2

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def split_mask(
    row_ids: np.ndarray | list[int], test_fraction: float = TEST_FRACTION, seed: int = 0
) -> np.ndarray:
    """A boolean array, ``True`` for the test rows, one entry per row id."""
    if not 0.0 <= float(test_fraction) <= 1.0:
        raise InvalidInputError(f"test_fraction must be in [0, 1], got {test_fraction!r}")
    ids = np.asarray(row_ids)
    if ids.dtype.kind not in "iub":
        raise InvalidInputError(f"row ids must be integers, got dtype {ids.dtype}")
    with np.errstate(over="ignore"):
        keyed = ids.astype(np.int64).view(np.uint64) + _GOLDEN * np.uint64(seed % 2**64)
        unit = (_mix(keyed) >> np.uint64(11)).astype(np.float64) / float(2**53)
    return unit < float(test_fraction)
