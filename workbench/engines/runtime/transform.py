"""Executor ``transform``: derive, filter or join columns of a table with SQL or a Python
function, declaring the columns it gives.

* ``sql``: a query over the input table, named ``data``, run by SQLite in memory. The query
  may read only that table: attaching files, pragmas and loading extensions are refused.
* ``script``: a Python file (from a declared code folder, like any code a graph runs) defining
  ``transform(frame: pandas.DataFrame) -> pandas.DataFrame``. Its text travels with the step
  (``__code__``), so SSH hosts and Spark tasks run the same code the run checked.

The result must have exactly the declared ``columns`` (in any order; written in the declared
order), plus ``row_id`` (kept when the result has it, else assigned). The input's target
travels on when the result keeps that column.
"""

from __future__ import annotations

import sqlite3
import types
from typing import Any

import pandas as pd

from workbench.engines.runtime.artifacts import read_dataset, write_parquet
from workbench.engines.runtime.events import log
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome
from workbench.errors import InvalidInputError

__all__ = ["run_transform"]

ROW_ID = "row_id"
_ALLOWED_SQL = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION}


def _authorise(action: int, arg1: Any, _arg2: Any, database: Any, _trigger: Any) -> int:
    if action not in _ALLOWED_SQL or database not in (None, "main"):
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_READ and str(arg1).lower() != "data":
        return sqlite3.SQLITE_DENY  # the input table only, not sqlite_master or anything else
    return sqlite3.SQLITE_OK


def _sql(ctx: StepContext, frame: pd.DataFrame, query: str) -> pd.DataFrame:
    connection = sqlite3.connect(":memory:")
    try:
        frame.to_sql("data", connection, index=False)
        connection.set_authorizer(_authorise)
        try:
            return pd.read_sql_query(query, connection)
        except Exception as exc:  # sqlite3 and pandas errors alike: the query is the problem
            raise InvalidInputError(f"parameter 'sql': {exc}", where=ctx.where,
                                    hint="a SELECT over the table named data; nothing else is reachable") from None
    finally:
        connection.close()


def _python(ctx: StepContext, frame: pd.DataFrame, path: str) -> pd.DataFrame:
    text = (ctx.param("__code__", {}) or {}).get("script")
    if text is None:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise InvalidInputError(f"parameter 'script': cannot read {path!r}: {exc.strerror}",
                                    where=ctx.where) from None
    module = types.ModuleType(f"workbench_transform_{ctx.node_id}")
    module.__file__ = path
    try:
        exec(compile(text, path, "exec"), module.__dict__)  # noqa: S102 (a declared code folder's file)
    except Exception as exc:
        raise InvalidInputError(f"the transform script {path!r} failed to load: {type(exc).__name__}: {exc}",
                                where=ctx.where) from None
    function = getattr(module, "transform", None)
    if not callable(function):
        raise InvalidInputError(f"the transform script {path!r} defines no transform(frame)", where=ctx.where)
    try:
        result = function(frame.copy())
    except Exception as exc:
        raise InvalidInputError(f"transform() in {path!r} failed: {type(exc).__name__}: {exc}",
                                where=ctx.where) from None
    if not isinstance(result, pd.DataFrame):
        raise InvalidInputError(f"transform() in {path!r} returned a {type(result).__name__}, not a "
                                "pandas DataFrame", where=ctx.where)
    return result


def run_transform(ctx: StepContext) -> StepOutcome:
    data_in = ctx.require("data")
    frame = read_dataset(data_in.path, ctx.where)
    query = str(ctx.param("sql", "") or "").strip()
    script = str(ctx.param("script", "") or "").strip()
    if bool(query) == bool(script):
        raise InvalidInputError("give either 'sql' or 'script' (one of them)", where=ctx.where)
    declared = [str(c) for c in (ctx.param("columns", []) or [])]
    if not declared:
        raise InvalidInputError("parameter 'columns': declare the columns the transform gives",
                                where=ctx.where)
    result = _sql(ctx, frame, query) if query else _python(ctx, frame, script)
    given = [str(c) for c in result.columns if c != ROW_ID]
    missing = [c for c in declared if c not in given]
    extra = [c for c in given if c not in declared]
    if missing or extra:
        parts = ([f"lacks {', '.join(map(repr, missing))}"] if missing else []) + \
                ([f"also gives {', '.join(map(repr, extra))}"] if extra else [])
        raise InvalidInputError(f"the transform's result {' and '.join(parts)} (declared: "
                                f"{', '.join(declared)})", where=ctx.where,
                                hint="make the result match parameter 'columns', or declare what it gives")
    if ROW_ID in result.columns and result[ROW_ID].is_unique and pd.api.types.is_integer_dtype(result[ROW_ID]):
        out = result[[ROW_ID, *declared]].reset_index(drop=True)
    else:
        out = result[declared].reset_index(drop=True)
        out.insert(0, ROW_ID, range(len(out)))
    if out.empty:
        raise InvalidInputError("the transform's result has no rows", where=ctx.where)
    target = data_in.meta.get("target")
    name = write_parquet(out, ctx.output_dir, "data.parquet")
    meta = {"target": target if target in declared else None, "rows": len(out),
            "columns": [str(c) for c in out.columns], "source": f"transform of {data_in.meta.get('source', 'its input')}",
            "source_sha256": data_in.sha256}
    log(f"transformed {len(frame)} rows into {len(out)} rows x {len(declared)} columns "
        f"({'SQL' if query else 'Python'})")
    return StepOutcome(outputs={"data": (OutputArtifact(name, "dataset", meta),)},
                       metrics={"rows": len(out), "columns": len(declared)}, info={"rows": len(out)})
