"""High-volume series: metrics, logged predictions, prediction windows, drift and divergence
results, and KPI series. Readers pass the last id they saw (``since_id``), so live plots never
re-read old rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from workbench.store.entities import (
    DivergenceResult,
    DriftResult,
    KpiSeries,
    PredictionWindow,
)
from workbench.store.errors import ConflictError, NotFoundError
from workbench.store.repos.base import Repo, dumps, to_entity
from workbench.store.schema import (
    DivergenceResultRow,
    DriftResultRow,
    KpiPointRow,
    KpiSeriesRow,
    MetricRow,
    MetricSeriesRow,
    PredictionRow,
    PredictionWindowRow,
)


class BulkRepo(Repo):
    def bulk_insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """Insert plain tuples as fast as the database allows, inside this transaction: one
        ``executemany`` on SQLite's own connection, ``COPY … FROM STDIN`` on PostgreSQL."""
        self.uow.require_actor()
        raw = self.session.connection().connection.driver_connection
        names = ", ".join(columns)
        if self.uow.dialect == "sqlite":
            marks = ", ".join("?" * len(columns))
            cursor = raw.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            return cursor.rowcount
        count = 0
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count


class MetricsRepo(BulkRepo):
    def series(self, key: str, *, run_id: int | None = None, step_id: int | None = None) -> int:
        """The id of the series ``key`` of this run/step, created on first use."""
        query = select(MetricSeriesRow.id).where(
            MetricSeriesRow.key == key,
            MetricSeriesRow.run_id.is_(None) if run_id is None else MetricSeriesRow.run_id == run_id,
            MetricSeriesRow.step_id.is_(None) if step_id is None else MetricSeriesRow.step_id == step_id,
        )
        found = self.session.scalar(query)
        if found is not None:
            return int(found)
        self.uow.require_actor()
        row = MetricSeriesRow(run_id=run_id, step_id=step_id, key=key)
        self.session.add(row)
        self.session.flush()
        return int(row.id)

    def append(self, series_id: int, steps: Sequence[int] | np.ndarray,
               timestamps: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray) -> int:
        """Append one series' points; the three sequences line up."""
        self._check_series({series_id})
        steps_l, ts_l, values_l = _as_list(steps), _as_list(timestamps), _as_list(values)
        if not (len(steps_l) == len(ts_l) == len(values_l)):
            raise ConflictError(
                f"metric series {series_id}: steps, timestamps and values differ in length "
                f"({len(steps_l)}, {len(ts_l)}, {len(values_l)})")
        rows = zip([series_id] * len(steps_l), steps_l, ts_l, values_l, strict=True)
        count = self.bulk_insert("metrics", ("series_id", "step", "ts", "value"), rows)
        if count:
            self.uow.record_change("metrics", series_id, "appended")
        return count

    def append_rows(self, rows: Sequence[tuple[int, int, int, float]]) -> int:
        """Append ``(series_id, step, ts, value)`` rows of any series in one batch."""
        self._check_series({r[0] for r in rows})
        count = self.bulk_insert("metrics", ("series_id", "step", "ts", "value"), rows)
        for series_id in sorted({r[0] for r in rows}):
            self.uow.record_change("metrics", series_id, "appended")
        return count

    def _check_series(self, series_ids: set[int]) -> None:
        found = set(self.session.scalars(
            select(MetricSeriesRow.id).where(MetricSeriesRow.id.in_(sorted(series_ids)))))
        missing = sorted(series_ids - found)
        if missing:
            raise NotFoundError(f"no metric series with id {missing[0]}",
                                hint="get series ids from MetricsRepo.series(key, run_id=…)")

    def points(self, series_id: int, *, since_id: int = 0) -> dict[str, np.ndarray]:
        """Columns ``id, step, ts, value`` of the points after ``since_id``, in id order."""
        result = self.session.execute(
            select(MetricRow.id, MetricRow.step, MetricRow.ts, MetricRow.value)
            .where(MetricRow.series_id == series_id, MetricRow.id > since_id)
            .order_by(MetricRow.id)
        ).all()
        columns = list(zip(*result, strict=True)) if result else [(), (), (), ()]
        return {
            "id": np.asarray(columns[0], dtype=np.int64),
            "step": np.asarray(columns[1], dtype=np.int64),
            "ts": np.asarray(columns[2], dtype=np.int64),
            "value": np.asarray(columns[3], dtype=np.float64),
        }

    def keys(self, run_id: int) -> dict[str, int]:
        """The metric series of run ``run_id``: key to series id, by key."""
        rows = self.session.execute(
            select(MetricSeriesRow.key, MetricSeriesRow.id).where(MetricSeriesRow.run_id == run_id)
            .order_by(MetricSeriesRow.key))
        return {key: int(series_id) for key, series_id in rows}


