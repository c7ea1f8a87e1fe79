"""Comparing a current window with a reference profile: ``compare`` and ``check_deviation``.

Each current column is read once: numeric columns are sorted once (``np.sort``) and every
method works from the two sorted arrays (KS and Wasserstein by binary search of the current
values in the reference — a fenced search for small windows, a bounded KS and the quantile
form of Wasserstein for large equal-sized ones — histograms by searching the bin edges in
the current values);
categorical columns are factorized once and their counts lined up with the reference
categories, unseen categories appended. Columns run on a thread pool for large windows
(numpy releases the GIL while it sorts and searches), one column at a time per thread, so
memory stays at a few copies of one column. Method conventions are in ``univariate.py``,
names, defaults and thresholds in ``methods.py``, findings in ``deviation.py``.

Id-like columns are left out and reported in ``DriftReport.excluded`` (rules in
``columns.id_like``); ``id_columns``, ``exclude`` and ``include`` declare them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError
from workbench.monitoring import univariate as uv
from workbench.monitoring.columns import ColumnChoice, category_counts, numeric_column
from workbench.monitoring.deviation import (
    DeviationSettings,
    Finding,
    categorical_findings,
    kind_change,
    numeric_findings,
    schema_findings,
)
from workbench.monitoring.methods import (
    METHODS,
    WASSERSTEIN_STD_FLOOR,
    plan_methods,
    resolve_thresholds,
)
from workbench.monitoring.profile import (
    CategoricalProfile,
    NumericProfile,
    ReferenceProfile,
    column_labels,
    fit_profile,
    map_columns,
    workers_for,
)
from workbench.monitoring.report import ColumnVerdict, DriftReport, MethodResult

BOUNDED_KS_MIN = 4_000  # both samples at least this large: KS by bounds, not every rank


@dataclass
class _Outcome:
    results: list[MethodResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    unchecked: str | None = None


def _verdict(method: str, statistic: float, p_value: float | None, threshold: float) -> bool:
    if METHODS[method].p_value:
        return bool(p_value is not None and p_value < threshold)
    return bool(statistic >= threshold)


def _numeric(
    prof: NumericProfile,
    series: pd.Series,
    methods: list[str],
    thresholds: dict[str, float],
    settings: DeviationSettings,
) -> _Outcome:
    col = numeric_column(series)
    out = _Outcome()
    if prof.n_values == 0:
        out.findings.append(
            Finding(
                "all_missing",
                prof.name,
                f"column {prof.name!r} has no usable value in the reference; it is not checked",
                {"n_rows": prof.n_rows, "n_missing": prof.n_missing},
            )
        )
        out.unchecked = "no usable value in the reference"
    out.findings += numeric_findings(
        prof.name,
        col,
        ref_min=prof.min,
        ref_max=prof.max,
        ref_rate=prof.missing_rate,
        ref_constant=prof.n_values > 1 and prof.std == 0.0,
        settings=settings,
    )
    cur = col.values
    if out.unchecked or not methods:
        return out
    if cur.shape[0] == 0:
        out.unchecked = "no usable value in the current data"
        return out
    ref = prof.values
    n1, n2 = prof.n_values, int(cur.shape[0])
    cache: dict[str, object] = {}

    def shared() -> tuple[tuple, tuple]:
        if "runs" not in cache:
            runs = uv.runs(cur)
            cache["runs"] = runs
            cache["ref_at"] = uv.ref_counts_at(
                ref, runs[0], prof.distinct, prof.fence(), prof.ties()
            )
        return cache["runs"], cache["ref_at"]  # type: ignore[return-value]

    def fine() -> np.ndarray:
        if "fine" not in cache:
            cache["fine"] = uv.bin_counts(cur, prof.fine_edges)
        return cache["fine"]  # type: ignore[return-value]

    for method in methods:
        p_value: float | None = None
        detail: dict[str, object] = {}
        if method == "ks":
            if max(n1, n2) <= uv.KS_EXACT_MAX_N and not prof.is_sketch:
                statistic, p_value = uv.ks_test(ref, cur)
            elif min(ref.shape[0], n2) < BOUNDED_KS_MIN:
                runs, ref_at = shared()
                statistic = uv.ks_statistic(ref, cur, cur_runs=runs, ref_at_cur=ref_at)
                p_value = uv.ks_pvalue(statistic, n1, n2)
            else:  # both large enough: search only near the maximum
                statistic = uv.ks_statistic_bounded(
                    ref,
                    cur,
                    ref_distinct=prof.distinct,
                    ref_fence=prof.fence(),
                    plan=prof.plan("cuts", n2),
                )
                p_value = uv.ks_pvalue(statistic, n1, n2)
        elif method == "wasserstein":
            if ref.shape[0] == n2:
                distance = uv.wasserstein_sorted(ref, cur)
            else:
                distance = uv.wasserstein_sorted(
                    ref,
                    cur,
                    prefix=prof.prefix()[1],
                    plan=prof.plan("quantile", n2),
                )
            scale = max(prof.std, WASSERSTEIN_STD_FLOOR)
            statistic = distance / scale
            detail = {"distance": distance, "reference_std": prof.std}
        elif method == "psi":
            statistic = uv.psi(prof.psi_counts, uv.bin_counts(cur, prof.psi_edges))
            detail = {"band": uv.psi_band(statistic), "bins": int(prof.psi_edges.shape[0] + 1)}
        elif method == "jensenshannon":
            statistic = uv.js_distance(prof.fine_counts, fine())
        elif method == "hellinger":
            statistic = uv.hellinger(prof.fine_counts, fine())
        else:  # linf
            statistic = uv.linf(prof.fine_counts, fine())
        threshold = thresholds.get(method, METHODS[method].threshold)
        out.results.append(
            MethodResult(
                column=prof.name,
                kind="numeric",
                method=method,
                statistic=float(statistic),
                p_value=p_value,
                threshold=threshold,
                drifted=_verdict(method, statistic, p_value, threshold),
                n_reference=n1,
                n_current=n2,
                detail=detail,
            )
        )
    return out


def _categorical(
    prof: CategoricalProfile,
    series: pd.Series,
    methods: list[str],
    thresholds: dict[str, float],
    settings: DeviationSettings,
) -> _Outcome:
    counted = category_counts(series, prof.kind)
    out = _Outcome()
    if counted.uniques:
        where = prof.index.get_indexer(pd.Index(counted.uniques, dtype=object))
    else:
        where = np.empty(0, dtype=np.intp)
    known = where >= 0
    out.findings += categorical_findings(
        prof.name,
        counted,
        known,
        ref_rate=prof.missing_rate,
        ref_n_categories=len(prof.categories),
        settings=settings,
    )
    n1, n2 = prof.n_values, int(counted.counts.sum())
    if n1 == 0:
        out.unchecked = "no usable value in the reference"
        out.findings.append(
            Finding(
                "all_missing",
                prof.name,
                f"column {prof.name!r} has no usable value in the reference; it is not checked",
                {"n_rows": prof.n_rows, "n_missing": prof.n_missing},
            )
        )
    if not methods or out.unchecked:
        return out
    if n2 == 0:
        out.unchecked = "no usable value in the current data"
        return out
    k = len(prof.categories)
    seen = np.bincount(where[known], weights=counted.counts[known], minlength=k)
    unseen = counted.counts[~known]
    ref_counts = np.concatenate([prof.counts, np.zeros(unseen.shape[0], np.int64)])
    cur_counts = np.concatenate([np.rint(seen).astype(np.int64), unseen])
    for method in methods:
        p_value: float | None = None
        detail: dict[str, object] = {"n_categories": int(cur_counts.shape[0])}
        if method == "chi2":
            statistic, p_value, dof = uv.chi2_test(ref_counts, cur_counts)
            detail["dof"] = dof
        elif method == "psi":
            statistic = uv.psi(ref_counts, cur_counts)
            detail["band"] = uv.psi_band(statistic)
        elif method == "jensenshannon":
            statistic = uv.js_distance(ref_counts, cur_counts)
        elif method == "hellinger":
            statistic = uv.hellinger(ref_counts, cur_counts)
        else:  # linf
            statistic = uv.linf(ref_counts, cur_counts)
        threshold = thresholds.get(method, METHODS[method].threshold)
        out.results.append(
            MethodResult(
                column=prof.name,
                kind=prof.kind,
                method=method,
                statistic=float(statistic),
                p_value=p_value,
                threshold=threshold,
                drifted=_verdict(method, statistic, p_value, threshold),
                n_reference=n1,
                n_current=n2,
                detail=detail,
            )
        )
    return out


def as_profile(
    reference: ReferenceProfile | pd.DataFrame,
    kinds: Mapping[str, str] | None = None,
    workers: int | None = None,
    choice: ColumnChoice | None = None,
) -> ReferenceProfile:
    choice = choice or ColumnChoice()
    if isinstance(reference, ReferenceProfile):
        if kinds:
            raise InvalidInputError(
                "kinds apply when a profile is fitted; this profile already has its kinds",
                hint="pass kinds to fit_profile, or pass the reference DataFrame",
            )
        missing = [n for n in choice.include if n not in reference.columns]
        if missing:
            raise InvalidInputError(
                f"column(s) {', '.join(missing)} were left out when this profile was fitted",
                hint="fit the profile again with include=[…] (or from the reference file)",
            )
        return reference
    return fit_profile(
        reference,
        kinds=kinds,
        workers=workers,
        id_columns=choice.id_columns,
        exclude=choice.exclude,
        include=choice.include,
    )


def _check_current(current: object) -> pd.DataFrame:
    if not isinstance(current, pd.DataFrame):
        raise InvalidInputError(
            f"the current data must be a pandas DataFrame, not {type(current).__name__}"
        )
    if current.shape[1] == 0:
        raise InvalidInputError("the current data has no columns", where="current data")
    if current.shape[0] == 0:
        raise InvalidInputError(
            "the current data has no rows", where="current data", hint="give at least one row"
        )
    return current


def _run(
    profile: ReferenceProfile,
    current: pd.DataFrame,
    methods: str | Sequence[str] | Mapping[str, str | Sequence[str]] | None,
    thresholds: Mapping[str, object] | None,
    *,
    drift_share: float,
    deviation: DeviationSettings | None,
    workers: int | None,
    deviation_only: bool = False,
    choice: ColumnChoice | None = None,
) -> DriftReport:
    current = _check_current(current)
    if not 0 < drift_share <= 1:
        raise InvalidInputError(f"drift_share must be in (0, 1], got {drift_share!r}")
    settings = deviation or DeviationSettings()
    labels = column_labels(current, "current data")
    excluded = dict(profile.excluded)
    for name, why in (choice or ColumnChoice()).declared().items():
        excluded.setdefault(name, why)
    shared = [name for name in profile.columns if name in labels and name not in excluded]
    if not shared and any(name in labels for name in excluded):
        raise InvalidInputError(
            "no column is left to check: the shared columns are all excluded "
            f"({', '.join(f'{n}: {why}' for n, why in excluded.items() if n in labels)})",
            where="current data",
            hint="check a column anyway with include (--include COLUMN)",
        )
    if not shared:
        raise InvalidInputError(
            "the reference and the current data share no column",
            where="current data",
            hint=f"reference columns: {', '.join(list(profile.columns)[:10]) or '(none)'}",
        )
    if deviation_only:
        plan: dict[str, list[str]] = {name: [] for name in shared}
        unplanned: dict[str, str] = {}
    else:
        plan, unplanned = plan_methods(
            {n: (profile.columns[n].kind, profile.columns[n].n_values) for n in shared}, methods
        )
    by_method, by_column = resolve_thresholds(thresholds, list(profile.columns))

    def run_column(name: str) -> _Outcome:
        prof = profile.columns[name]
        series = current[labels[name]]
        chosen = plan.get(name, [])
        limits = {**by_method, **by_column.get(name, {})}
        change = kind_change(name, prof.kind, series)
        if isinstance(prof, NumericProfile):
            out = _numeric(prof, series, chosen, limits, settings)
        else:
            out = _categorical(prof, series, chosen, limits, settings)
        if change is not None:
            out.findings.insert(0, change)
        return out

    order = sorted(shared, key=lambda n: profile.columns[n].kind != "numeric")
    n_workers = workers_for(len(current), len(order), workers)
    outcomes = dict(zip(order, map_columns(run_column, order, n_workers), strict=True))

    results: list[MethodResult] = []
    verdicts: list[ColumnVerdict] = []
    findings = schema_findings(
        [n for n in profile.columns if n not in excluded],
        profile.skipped,
        [n for n in labels if n not in excluded],
    )
    unchecked = dict(unplanned)
    for name in shared:
        out = outcomes[name]
        findings += out.findings
        if out.unchecked:
            unchecked[name] = out.unchecked
        if out.results:
            results += out.results
            primary = out.results[0]
            verdicts.append(ColumnVerdict(name, primary.kind, primary.method, primary.drifted))
    return DriftReport(
        results=tuple(results),
        columns=tuple(verdicts),
        findings=tuple(findings),
        unchecked=unchecked,
        n_reference=profile.n_rows,
        n_current=int(current.shape[0]),
        drift_share=float(drift_share),
        excluded=excluded,
    )


def compare(
    reference: ReferenceProfile | pd.DataFrame,
    current: pd.DataFrame,
    methods: str | Sequence[str] | Mapping[str, str | Sequence[str]] | None = None,
    thresholds: Mapping[str, object] | None = None,
    *,
    kinds: Mapping[str, str] | None = None,
    drift_share: float = 0.5,
    deviation: DeviationSettings | None = None,
    workers: int | None = None,
    id_columns: str | Sequence[str] | None = None,
    exclude: str | Sequence[str] | None = None,
    include: str | Sequence[str] | None = None,
) -> DriftReport:
    """Drift of ``current`` against a profile (or a reference DataFrame, profiled first).

    ``methods``: ``None`` for the default per column kind and size, ``"all"``, a name, a list
    of names, or ``{column: names}``; ``thresholds``: ``{method: value}`` and/or
    ``{column: {method: value}}``; ``kinds``: kind overrides when a DataFrame is profiled;
    ``drift_share``: the share of drifted columns that makes the dataset drifted;
    ``workers``: threads over columns (default: the CPU count for large windows);
    ``id_columns``/``exclude``: columns left out (reported in ``excluded``); ``include``:
    columns checked although they look like ids (with a DataFrame reference).
    """
    choice = ColumnChoice.of(id_columns, exclude, include)
    profile = as_profile(reference, kinds, workers, choice)
    return _run(
        profile,
        current,
        methods,
        thresholds,
        drift_share=drift_share,
        deviation=deviation,
        workers=workers,
        choice=choice,
    )


def check_deviation(
    reference: ReferenceProfile | pd.DataFrame,
    current: pd.DataFrame,
    *,
    kinds: Mapping[str, str] | None = None,
    deviation: DeviationSettings | None = None,
    workers: int | None = None,
) -> list[Finding]:
    """Only the data deviation findings (no drift method) of ``current`` against a reference."""
    profile = as_profile(reference, kinds, workers)
    report = _run(
        profile,
        current,
        None,
        None,
        drift_share=0.5,
        deviation=deviation,
        workers=workers,
        deviation_only=True,
    )
    return list(report.findings)
