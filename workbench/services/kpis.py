"""Business KPIs for the signed-in user: import a KPI from CSV, read series and the
deployments of a model, and test whether deployments moved a KPI (one computation, ``impact``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from workbench.errors import InvalidInputError, UnusableInputError
from workbench.monitoring.kpi import (
    CrossCorrelation,
    ImpactResult,
    deployment_impact,
    lagged_cross_correlation,
    regularise,
)
from workbench.services.identity import acting, authorise, project_of
from workbench.store import Store
from workbench.store.entities import KpiSeries

TIME_COLUMNS = ("time", "timestamp", "date", "day", "ts")
METRICS = ("score_mean", "positive_rate", "count")
EPOCH_MS_ABOVE = 1e11


@dataclass(frozen=True)
class KpiImport:
    series: KpiSeries
    points: int
    first_ts: int
    last_ts: int


@dataclass(frozen=True)
class Points:
    name: str
    ts: np.ndarray  # epoch ms, int64, ascending
    values: np.ndarray  # float64

    def series(self) -> pd.Series:
        """The points as a pandas series indexed by naive UTC times (the store keeps epoch ms)."""
        return pd.Series(self.values, index=pd.to_datetime(self.ts, unit="ms"), name=self.name)


@dataclass(frozen=True)
class DeploymentMark:
    id: int
    ts: int
    node_id: str
    model_name: str
    version: int
    old_version: int | None
    actor: str

    @property
    def label(self) -> str:
        """How the mark reads on a plot: the model's name and version."""
        return f"{self.model_name} v{self.version}"


@dataclass(frozen=True)
class Impact:
    result: ImpactResult | None
    events: tuple[DeploymentMark, ...]  # the deployments analysed, in time order
    skipped: tuple[str, ...]  # "<label>: why"
    error: str = ""


@dataclass(frozen=True)
class KpiReview:
    kpi: Points
    model_name: str
    deployments: tuple[DeploymentMark, ...]
    metric: Points
    correlation: CrossCorrelation | None
    correlation_error: str
    impact: Impact


# -- import -----------------------------------------------------------------------------


def import_kpi_csv(store: Store, actor: str, path: str | Path, *, name: str | None = None,
                   time_column: str | None = None, value_column: str | None = None,
                   unit: str = "", description: str = "", project: str | None = None) -> KpiImport:
    """Read a KPI CSV, check every line, then write it as one series in one transaction.

    Needs ``kpis.import`` (engineer, operator, admin). The whole file is checked before anything
    is written, so a bad file changes nothing; a point at a time already stored replaces it.
    """
    file = Path(path)
    points = read_kpi_csv(file, time_column=time_column, value_column=value_column)
    series_name = (name or file.stem).strip()
    if not series_name:
        raise InvalidInputError("a KPI series needs a name", where=str(file), hint="pass name=…")
    with store.write(actor) as uow:
        where = project_of(uow, project)
        authorise(uow, actor, "kpis.import", where)
        series = uow.kpis.ensure(series_name, unit=unit, description=description, project_id=where.id)
        uow.kpis.upsert_points(series.id, points)
    return KpiImport(series, len(points), points[0][0], points[-1][0])


def read_kpi_csv(file: Path, *, time_column: str | None = None,
                 value_column: str | None = None) -> list[tuple[int, float]]:
    """``(epoch ms, value)`` points of a KPI CSV, sorted by time.

    One time column (``time``, ``timestamp``, ``date``, ``day`` or ``ts``; else the first column)
    and one value column (``value``; else the only other column). Times are ISO 8601 text (naive
    times are UTC) or epoch numbers — seconds, or milliseconds when larger than 1e11; a time may
    appear once per file. Errors name the file, the column and the line (the header is line 1).
    """
    where = str(file)
    if not file.is_file():
        raise UnusableInputError("no such KPI file", where=where)
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise UnusableInputError(f"cannot read the KPI CSV: {str(exc).strip().splitlines()[0]}",
                                 where=where) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    columns = list(frame.columns)
    time_col = _choose_time(columns, time_column, where)
    value_col = _choose_value(columns, time_col, value_column, where)
    if frame.empty:
        raise InvalidInputError("the KPI file has a header but no rows", where=where)
    out: list[tuple[int, float]] = []
    seen: dict[int, int] = {}
    for i, (when, raw) in enumerate(zip(frame[time_col], frame[value_col], strict=True)):
        line = i + 2
        ts = _parse_time(when, f"{where}:{line}", time_col)
        value = _parse_value(raw, f"{where}:{line}", value_col)
        if ts in seen:
            raise InvalidInputError(f"column {time_col!r}: time {when.strip()!r} also on line {seen[ts]}",
                                    where=f"{where}:{line}", hint="give each time once")
        seen[ts] = line
        out.append((ts, value))
    return sorted(out)