class PredictionsRepo(BulkRepo):
    def log(self, source: str, model_version_id: int | None,
            rows: Sequence[tuple[str, int, float | None, str | None, dict[str, Any]]]) -> int:
        """Log ``(request_id, ts, score, label, features)`` rows of one source in one batch."""
        prepared = [(source, model_version_id, rid, ts, score, label, dumps(features))
                    for rid, ts, score, label, features in rows]
        count = self.bulk_insert(
            "predictions",
            ("source", "model_version_id", "request_id", "ts", "score", "label", "features"),
            prepared)
        if count:
            self.uow.record_change("predictions", source, "logged")
        return count

    def logged(self, source: str, *, since_id: int = 0, limit: int = 100_000) -> list[dict[str, Any]]:
        """Logged predictions of ``source`` after ``since_id``, in id order (without features)."""
        rows = self.session.execute(
            select(PredictionRow).where(PredictionRow.source == source, PredictionRow.id > since_id)
            .order_by(PredictionRow.id).limit(limit)).scalars()
        return [{"id": r.id, "model_version_id": r.model_version_id, "request_id": r.request_id,
                 "ts": r.ts, "score": r.score, "label": r.label} for r in rows]

    def add_window(self, source: str, model_version_id: int | None, window_start: int,
                   window_end: int, count: int, summary: dict[str, Any]) -> PredictionWindow:
        """Record one prediction window of ``source`` with its summary (``score_mean``, ``positive_rate`` …)."""
        row = PredictionWindowRow(source=source, model_version_id=model_version_id,
                                  window_start=window_start, window_end=window_end, count=count,
                                  summary=dumps(summary))
        self.session.add(row)
        self.session.flush()
        self.uow.record_change("prediction_windows", source, "added")
        return to_entity(PredictionWindow, row, json_fields=("summary",))

    def windows(self, source: str, *, since_id: int = 0) -> list[PredictionWindow]:
        """Prediction windows of ``source`` after ``since_id``, in id order."""
        rows = self.session.scalars(
            select(PredictionWindowRow).where(PredictionWindowRow.source == source,
                                              PredictionWindowRow.id > since_id)
            .order_by(PredictionWindowRow.id))
        return [to_entity(PredictionWindow, r, json_fields=("summary",)) for r in rows]


class ResultsRepo(BulkRepo):
    def add_drift(self, source: str, window_start: int, window_end: int,
                  results: Iterable[dict[str, Any]]) -> int:
        """Rows with keys ``column, method, statistic, p_value, threshold, drifted``."""
        rows = [DriftResultRow(source=source, window_start=window_start, window_end=window_end,
                               column=r["column"], method=r["method"], statistic=float(r["statistic"]),
                               p_value=None if r.get("p_value") is None else float(r["p_value"]),
                               threshold=float(r["threshold"]), drifted=bool(r["drifted"]))
                for r in results]
        self.uow.require_actor()
        self.session.add_all(rows)
        self.session.flush()
        if rows:
            self.uow.record_change("drift", source, "added")
        return len(rows)

    def drift(self, source: str, *, since_id: int = 0) -> list[DriftResult]:
        """Drift results of ``source`` after ``since_id``, in id order."""
        rows = self.session.scalars(select(DriftResultRow).where(
            DriftResultRow.source == source, DriftResultRow.id > since_id).order_by(DriftResultRow.id))
        return [to_entity(DriftResult, r) for r in rows]

    def sources(self) -> list[str]:
        """Every source with drift, divergence or prediction-window rows, sorted by name."""
        found: set[str] = set()
        for column in (DriftResultRow.source, DivergenceResultRow.source, PredictionWindowRow.source):
            found.update(self.session.scalars(select(column).distinct()))
        return sorted(found)

    def latest_drift(self, source_prefix: str, limit: int = 200) -> list[DriftResult]:
        """The newest drift rows of every source under ``source_prefix`` (a graph's name + '/');
        ``%`` and ``_`` in the prefix match only themselves."""
        under = DriftResultRow.source.startswith(source_prefix, autoescape=True)
        rows = self.session.scalars(select(DriftResultRow).where(under)
                                    .order_by(DriftResultRow.id.desc()).limit(limit))
        return [to_entity(DriftResult, r) for r in rows]

    def latest_divergence(self, source_prefix: str, limit: int = 500) -> list[DivergenceResult]:
        """The newest divergence rows under ``source_prefix`` (matched literally), oldest first."""
        rows = self.session.scalars(select(DivergenceResultRow)
                                    .where(DivergenceResultRow.source.startswith(source_prefix, autoescape=True))
                                    .order_by(DivergenceResultRow.id.desc()).limit(limit))
        return [to_entity(DivergenceResult, r, json_fields=("details",)) for r in rows][::-1]

    def add_divergence(self, source: str, window_start: int, window_end: int, method: str,
                       statistic: float, threshold: float, diverged: bool,
                       details: dict[str, Any] | None = None) -> DivergenceResult:
        """Record one window's canary divergence for ``source``."""
        self.uow.require_actor()
        row = DivergenceResultRow(source=source, window_start=window_start, window_end=window_end,
                                  method=method, statistic=statistic, threshold=threshold,
                                  diverged=diverged, details=dumps(details or {}))
        self.session.add(row)
        self.session.flush()
        self.uow.record_change("divergence", source, "added")
        return to_entity(DivergenceResult, row, json_fields=("details",))

    def divergence(self, source: str, *, since_id: int = 0) -> list[DivergenceResult]:
        """Divergence results of ``source`` after ``since_id``, in id order."""
        rows = self.session.scalars(select(DivergenceResultRow).where(
            DivergenceResultRow.source == source, DivergenceResultRow.id > since_id)
            .order_by(DivergenceResultRow.id))
        return [to_entity(DivergenceResult, r, json_fields=("details",)) for r in rows]


