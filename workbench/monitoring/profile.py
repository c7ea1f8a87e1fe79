"""The reference profile: what drift is measured against, fitted once and persisted.

A ``ReferenceProfile`` holds, per column (kind rules in ``columns.py``):

* numeric — the sorted finite reference values (float64; or, with ``sketch_size``, that many
  evenly spaced order statistics of them), mean, population std, min, max, missing and
  infinite counts, and two sets of reference-quantile bins with their reference counts:
  ``psi_bins`` (10) for PSI and ``fine_bins`` (100) for Jensen–Shannon, Hellinger and
  L-infinity on numeric data;
* categorical / boolean — each category with its count, and the missing count.

Columns left out of the profile are listed with the reason: ``skipped`` (unsupported type,
``ignore`` kind) and ``excluded`` — id-like columns (``columns.id_like``) and the columns a
caller declares as ids (``id_columns``) or excludes (``exclude``); ``include`` keeps a column
that would be taken for an id.

Profiles are plain data: ``to_bytes()`` writes one ``.npz`` (numpy arrays plus a JSON
header, no pickle) that the caller stores as a content-addressed artifact; ``from_bytes``
reads it back. Category labels are kept as str/int/float/bool; others become ``str``.
Nothing here touches the store.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError, UnusableInputError
from workbench.monitoring import univariate as uv
from workbench.monitoring.columns import (
    ColumnChoice,
    category_counts,
    check_kind,
    detect_kind,
    id_like,
    numeric_column,
)
from workbench.monitoring.ranks import tie_index

FORMAT = "workbench.reference-profile/1"
PARALLEL_MIN_ROWS = 2_000
PLANS_KEPT = 8  # window sizes whose reference plans a numeric column keeps
_PLANS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ProfileSettings:
    psi_bins: int = 10
    fine_bins: int = 100
    sketch_size: int | None = None  # keep at most this many reference values per column

    def __post_init__(self) -> None:
        if self.psi_bins < 2 or self.fine_bins < 2:
            raise InvalidInputError("bins must be at least 2", hint="psi_bins=10, fine_bins=100")
        if self.sketch_size is not None and self.sketch_size < 100:
            raise InvalidInputError("sketch_size must be at least 100 values")


@dataclass(frozen=True, eq=False)
class NumericProfile:
    name: str
    dtype: str
    n_rows: int
    n_missing: int
    n_infinite: int
    n_non_numeric: int
    values: np.ndarray  # sorted finite values, or a sketch of them
    n_values: int  # how many finite values the reference had
    mean: float
    std: float
    min: float
    max: float
    psi_edges: np.ndarray
    psi_counts: np.ndarray
    fine_edges: np.ndarray
    fine_counts: np.ndarray
    distinct: bool
    _cache: dict = field(default_factory=dict, repr=False)

    kind = "numeric"

    @property
    def missing_rate(self) -> float:
        return self.n_missing / self.n_rows if self.n_rows else 0.0

    @property
    def is_sketch(self) -> bool:
        return self.values.shape[0] != self.n_values

    def fence(self) -> np.ndarray:
        """A cache-sized index of the sorted values (for searching small windows)."""
        cached = self._cache.get("fence")
        if cached is None:
            cached = self._cache["fence"] = uv.fence_of(self.values)
        return cached

    def ties(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The distinct values and their ranks when the values are mostly ties, else None."""
        if self.distinct:
            return None
        if "ties" not in self._cache:
            self._cache["ties"] = tie_index(self.values)
        return self._cache["ties"]

    def plan(self, kind: str, n2: int) -> Any:
        """What the ``kind`` kernel (``"quantile"`` for Wasserstein, ``"cuts"`` for bounded KS)
        reads of the reference for windows of ``n2`` values, kept for the last few sizes: a
        monitor cutting windows of one size computes it once."""
        plans: dict = self._cache.setdefault("plans", {})
        key = (kind, int(n2))
        found = plans.get(key)
        if found is None:
            if kind == "quantile":
                shift, prefix = self.prefix()
                found = uv.quantile_plan(self.values, n2, shift, prefix)
            else:
                found = uv.cut_plan(
                    self.values, n2, ref_distinct=self.distinct, ref_fence=self.fence()
                )
                found = False if found is None else found
            with _PLANS_LOCK:  # monitors in several threads may share a profile
                while len(plans) >= PLANS_KEPT:
                    plans.pop(next(iter(plans)), None)
                plans[key] = found
        return found or None

    def prefix(self) -> tuple[float, np.ndarray]:
        """Shift and prefix sums of the sorted values (for Wasserstein), computed once."""
        cached = self._cache.get("prefix")
        if cached is None:
            shift = float(self.values[self.values.shape[0] // 2])
            cached = (shift, uv.prefix_sums(self.values, shift))
            self._cache["prefix"] = cached
        return cached


@dataclass(frozen=True, eq=False)
class CategoricalProfile:
    name: str
    kind: str  # "categorical" or "boolean"
    dtype: str
    n_rows: int
    n_missing: int
    categories: tuple
    counts: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def missing_rate(self) -> float:
        return self.n_missing / self.n_rows if self.n_rows else 0.0

    @property
    def n_values(self) -> int:
        return int(self.counts.sum())

    @property
    def index(self) -> pd.Index:
        cached = self._cache.get("index")
        if cached is None:
            cached = pd.Index(list(self.categories), dtype=object)
            self._cache["index"] = cached
        return cached


ColumnProfile = NumericProfile | CategoricalProfile


@dataclass(frozen=True, eq=False)
class ReferenceProfile:
    columns: dict[str, ColumnProfile]
    n_rows: int
    settings: ProfileSettings = ProfileSettings()
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it is not profiled
    created_ms: int = 0
    excluded: dict[str, str] = field(default_factory=dict)  # column -> why it is left out of drift

    @property
    def column_names(self) -> list[str]:
        return list(self.columns)

    def summary(self) -> list[dict[str, Any]]:
        """One JSON-safe row per column: kind, counts, missing rate, range or categories."""
        rows = []
        for name, col in self.columns.items():
            row: dict[str, Any] = {
                "column": name,
                "kind": col.kind,
                "n_rows": col.n_rows,
                "missing_rate": col.missing_rate,
            }
            if isinstance(col, NumericProfile):
                row.update(mean=col.mean, std=col.std, min=col.min, max=col.max)
            else:
                row.update(n_categories=len(col.categories))
            rows.append(row)
        return rows

    # --------------------------------------------------------------- persistence
    def to_bytes(self) -> bytes:
        arrays: dict[str, np.ndarray] = {}
        header: dict[str, Any] = {
            "format": FORMAT,
            "n_rows": self.n_rows,
            "created_ms": self.created_ms,
            "settings": {
                "psi_bins": self.settings.psi_bins,
                "fine_bins": self.settings.fine_bins,
                "sketch_size": self.settings.sketch_size,
            },
            "skipped": self.skipped,
            "excluded": self.excluded,
            "columns": [],
        }
        for i, col in enumerate(self.columns.values()):
            if isinstance(col, NumericProfile):
                meta = {
                    "name": col.name,
                    "kind": "numeric",
                    "dtype": col.dtype,
                    "n_rows": col.n_rows,
                    "n_missing": col.n_missing,
                    "n_infinite": col.n_infinite,
                    "n_non_numeric": col.n_non_numeric,
                    "n_values": col.n_values,
                    "mean": col.mean,
                    "std": col.std,
                    "min": col.min,
                    "max": col.max,
                    "distinct": col.distinct,
                }
                for key in ("values", "psi_edges", "psi_counts", "fine_edges", "fine_counts"):
                    arrays[f"c{i}.{key}"] = getattr(col, key)
            else:
                meta = {
                    "name": col.name,
                    "kind": col.kind,
                    "dtype": col.dtype,
                    "n_rows": col.n_rows,
                    "n_missing": col.n_missing,
                    "categories": [_json_label(c) for c in col.categories],
                }
                arrays[f"c{i}.counts"] = col.counts
            header["columns"].append(meta)
        arrays["header"] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, where: str = "reference profile") -> ReferenceProfile:
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as npz:
                header = json.loads(bytes(npz["header"]).decode("utf-8"))
                if header.get("format") != FORMAT:
                    raise ValueError(f"unknown format {header.get('format')!r}")
                columns: dict[str, ColumnProfile] = {}
                for i, meta in enumerate(header["columns"]):
                    if meta["kind"] == "numeric":
                        extra = {k: npz[f"c{i}.{k}"] for k in _NUMERIC_ARRAYS}
                        columns[meta["name"]] = NumericProfile(
                            **{k: v for k, v in meta.items() if k != "kind"}, **extra
                        )
                    else:
                        columns[meta["name"]] = CategoricalProfile(
                            name=meta["name"],
                            kind=meta["kind"],
                            dtype=meta["dtype"],
                            n_rows=meta["n_rows"],
                            n_missing=meta["n_missing"],
                            categories=tuple(meta["categories"]),
                            counts=npz[f"c{i}.counts"],
                        )
        except (ValueError, KeyError, TypeError, OSError, json.JSONDecodeError) as exc:
            raise UnusableInputError(
                f"not a readable reference profile: {exc}",
                where=where,
                hint="fit it again with workbench.monitoring.fit_profile",
            ) from None
        return cls(
            columns=columns,
            n_rows=int(header["n_rows"]),
            settings=ProfileSettings(**header["settings"]),
            skipped=dict(header.get("skipped", {})),
            created_ms=int(header.get("created_ms", 0)),
            excluded=dict(header.get("excluded", {})),
        )

    def save(self, path: str | os.PathLike[str]) -> Path:
        target = Path(path)
        target.write_bytes(self.to_bytes())
        return target

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> ReferenceProfile:
        source = Path(path)
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise UnusableInputError(f"cannot read: {exc.strerror}", where=str(source)) from None
        return cls.from_bytes(data, where=str(source))


_NUMERIC_ARRAYS = ("values", "psi_edges", "psi_counts", "fine_edges", "fine_counts")


def _json_label(value: object) -> object:
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


# ------------------------------------------------------------------------------- fitting


def column_labels(frame: pd.DataFrame, where: str) -> dict[str, Any]:
    """``{str(label): label}`` for a frame's columns; duplicate names are an error."""
    labels: dict[str, Any] = {}
    for label in frame.columns:
        name = str(label)
        if name in labels:
            raise InvalidInputError(
                f"column {name!r} appears more than once", where=where, hint="rename it"
            )
        labels[name] = label
    return labels


def fit_numeric(name: str, series: pd.Series, settings: ProfileSettings) -> NumericProfile:
    col = numeric_column(series)
    values = col.values
    n = values.shape[0]
    if n:
        mean = float(np.mean(values))
        std = float(np.std(values))
        low, high = float(values[0]), float(values[-1])
    else:
        mean = std = low = high = float("nan")
    psi_edges = uv.quantile_edges(values, settings.psi_bins)
    fine_edges = uv.quantile_edges(values, settings.fine_bins)
    kept = values
    if settings.sketch_size is not None and n > settings.sketch_size:
        ranks = ((np.arange(settings.sketch_size) + 0.5) * n / settings.sketch_size).astype(np.intp)
        kept = values[ranks]
    elif kept.base is not None and kept.shape[0] != kept.base.shape[0]:
        kept = kept.copy()  # do not keep the NaN tail of the sorted buffer alive
    return NumericProfile(
        name=name,
        dtype=str(series.dtype),
        n_rows=col.n_rows,
        n_missing=col.n_missing,
        n_infinite=col.n_infinite,
        n_non_numeric=col.n_non_numeric,
        values=kept,
        n_values=n,
        mean=mean,
        std=std,
        min=low,
        max=high,
        psi_edges=psi_edges,
        psi_counts=uv.bin_counts(values, psi_edges),
        fine_edges=fine_edges,
        fine_counts=uv.bin_counts(values, fine_edges),
        distinct=uv.all_distinct(kept),
    )


def fit_categorical(name: str, series: pd.Series, kind: str) -> CategoricalProfile:
    counted = category_counts(series, kind)
    return CategoricalProfile(
        name=name,
        kind=kind,
        dtype=str(series.dtype),
        n_rows=counted.n_rows,
        n_missing=counted.n_missing,
        categories=tuple(counted.uniques),
        counts=counted.counts,
    )


def resolve_kinds(
    frame: pd.DataFrame,
    labels: Mapping[str, Any],
    kinds: Mapping[str, str] | None,
    choice: ColumnChoice | None = None,
) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """``(kind per profiled column, reason per skipped column, reason per excluded column)``."""
    choice = choice or ColumnChoice()
    overrides = {str(k): check_kind(str(k), v) for k, v in (kinds or {}).items()}
    unknown = sorted(set(overrides) - set(labels))
    if unknown:
        raise InvalidInputError(
            f"kinds names columns that are not in the reference: {', '.join(unknown)}"
        )
    choice.check_known(labels, "reference")
    declared = choice.declared()
    resolved: dict[str, str] = {}
    skipped: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for name, label in labels.items():
        if name in declared:
            excluded[name] = declared[name]
            continue
        kind = overrides.get(name) or detect_kind(frame[label])
        if kind is None:
            skipped[name] = f"unsupported type {frame[label].dtype}"
        elif kind == "ignore":
            skipped[name] = "ignored"
        else:
            why = None if name in overrides or name in choice.include else id_like(name, frame[label], kind)
            if why:
                excluded[name] = why
            else:
                resolved[name] = kind
    return resolved, skipped, excluded


_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def workers_for(n_rows: int, n_tasks: int, workers: int | None) -> int:
    """Threads over columns: as asked, else the CPU count (at most 8) once a column's work
    outweighs the hand-over (a few thousand rows), else 1."""
    if workers is not None:
        return max(1, int(workers))
    if n_rows < PARALLEL_MIN_ROWS or n_tasks < 2:
        return 1
    return max(1, min(os.cpu_count() or 1, 8, n_tasks))


def _pool(workers: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get(workers)
        if pool is None:
            pool = _POOLS[workers] = ThreadPoolExecutor(
                max_workers=workers, thread_name_prefix="workbench-monitoring"
            )
        return pool


def map_columns(fn, items: list, workers: int) -> list:  # noqa: ANN001 - a plain callable
    """``[fn(item) for item in items]``, on a shared thread pool when ``workers > 1`` (numpy
    releases the GIL while sorting and searching, so columns overlap on separate cores)."""
    if workers <= 1 or len(items) < 2:
        return [fn(item) for item in items]
    return list(_pool(workers).map(fn, items))


def fit_profile(
    reference_df: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | None = None,
    psi_bins: int = 10,
    fine_bins: int = 100,
    sketch_size: int | None = None,
    workers: int | None = None,
    id_columns: Any = None,
    exclude: Any = None,
    include: Any = None,
) -> ReferenceProfile:
    """Fit the reference profile of a DataFrame (see the module docstring for what it keeps;
    ``id_columns``/``exclude``/``include``: column names, see ``ColumnChoice``)."""
    if not isinstance(reference_df, pd.DataFrame):
        raise InvalidInputError(
            f"the reference must be a pandas DataFrame, not {type(reference_df).__name__}"
        )
    if reference_df.shape[1] == 0:
        raise InvalidInputError("the reference has no columns", where="reference")
    if reference_df.shape[0] == 0:
        raise InvalidInputError(
            "the reference has no rows", where="reference", hint="give at least one row"
        )
    settings = ProfileSettings(psi_bins=psi_bins, fine_bins=fine_bins, sketch_size=sketch_size)
    labels = column_labels(reference_df, "reference")
    resolved, skipped, excluded = resolve_kinds(
        reference_df, labels, kinds, ColumnChoice.of(id_columns, exclude, include)
    )

    def fit(name: str) -> ColumnProfile:
        series = reference_df[labels[name]]
        if resolved[name] == "numeric":
            return fit_numeric(name, series, settings)
        return fit_categorical(name, series, resolved[name])

    names = list(resolved)
    order = sorted(names, key=lambda n: resolved[n] != "numeric")  # long numeric sorts first
    fitted = map_columns(fit, order, workers_for(len(reference_df), len(names), workers))
    by_name = dict(zip(order, fitted, strict=True))
    return ReferenceProfile(
        columns={name: by_name[name] for name in names},
        n_rows=int(reference_df.shape[0]),
        settings=settings,
        skipped=skipped,
        created_ms=int(time.time() * 1000),
        excluded=excluded,
    )