def _choose_time(columns: list[str], given: str | None, where: str) -> str:
    if given is not None:
        if given not in columns:
            raise InvalidInputError(f"no time column {given!r}; the columns are {', '.join(columns)}",
                                    where=where)
        return given
    lowered = {c.lower(): c for c in columns}
    for candidate in TIME_COLUMNS:
        if candidate in lowered:
            return lowered[candidate]
    if len(columns) < 2:
        raise InvalidInputError(f"a KPI file needs a time and a value column; it has {columns}",
                                where=where)
    return columns[0]


def _choose_value(columns: list[str], time_col: str, given: str | None, where: str) -> str:
    if given is not None:
        if given not in columns:
            raise InvalidInputError(f"no value column {given!r}; the columns are {', '.join(columns)}",
                                    where=where)
        return given
    others = [c for c in columns if c != time_col]
    named = [c for c in others if c.lower() == "value"]
    if named:
        return named[0]
    if len(others) == 1:
        return others[0]
    raise InvalidInputError(f"which column is the KPI? {', '.join(others) or 'none besides the time'}",
                            where=where, hint="name it 'value' or pass value_column=…")


def _parse_time(text: str, where: str, column: str) -> int:
    value = text.strip()
    if not value:
        raise InvalidInputError(f"column {column!r}: the time is empty", where=where)
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is not None:
        if not math.isfinite(number):
            raise InvalidInputError(f"column {column!r}: {value!r} is not a time", where=where)
        return int(number) if abs(number) > EPOCH_MS_ABOVE else int(round(number * 1000))
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError):
        stamp = pd.NaT
    if pd.isna(stamp):
        raise InvalidInputError(f"column {column!r}: {value!r} is not a time", where=where,
                                hint="use ISO 8601 (2024-05-01 or 2024-05-01T12:00:00Z) or epoch seconds")
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return int(stamp.value // 1_000_000)


def _parse_value(text: str, where: str, column: str) -> float:
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not math.isfinite(number):
        raise InvalidInputError(f"column {column!r}: {value!r} is not a number", where=where)
    return number


# -- reads ------------------------------------------------------------------------------


def list_kpis(store: Store, actor: str, *, project: str | None = None) -> list[KpiSeries]:
    """Every imported KPI series (any user of the store may read them)."""
    with store.read() as uow:
        acting(uow, actor)
        return uow.kpis.all(project_id=None if project is None else project_of(uow, project).id)


def kpi_points(store: Store, actor: str, name: str) -> Points:
    """The points of the KPI series ``name``."""
    with store.read() as uow:
        acting(uow, actor)
        found = uow.kpis.points(name)
    return Points(name, found["ts"], found["value"])


def deployed_models(store: Store, actor: str) -> list[str]:
    """Names of the models that were ever deployed, sorted."""
    with store.read() as uow:
        acting(uow, actor)
        return sorted({d.model_name for d in uow.models.deployments()})


def deployments(store: Store, actor: str, model_name: str) -> list[DeploymentMark]:
    """Deployments of ``model_name`` in time order, with version numbers for labels."""
    with store.read() as uow:
        acting(uow, actor)
        return _marks(uow, model_name)


def _marks(uow: object, model_name: str) -> list[DeploymentMark]:
    events = uow.models.deployments(model_name)  # type: ignore[attr-defined]
    versions = {v.id: v.version for v in uow.models.all(model_name)}  # type: ignore[attr-defined]
    marks = [DeploymentMark(e.id, e.ts, e.node_id, e.model_name, versions.get(e.new_version_id, 0),
                            versions.get(e.old_version_id) if e.old_version_id else None, e.actor)
             for e in events]
    return sorted(marks, key=lambda m: (m.ts, m.id))


def model_metric(store: Store, actor: str, model_name: str, *, metric: str = "score_mean",
                 freq: str = "D") -> Points:
    """A model's metric per ``freq`` period, from its deployment sources' prediction windows.

    A deployment's ``node_id`` is its source; only windows of this model's versions (or of no
    recorded version) count: the per-period mean of ``score_mean`` or ``positive_rate`` weighted
    by window counts, or the summed ``count``.
    """
    with store.read() as uow:
        acting(uow, actor)
        return _metric(uow, model_name, metric, freq)


def _metric(uow: object, model_name: str, metric: str, freq: str) -> Points:
    if metric not in METRICS:
        raise InvalidInputError(f"unknown model metric {metric!r}; choose one of {', '.join(METRICS)}")
    version_ids = {v.id for v in uow.models.all(model_name)}  # type: ignore[attr-defined]
    sources = sorted({d.node_id for d in uow.models.deployments(model_name)})  # type: ignore[attr-defined]
    rows = []
    for source in sources:
        for w in uow.predictions.windows(source):  # type: ignore[attr-defined]
            if w.model_version_id is not None and w.model_version_id not in version_ids:
                continue
            value = w.count if metric == "count" else (w.summary or {}).get(metric)
            if isinstance(value, int | float) and math.isfinite(value) and w.count > 0:
                rows.append((w.window_end, float(value), w.count))
    name = f"{model_name} {metric}"
    if not rows:
        return Points(name, np.zeros(0, dtype=np.int64), np.zeros(0))
    frame = pd.DataFrame(rows, columns=["ts", "value", "weight"])
    frame.index = pd.to_datetime(frame["ts"], unit="ms")
    grouped = frame.resample(freq)
    if metric == "count":
        per = grouped["value"].sum(min_count=1)
    else:
        weighted = (frame["value"] * frame["weight"]).resample(freq).sum(min_count=1)
        per = weighted / grouped["weight"].sum(min_count=1)
    per = per.dropna()
    return Points(name, (per.index.asi8 // 1_000_000).astype(np.int64), per.to_numpy(np.float64))


# -- analyses ---------------------------------------------------------------------------


def cross_correlation(store: Store, actor: str, kpi: str, model_name: str, *, metric: str = "score_mean",
                      freq: str = "D", max_lag: int | None = None) -> CrossCorrelation:
    """``r(k) = corr(metric_t, kpi_{t+k})`` on a ``freq`` grid, with its ±z/√n band (``monitoring.kpi``)."""
    with store.read() as uow:
        acting(uow, actor)
        found = uow.kpis.points(kpi)
        series = _metric(uow, model_name, metric, freq)
    if series.ts.size == 0:
        raise InvalidInputError(f"{model_name} has no prediction windows with {metric}")
    return lagged_cross_correlation(Points(kpi, found["ts"], found["value"]).series(), series.series(),
                                    freq=freq, max_lag=max_lag)


def impact(store: Store, actor: str, kpi: str, model_name: str, *, freq: str = "D",
           min_points: int = 2) -> Impact:
    """Interrupted-time-series impact of each deployment of ``model_name`` on ``kpi``.

    The ONE impact computation: the KPI review view, ``workbench kpi impact``, the demo's summary
    and the model card all state this result (text through ``impact_lines``), so one deployment
    never gets two answers. Deployments with fewer than ``min_points`` periods of the KPI before
    or after, or within ``min_points`` periods of the previous one kept, are skipped with a reason.
    """
    with store.read() as uow:
        acting(uow, actor)
        found = uow.kpis.points(kpi)
        marks = _marks(uow, model_name)
    return _impact(Points(kpi, found["ts"], found["value"]), marks, freq, min_points)


def kpi_review(store: Store, actor: str, kpi: str, model_name: str, *, metric: str = "score_mean",
               freq: str = "D", max_lag: int | None = None, min_points: int = 2) -> KpiReview:
    """What the KPI view shows, read in one transaction; analysis errors become text.

    Runs the same computation as ``impact`` on the same reads.
    """
    with store.read() as uow:
        acting(uow, actor)
        found = uow.kpis.points(kpi)
        marks = _marks(uow, model_name) if model_name else []
        series = _metric(uow, model_name, metric, freq) if model_name else Points("", np.zeros(0), np.zeros(0))
    points = Points(kpi, found["ts"], found["value"])
    correlation, why = None, ""
    if not model_name:
        why = "choose a model"
    elif series.ts.size == 0:
        why = f"{model_name} has no prediction windows with {metric}"
    else:
        try:
            correlation = lagged_cross_correlation(points.series(), series.series(), freq=freq,
                                                   max_lag=max_lag)
        except InvalidInputError as exc:
            why = str(exc)
    impact_result = (_impact(points, marks, freq, min_points) if marks
                     else Impact(None, (), (), "no deployments of this model" if model_name else "choose a model"))
    return KpiReview(points, model_name, tuple(marks), series, correlation, why, impact_result)


def _outside(mark: DeploymentMark, position: int, n: int, index: pd.DatetimeIndex, min_points: int) -> str:
    """Why a deployment too near an end of the KPI series has no impact figure, with its date
    (a version may be deployed more than once: the date tells which deployment is meant)."""
    day = pd.Timestamp(mark.ts, unit="ms").strftime("%Y-%m-%d")
    if position >= n:
        where = f"after the KPI's last period ({index[-1]:%Y-%m-%d})"
    elif position <= 0:
        where = f"before the KPI's first period ({index[0]:%Y-%m-%d})"
    else:
        where = f"{position} period(s) of the KPI before it and {n - position} after"
    return f"{mark.label} deployed {day}: outside the KPI, {where}; needs {min_points} periods before and after"


def _impact(points: Points, marks: list[DeploymentMark], freq: str, min_points: int) -> Impact:
    if points.ts.size < 3:
        return Impact(None, (), (), f"the KPI {points.name!r} has {points.ts.size} point(s); at least 3 are needed")
    try:
        index = regularise(points.series(), freq, f"the KPI {points.name!r}").values.index
    except InvalidInputError as exc:
        return Impact(None, (), (), str(exc))
    n = len(index)
    kept: list[tuple[DeploymentMark, int]] = []
    skipped: list[str] = []
    for mark in marks:
        position = int(index.searchsorted(pd.Timestamp(mark.ts, unit="ms"), side="left"))
        if position < min_points or n - position < min_points:
            skipped.append(_outside(mark, position, n, index, min_points))
        elif kept and position - kept[-1][1] < min_points:
            skipped.append(f"{mark.label}: within {min_points} periods of {kept[-1][0].label}")
        else:
            kept.append((mark, position))
    if not kept:
        return Impact(None, (), tuple(skipped), "no deployment falls inside the KPI series")
    events = pd.DataFrame({"time": [pd.Timestamp(m.ts, unit="ms") for m, _ in kept],
                           "name": [m.label for m, _ in kept]})
    try:
        result = deployment_impact(points.series(), events, freq=freq, min_points=min_points)
    except InvalidInputError as exc:
        return Impact(None, tuple(m for m, _ in kept), tuple(skipped), str(exc))
    return Impact(result, tuple(m for m, _ in kept), tuple(skipped))


def impact_lines(impact: Impact, unit: str = "", *, skipped: bool = True) -> list[str]:
    """One line per analysed deployment — what the CLI, the demo summary and the model card
    print (figures rounded as the KPI review view shows them) — then, when ``skipped``, the
    deployments left out and why."""
    result = impact.result
    unit = f" {unit}" if unit else ""
    lines = []
    for mark, event in zip(impact.events, result.events if result is not None else (), strict=False):
        level, slope = event.level_change, event.slope_change
        day = pd.Timestamp(mark.ts, unit="ms").strftime("%Y-%m-%d")
        lines.append(f"{event.name} deployed {day}: level change {level.value:+.4g}{unit} "
                     f"(95 % CI {level.ci_low:.4g} … {level.ci_high:.4g}, p={level.p_value:.3g}); "
                     f"slope change {slope.value:+.4g}{unit} per period (p={slope.p_value:.3g}); "
                     f"mean before → after {event.before_mean:.4g} → {event.after_mean:.4g}")
    if impact.error:
        lines.append(f"no impact estimate: {impact.error}")
    if skipped:
        counted: dict[str, int] = {}
        for why in impact.skipped:
            counted[why] = counted.get(why, 0) + 1
        lines += [f"skipped {why}" + (f" ({n} deployments)" if n > 1 else "") for why, n in counted.items()]
    return lines


def model_impacts(store: Store, actor: str, model_name: str, *, freq: str = "D",
                  min_points: int = 2) -> list[tuple[KpiSeries, Impact]]:
    """``impact`` of ``model_name``'s deployments on every KPI of the store (for the card)."""
    return [(series, impact(store, actor, series.name, model_name, freq=freq, min_points=min_points))
            for series in list_kpis(store, actor)]

