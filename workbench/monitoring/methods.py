"""The drift methods by name: which column kinds each applies to, its verdict rule, thresholds.

========================= =========== ======================== ==========================
method (aliases)          kinds       statistic                drifted when (default)
========================= =========== ======================== ==========================
``ks``                    numeric     KS D, p-value            p < 0.05
``wasserstein``           numeric     W1 / reference std       statistic >= 0.1
``psi``                   all         PSI over 10 ref. bins    statistic >= 0.1
``jensenshannon`` (js)    all         JS distance, base 2      statistic >= 0.1
``hellinger``             all         Hellinger distance       statistic >= 0.1
``linf``                  all         max |p - q|              statistic >= 0.1
``chi2``                  cat., bool  chi², p-value            p < 0.05
========================= =========== ======================== ==========================

Numeric columns use 100 reference-quantile bins for Jensen–Shannon, Hellinger and L-infinity
(10 for PSI); categorical and boolean columns use their categories, unseen ones included.
The Wasserstein statistic is normalised by the reference's population standard deviation,
floored at 0.001 so that a constant reference column still gives a finite number.

Default choice when ``methods`` is ``None`` (by the number of non-missing reference values):
numeric — ``ks`` up to 1,000 values, ``wasserstein`` above; categorical and boolean —
``chi2`` up to 1,000 values, ``jensenshannon`` above. Hypothesis tests flag negligible
differences once samples are large, distances do not.

``DEFAULT_DRIFT_THRESHOLD`` (0.1) is the one default threshold of every distance method
wherever drift is measured (CLI, GUI, the drift monitor node, the demo);
``DEFAULT_SIGNIFICANCE`` (0.05) that of the tests.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from workbench.errors import InvalidInputError


@dataclass(frozen=True)
class MethodSpec:
    name: str
    kinds: frozenset[str]
    p_value: bool  # verdict on the p-value (p < threshold) rather than the statistic
    threshold: float


_ALL = frozenset({"numeric", "categorical", "boolean"})
_CAT = frozenset({"categorical", "boolean"})

# The one default drift threshold of the workbench (CLI, GUI, graph nodes, demo): a distance
# method's statistic at or above it is drift; a test's p-value below DEFAULT_SIGNIFICANCE is.
DEFAULT_DRIFT_THRESHOLD = 0.1
DEFAULT_SIGNIFICANCE = 0.05

ALTERNATIVES = ("two-sided", "greater", "less")
"""The alternative hypotheses an A/B test takes (``abtest.ab_test``; ``workbench abtest compare
--alternative``): here, not in ``abtest``, so the CLI lists them without loading scipy."""

METHODS: dict[str, MethodSpec] = {
    "ks": MethodSpec("ks", frozenset({"numeric"}), True, DEFAULT_SIGNIFICANCE),
    "wasserstein": MethodSpec("wasserstein", frozenset({"numeric"}), False, DEFAULT_DRIFT_THRESHOLD),
    "psi": MethodSpec("psi", _ALL, False, DEFAULT_DRIFT_THRESHOLD),
    "jensenshannon": MethodSpec("jensenshannon", _ALL, False, DEFAULT_DRIFT_THRESHOLD),
    "hellinger": MethodSpec("hellinger", _ALL, False, DEFAULT_DRIFT_THRESHOLD),
    "linf": MethodSpec("linf", _ALL, False, DEFAULT_DRIFT_THRESHOLD),
    "chi2": MethodSpec("chi2", _CAT, True, DEFAULT_SIGNIFICANCE),
}

ALIASES = {
    "kolmogorov_smirnov": "ks",
    "kolmogorov-smirnov": "ks",
    "wasserstein_distance": "wasserstein",
    "wasserstein_normed": "wasserstein",
    "js": "jensenshannon",
    "jensen_shannon": "jensenshannon",
    "jensen-shannon": "jensenshannon",
    "l_infinity": "linf",
    "l-infinity": "linf",
    "chisquare": "chi2",
    "chi_square": "chi2",
    "chi-square": "chi2",
    "chi2_contingency": "chi2",
}

SMALL_SAMPLE = 1_000
WASSERSTEIN_STD_FLOOR = 1e-3


def method_name(name: str) -> str:
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in METHODS:
        raise InvalidInputError(
            f"unknown drift method {name!r}",
            hint=f"use one of {', '.join(METHODS)}",
        )
    return key


def default_method(kind: str, n_reference_values: int) -> str:
    small = n_reference_values <= SMALL_SAMPLE
    if kind == "numeric":
        return "ks" if small else "wasserstein"
    return "chi2" if small else "jensenshannon"


def plan_methods(
    columns: Mapping[str, tuple[str, int]],
    methods: str | Sequence[str] | Mapping[str, str | Sequence[str]] | None,
) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Methods per column (``{name: (kind, n_reference_values)}``), and why some have none.

    ``methods`` is ``None`` (the default per kind and size), ``"all"`` (every method the kind
    allows), one name or a list of names (each applied where its kind allows), or a mapping
    from column name to any of these.
    """
    plan: dict[str, list[str]] = {}
    unplanned: dict[str, str] = {}
    per_column: Mapping[str, object] = {}
    if isinstance(methods, Mapping):
        per_column = {str(k): v for k, v in methods.items()}
        unknown = sorted(set(per_column) - set(columns))
        if unknown:
            raise InvalidInputError(
                f"methods names columns that are not profiled: {', '.join(unknown)}"
            )
        global_spec: object = None
    else:
        global_spec = methods
    used: set[str] = set()
    requested: set[str] = set()
    for name, (kind, n_ref) in columns.items():
        spec = per_column.get(name, global_spec)
        if spec is None:
            plan[name] = [default_method(kind, n_ref)]
            continue
        if isinstance(spec, str) and spec.strip().lower() == "all":
            plan[name] = [m for m, s in METHODS.items() if kind in s.kinds]
            continue
        names = [spec] if isinstance(spec, str) else list(spec)  # type: ignore[arg-type]
        if not names:
            raise InvalidInputError("an empty list of drift methods", where=f"column {name!r}")
        chosen = []
        for raw in names:
            key = method_name(raw)
            requested.add(key)
            if kind in METHODS[key].kinds and key not in chosen:
                chosen.append(key)
        if chosen:
            plan[name] = chosen
            used.update(chosen)
        else:
            unplanned[name] = f"none of the requested methods applies to a {kind} column"
    never = sorted(requested - used)
    if requested and not used:
        raise InvalidInputError(
            f"the requested method(s) {', '.join(never)} apply to none of the columns"
        )
    return plan, unplanned