class KpisRepo(Repo):
    def ensure(self, name: str, unit: str = "", description: str = "", *,
               project_id: int | None = None) -> KpiSeries:
        """The series ``name``, made in ``project_id`` (default: the default project) when new.
        A KPI name is unique in the store: one of another project is refused."""
        row = self.session.scalar(select(KpiSeriesRow).where(KpiSeriesRow.name == name))
        if row is None:
            self.uow.require_actor()
            owner = project_id if project_id is not None else self.uow.projects.of_run(None)
            row = KpiSeriesRow(project_id=owner, name=name, unit=unit, description=description)
            self.session.add(row)
            self.session.flush()
            self.audit("kpis.add", f"kpi:{name}", {"unit": unit, "project_id": owner})
        elif project_id is not None and row.project_id != project_id:
            raise ConflictError(f"the KPI series {name!r} belongs to another project",
                                hint="import it under another name (--name), or switch to its project")
        return to_entity(KpiSeries, row)

    def all(self, *, project_id: int | None = None) -> list[KpiSeries]:
        """KPI series by name, of one project when given."""
        query = select(KpiSeriesRow)
        if project_id is not None:
            query = query.where(KpiSeriesRow.project_id == project_id)
        return [to_entity(KpiSeries, r) for r in self.session.scalars(query.order_by(KpiSeriesRow.name))]

    def upsert_points(self, series_id: int, points: Iterable[tuple[int, float]]) -> int:
        """Write ``(ts, value)`` points; a point at an existing time replaces the old value."""
        self.uow.require_actor()
        rows = [{"series_id": series_id, "ts": int(ts), "value": float(v)} for ts, v in points]
        if not rows:
            return 0
        insert = pg_insert if self.uow.dialect == "postgresql" else sqlite_insert
        stmt = insert(KpiPointRow)
        stmt = stmt.on_conflict_do_update(index_elements=["series_id", "ts"],
                                          set_={"value": stmt.excluded.value})
        self.session.execute(stmt, rows)
        self.uow.record_change("kpis", series_id, "points")
        return len(rows)

    def points(self, name: str) -> dict[str, np.ndarray]:
        """Columns ``ts, value`` of the KPI series ``name`` in time order; ``NotFoundError`` when none."""
        series = self.session.scalar(select(KpiSeriesRow).where(KpiSeriesRow.name == name))
        if series is None:
            raise NotFoundError(f"no KPI series named {name!r}")
        rows = self.session.execute(select(KpiPointRow.ts, KpiPointRow.value)
                                    .where(KpiPointRow.series_id == series.id).order_by(KpiPointRow.ts)).all()
        return {"ts": np.asarray([r[0] for r in rows], dtype=np.int64),
                "value": np.asarray([r[1] for r in rows], dtype=np.float64)}


def _as_list(values: Sequence[Any] | np.ndarray) -> list[Any]:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)
