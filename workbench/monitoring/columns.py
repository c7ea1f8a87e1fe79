"""Column kinds and the conversion of one pandas column into what the drift kernels read.

Kind rules (``detect_kind``), first match wins; ``kinds={column: kind}`` overrides them:

1. bool, pandas ``boolean`` → ``boolean``;
2. datetime, timedelta, period, interval and complex columns → not checked (``None``);
3. integer columns whose values are all 0 or 1 → ``boolean``; other int/float → ``numeric``;
4. ``category`` dtype → ``categorical``;
5. object/string columns: all values bool → ``boolean``; at least 95% of a sample of values
   parse as numbers → ``numeric`` (the rest are reported as ``non_numeric_values``);
   otherwise ``categorical``.

Kinds are ``numeric``, ``categorical`` and ``boolean``; ``ignore`` in ``kinds`` leaves a
column out.

Id-like columns (``id_like``) are keys, not features, and are left out of drift unless asked
for: a column named like an id (``id``, ``row_id``, ``uuid``, ``key``, ``…_id``, ``id_…``)
whose integer or text values are all distinct, or a text column of at least
``ID_MIN_ROWS`` values that are all distinct (every current value would be "unseen"). Missing values are NaN/None/NA; for numeric columns ±inf count as missing too
(and are reported as ``infinite_values``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError

KINDS = ("numeric", "categorical", "boolean")
_NUMERIC_SHARE = 0.95
_SAMPLE = 1000


def _is_unsupported(dtype: object) -> bool:
    return bool(
        pd.api.types.is_datetime64_any_dtype(dtype)
        or pd.api.types.is_timedelta64_dtype(dtype)
        or isinstance(dtype, pd.PeriodDtype | pd.IntervalDtype)
        or pd.api.types.is_complex_dtype(dtype)
    )


def detect_kind(series: pd.Series) -> str | None:
    """The kind of a column by the module's rules; ``None`` for a column that is not checked."""
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if _is_unsupported(dtype):
        return None
    if isinstance(dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_integer_dtype(dtype):
        values = (series if isinstance(dtype, np.dtype) else series.dropna()).to_numpy()
        if values.size and values.min() >= 0 and values.max() <= 1:
            return "boolean"
        return "numeric"
    if pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    head = series.iloc[: 4 * _SAMPLE].dropna()
    sample = head.iloc[:_SAMPLE]
    if len(sample) == 0:
        sample = series.dropna().iloc[:_SAMPLE]
        if len(sample) == 0:
            return "categorical"
    if all(isinstance(v, bool | np.bool_) for v in sample):
        values = series.dropna()
        if all(isinstance(v, bool | np.bool_) for v in values):
            return "boolean"
    parsed = pd.to_numeric(sample, errors="coerce")
    if parsed.notna().mean() >= _NUMERIC_SHARE:
        return "numeric"
    return "categorical"


ID_NAME = re.compile(r"^(?:id|row_?id|uuid|guid|key|index)$|(?:_id|_uuid|_key)$|^id_", re.IGNORECASE)
ID_MIN_ROWS = 20


def id_like(name: str, series: pd.Series, kind: str) -> str | None:
    """Why ``series`` is an id-like column (a key, not a feature), or ``None`` when it is not."""
    dtype = series.dtype
    text = kind == "categorical" and not isinstance(dtype, pd.CategoricalDtype)
    integer = pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if not (text or integer):
        return None
    values = series.dropna()
    if len(values) < 2 or not values.is_unique:
        return None
    if ID_NAME.search(str(name)):
        return "id-like: named like an id and every value is distinct"
    if text and len(values) >= ID_MIN_ROWS:
        return "id-like: every text value is distinct (a key, not a category)"
    return None


@dataclass(frozen=True)
class ColumnChoice:
    """Which columns a caller declares as ids, excludes, or keeps although they look like ids."""

    id_columns: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = ()

    @classmethod
    def of(cls, id_columns: Any = None, exclude: Any = None, include: Any = None) -> ColumnChoice:
        def names(value: Any) -> tuple[str, ...]:
            if value is None:
                return ()
            return (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)

        choice = cls(names(id_columns), names(exclude), names(include))
        both = sorted(set(choice.include) & (set(choice.exclude) | set(choice.id_columns)))
        if both:
            raise InvalidInputError(f"column(s) {', '.join(both)} both included and excluded",
                                    hint="name each column in one list only")
        return choice

    def declared(self) -> dict[str, str]:
        out = {name: "declared an id column" for name in self.id_columns}
        out.update({name: "excluded as asked" for name in self.exclude})
        return out

    def check_known(self, names: Any, where: str) -> None:
        unknown = sorted(set(self.id_columns + self.exclude + self.include) - set(names))
        if unknown:
            raise InvalidInputError(f"no column {', '.join(repr(u) for u in unknown)} in the {where}",
                                    hint=f"its columns: {', '.join(list(map(str, names))[:12])}")


def check_kind(name: str, kind: str) -> str:
    if kind not in (*KINDS, "ignore"):
        raise InvalidInputError(
            f"unknown column kind {kind!r}",
            where=f"column {name!r}",
            hint=f"use one of {', '.join((*KINDS, 'ignore'))}",
        )
    return kind


@dataclass(frozen=True)
class NumericColumn:
    """A numeric column, sorted: finite values first (``values``), then counts of the rest."""

    values: np.ndarray  # sorted finite float64 values
    n_rows: int
    n_missing: int  # NaN/None plus ±inf plus non-numeric
    n_infinite: int
    n_non_numeric: int


def _float_array(series: pd.Series) -> tuple[np.ndarray, int]:
    """float64 values (NaN for missing) and the count of values that are not numbers."""
    dtype = series.dtype
    if dtype == np.float64:
        return series.to_numpy(), 0
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        if isinstance(dtype, np.dtype):
            return series.to_numpy(dtype=np.float64), 0
        return series.to_numpy(dtype=np.float64, na_value=np.nan), 0
    if isinstance(dtype, pd.CategoricalDtype):
        series = series.astype(object)
    was_missing = series.isna()
    parsed = pd.to_numeric(series.astype(object), errors="coerce")
    parsed = parsed.astype(np.float64) if parsed.dtype != np.float64 else parsed
    non_numeric = int((parsed.isna() & ~was_missing).sum())
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan), non_numeric


