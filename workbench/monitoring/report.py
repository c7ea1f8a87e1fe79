"""Drift results as plain frozen dataclasses: one ``MethodResult`` per column and method, one
``ColumnVerdict`` per checked column, and the ``DriftReport`` that holds them with the data
deviation findings and the dataset-level verdict.

A column's verdict is that of its *primary* method: the first of the methods applied to it
(in the order asked for, or the default). The dataset drifted when the share of checked
columns that drifted is at least ``drift_share`` (0.5). Columns that could not be checked
(no usable value, no applicable method) are listed in ``unchecked`` with the reason, and
columns left out on purpose (id-like, declared ids, excluded) in ``excluded``; neither is
counted either way. ``to_dict`` is JSON-safe (NaN becomes ``None``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from workbench.monitoring.deviation import Finding

FRAME_COLUMNS = ["column", "kind", "method", "statistic", "p_value", "threshold", "drifted"]


def json_number(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class MethodResult:
    column: str
    kind: str
    method: str
    statistic: float
    p_value: float | None
    threshold: float
    drifted: bool
    n_reference: int
    n_current: int
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "column": self.column,
            "kind": self.kind,
            "method": self.method,
            "statistic": json_number(self.statistic),
            "p_value": json_number(self.p_value),
            "threshold": self.threshold,
            "drifted": self.drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "detail": {
                k: json_number(v) if isinstance(v, float) else v for k, v in self.detail.items()
            },
        }


@dataclass(frozen=True)
class ColumnVerdict:
    column: str
    kind: str
    method: str
    drifted: bool


@dataclass(frozen=True)
class DriftReport:
    results: tuple[MethodResult, ...]
    columns: tuple[ColumnVerdict, ...]
    findings: tuple[Finding, ...]
    unchecked: Mapping[str, str]
    n_reference: int
    n_current: int
    drift_share: float = 0.5
    excluded: Mapping[str, str] = field(default_factory=dict)  # column -> why it is left out

    @property
    def n_checked(self) -> int:
        return len(self.columns)

    @property
    def n_drifted(self) -> int:
        return sum(1 for c in self.columns if c.drifted)

    @property
    def share_drifted(self) -> float:
        return self.n_drifted / self.n_checked if self.n_checked else 0.0

    @property
    def drifted(self) -> bool:
        """Dataset-level verdict: the share of drifted columns reached ``drift_share``."""
        return self.n_checked > 0 and self.share_drifted >= self.drift_share

    @property
    def drifted_columns(self) -> list[str]:
        return [c.column for c in self.columns if c.drifted]

    def column(self, name: str) -> tuple[MethodResult, ...]:
        return tuple(r for r in self.results if r.column == name)

    def result(self, column: str, method: str) -> MethodResult:
        for r in self.results:
            if r.column == column and r.method == method:
                return r
        raise KeyError((column, method))

    def findings_for(self, check: str) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.check == check)

    def to_frame(self, details: bool = False) -> pd.DataFrame:
        """One row per column and method: ``column, kind, method, statistic, p_value,
        threshold, drifted`` (plus ``n_reference, n_current`` with ``details=True``)."""
        columns = FRAME_COLUMNS + (["n_reference", "n_current"] if details else [])
        rows = [[getattr(r, c) for c in columns] for r in self.results]
        frame = pd.DataFrame(rows, columns=columns)
        frame["statistic"] = frame["statistic"].astype(float)
        frame["p_value"] = frame["p_value"].astype(float)
        frame["threshold"] = frame["threshold"].astype(float)
        frame["drifted"] = frame["drifted"].astype(bool)
        return frame

    def to_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "share_drifted": self.share_drifted,
            "drift_share": self.drift_share,
            "n_checked": self.n_checked,
            "n_drifted": self.n_drifted,
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "columns": [
                {"column": c.column, "kind": c.kind, "method": c.method, "drifted": c.drifted}
                for c in self.columns
            ],
            "results": [r.to_dict() for r in self.results],
            "findings": [f.to_dict() for f in self.findings],
            "unchecked": dict(self.unchecked),
            "excluded": dict(self.excluded),
        }


def json_safe(value: Any) -> Any:
    """Plain JSON data from results: dataclasses become dicts, NaN and ±inf become ``None``."""
    import dataclasses

    import numpy as np

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        if hasattr(value, "to_dict"):
            return json_safe(value.to_dict())
        return {f.name: json_safe(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return [json_safe(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    return str(value)
