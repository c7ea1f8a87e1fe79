"""Reading monitoring inputs (CSV or Parquet) into DataFrames, with errors a person can act on.

``read_table`` picks the reader by suffix (``.parquet``/``.pq`` → Parquet, anything else →
CSV) and turns every failure into the workbench error family: a missing, unreadable,
empty or malformed file is ``UnusableInputError`` (exit 2); a file that parses but has no
rows is ``InvalidInputError`` (exit 1) when ``require_rows`` is set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

from workbench.errors import InvalidInputError, UnusableInputError

PARQUET_SUFFIXES = {".parquet", ".pq"}


def read_table(
    path: str | os.PathLike[str], *, require_rows: bool = True, what: str = "file"
) -> pd.DataFrame:
    source = Path(path)
    where = str(source)
    if not source.exists():
        raise UnusableInputError(f"{what} not found", where=where, hint="check the path")
    if source.is_dir():
        raise UnusableInputError(f"{what} is a directory, not a file", where=where)
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise UnusableInputError(f"cannot read {what}: {exc.strerror}", where=where) from None
    if size == 0:
        raise UnusableInputError(
            f"{what} is empty", where=where, hint="give a CSV with a header row, or Parquet"
        )
    parquet = source.suffix.lower() in PARQUET_SUFFIXES
    try:
        frame = pd.read_parquet(source) if parquet else pd.read_csv(source, low_memory=False)
    except pd.errors.EmptyDataError:
        raise UnusableInputError(f"{what} has no columns", where=where) from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        kind = "Parquet" if parquet else "CSV"
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnusableInputError(f"not readable as {kind}: {first}", where=where) from None
    except OSError as exc:
        raise UnusableInputError(
            f"cannot read {what}: {exc.strerror or exc}", where=where
        ) from None
    except Exception as exc:  # pyarrow raises its own error types for corrupt files
        if type(exc).__module__.startswith("pyarrow"):
            raise UnusableInputError(f"not readable as Parquet: {exc}", where=where) from None
        raise
    if frame.shape[1] == 0:
        raise UnusableInputError(f"{what} has no columns", where=where)
    if require_rows and frame.shape[0] == 0:
        raise InvalidInputError(
            f"{what} has a header but no rows", where=where, hint="give at least one row"
        )
    return frame