def numeric_column(series: pd.Series) -> NumericColumn:
    """Sort a column once; missing, infinite and non-numeric values are counted and left out."""
    raw, non_numeric = _float_array(series)
    ordered = np.sort(raw)  # NaN sorts last, -inf first, +inf just before NaN
    n = ordered.shape[0]
    lo = int(np.searchsorted(ordered, -np.inf, side="right"))
    hi = int(np.searchsorted(ordered, np.inf, side="left"))
    below_nan = int(np.searchsorted(ordered, np.inf, side="right"))
    n_inf = lo + (below_nan - hi)
    values = ordered[lo:hi] if (lo or hi != n) else ordered
    return NumericColumn(
        values=values,
        n_rows=n,
        n_missing=n - (hi - lo),
        n_infinite=n_inf,
        n_non_numeric=non_numeric,
    )


@dataclass(frozen=True)
class CategoryCounts:
    """Counts of a column's categories: ``codes_counts[i]`` for ``uniques[i]``."""

    uniques: list
    counts: np.ndarray
    n_rows: int
    n_missing: int


def _plain(value: object) -> object:
    if isinstance(value, np.generic):
        return value.item()
    return value


def category_counts(series: pd.Series, kind: str = "categorical") -> CategoryCounts:
    """Distinct non-missing values of a column with their counts (one factorize pass)."""
    n = len(series)
    dtype = series.dtype
    if kind == "boolean" and not pd.api.types.is_bool_dtype(dtype):
        series = _as_boolean(series)
        dtype = series.dtype
    if dtype == np.bool_:
        values = series.to_numpy()
        ones = int(np.count_nonzero(values))
        pairs = [(v, c) for v, c in ((False, n - ones), (True, ones)) if c]
        return CategoryCounts(
            [v for v, _ in pairs], np.array([c for _, c in pairs], np.int64), n, 0
        )
    if isinstance(dtype, pd.CategoricalDtype):
        codes = series.cat.codes.to_numpy()
        uniques = [_plain(v) for v in series.cat.categories]
    else:
        codes, index = pd.factorize(series, use_na_sentinel=True)
        uniques = [_plain(v) for v in index]
    counts = np.bincount(codes.astype(np.intp) + 1, minlength=len(uniques) + 1)
    missing = int(counts[0])
    counts = counts[1:].astype(np.int64)
    present = counts > 0
    if not present.all():
        uniques = [u for u, keep in zip(uniques, present, strict=True) if keep]
        counts = counts[present]
    return CategoryCounts(uniques, counts, n, missing)


def _as_boolean(series: pd.Series) -> pd.Series:
    """Booleans from bool/0-1/'true'/'false' values; anything else is left as it is."""

    def convert(value: object) -> object:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return value
        if isinstance(value, bool | np.bool_):
            return bool(value)
        if isinstance(value, int | np.integer | float | np.floating) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return value

    if pd.api.types.is_numeric_dtype(series.dtype) and isinstance(series.dtype, np.dtype):
        values = series.to_numpy()
        if np.isin(values, (0, 1)).all():
            return pd.Series(values.astype(bool), index=series.index, name=series.name)
    mapping = {u: convert(u) for u in pd.unique(series.dropna())}
    return series.map(mapping)
