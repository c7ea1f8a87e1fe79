"""Data deviation checks: named findings about how a current window differs from its reference.

Every finding has a ``check`` name, the ``column`` (``None`` for the dataset), a message a
person can act on and ``counts``. The checks:

==================== =====================================================================
``missing_column``   a profiled column is absent from the current data
``extra_column``     the current data has a column the reference did not
``type_change``      the current column's kind differs from the reference's
``non_numeric_values`` values in a numeric column that are not numbers (left out of drift)
``infinite_values``  ±inf in a numeric column (treated as missing)
``all_missing``      the column has no usable value (reference or current); it is not checked
``missing_rate_jump`` the missing rate rose by more than ``missing_rate_tolerance`` (0.05)
``out_of_range``     numeric values below the reference minimum or above its maximum
``unseen_categories`` categories the reference never had
``constant_column``  a single distinct value in the current window (or in the reference)
``unsupported_type`` a column of a type drift is not measured on (datetime, …)
``expectation``      a declared expectation (``monitoring.expectations``) the window breaks;
                     ``counts`` holds its ``rule``, so :func:`expectation_condition` names
                     one condition per column and rule for alerts
==================== =====================================================================

``check_deviation`` runs them without any drift method; ``compare`` runs them as it goes,
on the arrays it sorts anyway.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from workbench.monitoring.columns import CategoryCounts, NumericColumn, detect_kind


@dataclass(frozen=True)
class Finding:
    check: str
    column: str | None
    message: str
    counts: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "column": self.column,
            "message": self.message,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class DeviationSettings:
    missing_rate_tolerance: float = 0.05  # absolute rise of the missing rate that is reported
    out_of_range_tolerance: float = 0.0  # share of values outside the reference range allowed
    max_examples: int = 5  # unseen categories quoted in a finding


def schema_findings(
    profile_columns: list[str], skipped: Mapping[str, str], current_columns: list[str]
) -> list[Finding]:
    findings = []
    present = set(current_columns)
    known = set(profile_columns) | set(skipped)
    for name in profile_columns:
        if name not in present:
            findings.append(
                Finding("missing_column", name, f"column {name!r} is missing from the current data")
            )
    for name in current_columns:
        if name not in known:
            findings.append(
                Finding("extra_column", name, f"column {name!r} is not in the reference")
            )
    for name, reason in skipped.items():
        if reason != "ignored":
            findings.append(
                Finding("unsupported_type", name, f"column {name!r} is not checked: {reason}")
            )
    return findings


def _plain_numeric(dtype: object) -> bool:
    return bool(pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype))


def kind_change(name: str, ref_kind: str, series: pd.Series) -> Finding | None:
    """A ``type_change`` finding when the current column is not of the reference's kind.

    Cheap on purpose (it runs on every window): only the combinations that can disagree are
    looked at — a numeric reference read as text, a categorical reference now numeric, a
    boolean reference with values other than 0/1.
    """
    dtype = series.dtype
    if ref_kind == "numeric":
        if _plain_numeric(dtype) or pd.api.types.is_bool_dtype(dtype):
            return None
        current = detect_kind(series)
        if current in ("numeric", "boolean"):
            return None
    elif ref_kind == "categorical":
        if not _plain_numeric(dtype):
            current = detect_kind(series) if pd.api.types.is_datetime64_any_dtype(dtype) else None
            if current is None and not pd.api.types.is_datetime64_any_dtype(dtype):
                return None
        else:
            return None  # numbers as categories: unseen values show up as unseen categories
    else:  # boolean
        if not _plain_numeric(dtype):
            return None
        current = detect_kind(series)
        if current == "boolean":
            return None
    shown = current if current is not None else str(dtype)
    return Finding(
        "type_change",
        name,
        f"column {name!r} was {ref_kind} in the reference and is {shown} now",
        {"reference_kind": ref_kind, "current_kind": shown},
    )


def missing_findings(
    name: str, ref_rate: float, n_missing: int, n_rows: int, settings: DeviationSettings
) -> list[Finding]:
    findings = []
    if n_rows and n_missing == n_rows:
        findings.append(
            Finding(
                "all_missing",
                name,
                f"column {name!r} has no usable value in the current data; it is not checked",
                {"n_rows": n_rows, "n_missing": n_missing},
            )
        )
        return findings
    rate = n_missing / n_rows if n_rows else 0.0
    if rate - ref_rate > settings.missing_rate_tolerance:
        findings.append(
            Finding(
                "missing_rate_jump",
                name,
                f"column {name!r} is missing in {rate:.1%} of rows (reference {ref_rate:.1%})",
                {
                    "n_missing": n_missing,
                    "n_rows": n_rows,
                    "rate": rate,
                    "reference_rate": ref_rate,
                },
            )
        )
    return findings


def numeric_findings(
    name: str,
    col: NumericColumn,
    *,
    ref_min: float,
    ref_max: float,
    ref_rate: float,
    ref_constant: bool,
    settings: DeviationSettings,
) -> list[Finding]:
    """Findings for a sorted numeric current column against the reference range."""
    findings = []
    if col.n_non_numeric:
        findings.append(
            Finding(
                "non_numeric_values",
                name,
                f"column {name!r} is numeric but {col.n_non_numeric} value(s) are not numbers; "
                "they are left out of drift",
                {"n_non_numeric": col.n_non_numeric, "n_rows": col.n_rows},
            )
        )
    if col.n_infinite:
        findings.append(
            Finding(
                "infinite_values",
                name,
                f"column {name!r} has {col.n_infinite} infinite value(s), treated as missing",
                {"n_infinite": col.n_infinite},
            )
        )
    findings += missing_findings(name, ref_rate, col.n_missing, col.n_rows, settings)
    values = col.values
    n = values.shape[0]
    if n == 0:
        return findings
    if not np.isnan(ref_min):
        below = int(np.searchsorted(values, ref_min, side="left"))
        above = int(n - np.searchsorted(values, ref_max, side="right"))
        if below + above and (below + above) / n > settings.out_of_range_tolerance:
            findings.append(
                Finding(
                    "out_of_range",
                    name,
                    f"column {name!r} has {below} value(s) below the reference minimum "
                    f"{ref_min:g} and {above} above its maximum {ref_max:g}",
                    {"below": below, "above": above, "n_values": n},
                )
            )
    if n > 1 and values[0] == values[-1]:
        findings.append(_constant(name, "current", float(values[0]), n))
    elif ref_constant and n:
        findings.append(
            Finding(
                "constant_column",
                name,
                f"column {name!r} is constant ({ref_min:g}) in the reference",
                {"where": "reference", "value": ref_min},
            )
        )
    return findings


def _constant(name: str, where: str, value: Any, n: int) -> Finding:
    return Finding(
        "constant_column",
        name,
        f"column {name!r} holds one value ({value!r}) in all {n} {where} rows",
        {"where": where, "value": value, "n_values": n},
    )


def categorical_findings(
    name: str,
    counted: CategoryCounts,
    known: np.ndarray,
    *,
    ref_rate: float,
    ref_n_categories: int,
    settings: DeviationSettings,
) -> list[Finding]:
    """``known[i]`` says whether ``counted.uniques[i]`` is a reference category."""
    findings = missing_findings(name, ref_rate, counted.n_missing, counted.n_rows, settings)
    unseen = np.flatnonzero(~known)
    if unseen.size:
        order = unseen[np.argsort(-counted.counts[unseen], kind="stable")]
        examples = [_json_value(counted.uniques[i]) for i in order[: settings.max_examples]]
        rows = int(counted.counts[unseen].sum())
        findings.append(
            Finding(
                "unseen_categories",
                name,
                f"column {name!r} has {unseen.size} categor{'y' if unseen.size == 1 else 'ies'} "
                f"the reference never had ({rows} row(s)), e.g. {examples}",
                {"n_categories": int(unseen.size), "n_rows": rows, "examples": examples},
            )
        )
    present = np.flatnonzero(counted.counts > 0)
    total = int(counted.counts.sum())
    if present.size == 1 and total > 1 and ref_n_categories > 1:
        value = _json_value(counted.uniques[int(present[0])])
        findings.append(_constant(name, "current", value, total))
    return findings


def _json_value(value: Any) -> Any:
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def expectation_findings(broken: list[Any]) -> list[Finding]:
    """Findings for ``monitoring.expectations.Violation`` objects (or their ``to_dict()``)."""
    findings = []
    for item in broken:
        v = item if isinstance(item, Mapping) else item.to_dict()
        where = f"column {v['column']!r}: " if v.get("column") is not None else ""
        findings.append(Finding("expectation", v.get("column"),
                                f"{where}expected {v['expectation']}; found {v['found']}",
                                {"rule": v.get("rule", ""), "expectation": v["expectation"],
                                 "found": v["found"]}))
    return findings


def expectation_condition(column: str | None, rule: str) -> str:
    """The alert condition of one expectation rule on one column (stable across windows)."""
    return f"expectation {rule} on {'rows' if column is None else repr(column)}"


@dataclass(frozen=True)
class ExpectationAlerts:
    """What one checked window means for the deviation alerts of its source: the conditions it
    met (their open episodes end) and, per broken rule, the alert to raise or count."""

    cleared: tuple[str, ...]
    raised: tuple[tuple[str, str], ...]  # (condition, message)


def expectation_alerts(checked: Mapping[str, Any], window: str) -> ExpectationAlerts:
    """The alerts of a window's ``expectations`` summary (``{"checked": [[column, rule], …],
    "violations": [...]}``); ``window`` names the window in each message."""
    broken = {expectation_condition(v["column"], v["rule"]) for v in checked["violations"]}
    cleared = tuple(condition for column, rule in checked["checked"]
                    if (condition := expectation_condition(column, rule)) not in broken)
    raised = tuple((expectation_condition(f.column, str(f.counts["rule"])), f"{window}: {f.message}")
                   for f in expectation_findings(list(checked["violations"])))
    return ExpectationAlerts(cleared, raised)