def _check_threshold(method: str, value: object, where: str) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInputError(f"threshold {value!r} is not a number", where=where) from None
    if not math.isfinite(number) or number < 0:
        raise InvalidInputError(f"threshold {value!r} must be a finite number >= 0", where=where)
    if METHODS[method].p_value and not 0 < number < 1:
        raise InvalidInputError(
            f"threshold {value!r} of {method} is a significance level and must be in (0, 1)",
            where=where,
        )
    return number


def resolve_thresholds(
    thresholds: Mapping[str, object] | None, columns: Sequence[str]
) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """``({method: value}, {column: {method: value}})`` from a flat or nested mapping.

    Keys are method names (for every column) or column names mapping to ``{method: value}``.
    """
    by_method: dict[str, float] = {}
    by_column: dict[str, dict[str, float]] = {}
    known_columns = set(columns)
    for key, value in (thresholds or {}).items():
        key = str(key)
        if isinstance(value, Mapping):
            if key not in known_columns:
                raise InvalidInputError(f"thresholds name an unknown column {key!r}")
            by_column[key] = {
                method_name(m): _check_threshold(method_name(m), v, f"thresholds[{key!r}]")
                for m, v in value.items()
            }
        else:
            method = method_name(key)
            by_method[method] = _check_threshold(method, value, f"thresholds[{key!r}]")
    return by_method, by_column
