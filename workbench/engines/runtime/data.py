"""Executors that bring tables in: ``data_source`` and ``kpi_source``.

``data_source`` (params ``format``, ``path``, ``query``, ``url``, ``builtin``, ``target``):

* ``builtin`` — a sample data set shipped inside scikit-learn (no download):
  ``breast_cancer`` (binary), ``iris`` and ``wine`` (multi-class), ``diabetes`` (regression);
  the label column is renamed to ``target``; ``source_sha256`` hashes the canonical CSV
  serialisation (``DataFrame.to_csv(index=False)``, ``\\n`` line ends, UTF-8);
* ``csv`` / ``parquet`` — a file; ``source_sha256`` hashes the file's bytes;
* ``sql`` — ``pandas.read_sql`` of ``query`` on the SQLAlchemy ``url``; ``source_sha256``
  hashes the canonical CSV of the result; the recorded source hides the password. The URL in
  a graph holds no password: one for ``user@host`` comes from the OS keyring entry
  ``database:<the URL>`` (service ``mlops-workbench``).

The output is ``data.parquet`` with an int64 ``row_id`` (0..n-1 unless the source has a unique
integer ``row_id`` column). ``target`` names the label column, which must exist; an empty
``target`` declares unlabelled data (production data to score), recorded as ``"target": null``.

``kpi_source`` (params ``path``, ``time_column``, ``value_column``): a CSV/Parquet time series
to ``kpi.parquet`` (``ts`` epoch ms int64, ``value`` float64, sorted by time, rows without a
value dropped), and ``records["kpi"] = [{"name": <node id>, "points": [[ts, value], ...]}]``.

Rules: every unusable input is a ``WorkbenchError`` naming the node and the path or column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.artifacts import (
    ROW_ID,
    read_table,
    sha256_bytes,
    sha256_file,
    to_epoch_ms,
    write_parquet,
)
from workbench.engines.runtime.events import log
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome
from workbench.errors import InvalidInputError, UnusableInputError

__all__ = ["BUILTIN_DATASETS", "run_data_source", "run_kpi_source"]

BUILTIN_DATASETS = ("breast_cancer", "iris", "wine", "diabetes")
FORMATS = ("builtin", "csv", "parquet", "sql")


def canonical_csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _builtin(ctx: StepContext, name: str) -> tuple[pd.DataFrame, str, str]:
    from sklearn import datasets

    loaders = {
        "breast_cancer": datasets.load_breast_cancer,
        "iris": datasets.load_iris,
        "wine": datasets.load_wine,
        "diabetes": datasets.load_diabetes,
    }
    if name not in loaders:
        raise InvalidInputError(f"unknown built-in data set {name!r}", where=ctx.where,
                                hint=f"use one of {', '.join(BUILTIN_DATASETS)}")
    frame = loaders[name](as_frame=True).frame
    frame.columns = [str(c) for c in frame.columns]
    return frame, sha256_bytes(canonical_csv(frame)), f"builtin:{name}"


def _file(ctx: StepContext, fmt: str) -> tuple[pd.DataFrame, str, str]:
    raw = str(ctx.param("path", "")).strip()
    if not raw:
        raise InvalidInputError(f"format {fmt!r} needs a 'path'", where=ctx.where)
    path = Path(raw).expanduser()
    if not path.exists():
        raise UnusableInputError(f"data file {str(path)!r} does not exist", where=ctx.where,
                                 hint="check the node's 'path' parameter")
    try:
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            frame = read_table(path, ctx.where, "data file")
    except UnusableInputError:
        raise
    except Exception as exc:
        raise UnusableInputError(f"cannot read data file {str(path)!r} as {fmt}: {exc}",
                                 where=ctx.where) from None
    return frame, sha256_file(path), str(path.resolve())


def _redacted(url: str) -> str:
    from workbench.redaction import redact  # shipped to SSH hosts with the runtime

    return redact(url)


def _with_keyring_password(url: Any) -> Any:
    """``url`` with the password kept in the OS keyring under ``database:<url>`` when the URL
    names a user and no password (a graph never holds the password itself)."""
    if not url.username or url.password is not None:
        return url
    try:
        from workbench.governance.secrets import get_secret
    except ImportError:  # a target without the workbench's governance package
        return url
    secret = get_secret("database", url.render_as_string(hide_password=False))
    return url if not secret else url.set(password=secret)


def _sql(ctx: StepContext) -> tuple[pd.DataFrame, str, str]:
    import sqlalchemy as sa

    url, query = str(ctx.param("url", "")).strip(), str(ctx.param("query", "")).strip()
    if not url or not query:
        raise InvalidInputError("format 'sql' needs a 'url' and a 'query'", where=ctx.where)
    try:
        parsed = sa.engine.make_url(url)
    except Exception:
        raise InvalidInputError(f"{_redacted(url)!r} is not a database URL", where=ctx.where,
                                hint="e.g. sqlite:////abs/path.db") from None
    shown = parsed.render_as_string(hide_password=True)
    try:
        engine = sa.create_engine(_with_keyring_password(parsed))
        try:
            with engine.connect() as conn:
                frame = pd.read_sql(sa.text(query), conn)
        finally:
            engine.dispose()
    except MemoryError:
        raise  # the step ran out of memory: the runtime says so, not "the query failed"
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnusableInputError(f"the SQL query on {shown} failed: {first}",
                                 where=ctx.where) from None
    return frame, sha256_bytes(canonical_csv(frame)), f"sql:{shown}"


def _with_row_id(frame: pd.DataFrame, where: str) -> pd.DataFrame:
    if ROW_ID not in frame.columns:
        frame = frame.copy()
        frame.insert(0, ROW_ID, np.arange(len(frame), dtype=np.int64))
        return frame
    ids = frame[ROW_ID]
    if not pd.api.types.is_integer_dtype(ids) or ids.isna().any() or not ids.is_unique:
        raise InvalidInputError(
            "the source's 'row_id' column must hold unique integers", where=where,
            hint="rename the column, or drop it so that row ids are assigned")
    return frame.assign(**{ROW_ID: ids.astype(np.int64)})


def run_data_source(ctx: StepContext) -> StepOutcome:
    fmt = str(ctx.param("format", "builtin")).strip().lower()
    if fmt not in FORMATS:
        raise InvalidInputError(f"unknown format {fmt!r}", where=ctx.where,
                                hint=f"use one of {', '.join(FORMATS)}")
    if fmt == "builtin":
        frame, sha, source = _builtin(ctx, str(ctx.param("builtin", "breast_cancer")))
    elif fmt == "sql":
        frame, sha, source = _sql(ctx)
    else:
        frame, sha, source = _file(ctx, fmt)
    target = str(ctx.param("target", "target")).strip()
    if fmt == "builtin" and target and target != "target":
        frame = frame.rename(columns={"target": target})
    if target and target not in frame.columns:
        raise InvalidInputError(
            f"the target column {target!r} is not in {source}",
            where=ctx.where,
            hint=f"columns: {', '.join(map(str, list(frame.columns)[:20]))}; set 'target' "
                 "(empty for unlabelled data)")
    if frame.empty:
        raise InvalidInputError(f"{source} has no rows", where=ctx.where)
    _check_expectations(ctx, frame, source)
    frame = _with_row_id(frame, ctx.where)
    name = write_parquet(frame, ctx.output_dir, "data.parquet")
    meta = {
        "target": target or None,
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "source_sha256": sha,
        "source": source,
    }
    log(f"read {len(frame)} rows x {frame.shape[1]} columns from {source}")
    return StepOutcome(
        outputs={"data": (OutputArtifact(name, "dataset", meta),)},
        metrics={"rows": len(frame), "columns": int(frame.shape[1])},
        info={"rows": len(frame)},
    )


def _check_expectations(ctx: StepContext, frame: pd.DataFrame, source: str) -> None:
    """Fail the step, naming every violation, when the table breaks its declared expectations."""
    spec = ctx.param("expectations", {}) or {}
    if not spec:
        return
    from workbench.monitoring.expectations import check_spec, violations

    problems = check_spec(spec)
    if problems:
        raise InvalidInputError("parameter 'expectations': " + "; ".join(problems), where=ctx.where,
                                hint="see the data_source node's documentation for the form")
    broken = violations(frame, spec)
    if broken:
        report = "\n".join(f"  - {v.text()}" for v in broken)
        raise InvalidInputError(f"{source} breaks {len(broken)} of its expectations:\n{report}",
                                where=ctx.where, hint="fix the data, or the expectations if the data is right")
    log(f"{source} meets its expectations")


def run_kpi_source(ctx: StepContext) -> StepOutcome:
    raw = str(ctx.param("path", "")).strip()
    if not raw:
        raise InvalidInputError("a KPI source needs a 'path'", where=ctx.where)
    path = Path(raw).expanduser()
    frame = read_table(path, ctx.where, "KPI file")
    time_col = str(ctx.param("time_column", "timestamp"))
    value_col = str(ctx.param("value_column", "value"))
    for role, col in (("time", time_col), ("value", value_col)):
        if col not in frame.columns:
            raise InvalidInputError(
                f"the KPI file {str(path)!r} has no {role} column {col!r}", where=ctx.where,
                hint=f"columns: {', '.join(map(str, list(frame.columns)[:20]))}")
    values = pd.to_numeric(frame[value_col], errors="coerce")
    bad = values.isna() & frame[value_col].notna()
    if bad.any():
        raise InvalidInputError(
            f"{int(bad.sum())} value(s) of column {value_col!r} are not numbers "
            f"(first: {frame.loc[bad, value_col].iloc[0]!r})", where=ctx.where)
    kpi = pd.DataFrame({
        "ts": to_epoch_ms(frame[time_col], ctx.where, time_col),
        "value": values.astype(np.float64),
    })
    dropped = int(kpi["value"].isna().sum())
    kpi = kpi.dropna(subset=["value"]).sort_values("ts", kind="stable").reset_index(drop=True)
    if kpi.empty:
        raise InvalidInputError(f"the KPI file {str(path)!r} has no value", where=ctx.where)
    name = write_parquet(kpi, ctx.output_dir, "kpi.parquet")
    if dropped:
        log(f"dropped {dropped} row(s) without a value")
    points: list[list[Any]] = [[int(t), float(v)] for t, v in zip(kpi["ts"], kpi["value"],
                                                                   strict=True)]
    meta = {"name": ctx.node_id, "rows": len(kpi), "source_sha256": sha256_file(path),
            "source": str(path.resolve()), "time_column": time_col, "value_column": value_col}
    log(f"read {len(kpi)} KPI points from {path}")
    return StepOutcome(
        outputs={"kpi": (OutputArtifact(name, "kpi", meta),)},
        metrics={"points": len(kpi), "mean": float(kpi["value"].mean())},
        info={"rows": len(kpi)},
        records={"kpi": [{"name": ctx.node_id, "points": points}]},
    )
