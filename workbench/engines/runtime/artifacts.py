"""Reading and writing the artifact files a step exchanges, and the column rules of datasets.

Formats (part of the engine contract):

* dataset — Parquet with an int64 ``row_id`` column, feature columns and (when labelled) the
  target column; meta ``{"target", "rows", "columns", "source_sha256", "source"}``;
* predictions — Parquet ``row_id, prediction, score, model_version`` (+ ``timestamp`` in epoch
  ms when the scored data had one);
* metrics — a JSON object; kpi — Parquet ``ts`` (epoch ms, int64), ``value`` (float64);
* a Spark engine's distributed dataset or predictions — a small JSON manifest (format
  ``workbench.spark-parquet/1``: ``directory``, ``files`` [{``name``, ``bytes``, ``sha256``}],
  ``rows``, ``columns``) naming a Parquet directory under the artifact root; its part files
  are checked (size and sha256) and read in the listed order, so the manifest's own sha256
  content-addresses the data. Any step whose host can reach that directory reads it.

Column rules: ``row_id``, the target and a column named ``timestamp`` are never features;
datetime columns are not features either. Times are epoch milliseconds: datetime values are
converted (naive ones are read as UTC), numbers are taken as milliseconds already, strings are
parsed as dates.

Rules: every failure to read becomes an ``UnusableInputError`` naming the node and the file.
``verify_inputs`` checks every input file against the sha256 the store recorded before a step
reads any of them (models are checked by ``models.load_model`` on the bytes it loads).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench.engines.runtime.spec import InputArtifact, jsonable
from workbench.errors import InvalidInputError, UnusableInputError

__all__ = [
    "ROW_ID",
    "SPARK_PARQUET_FORMAT",
    "TIMESTAMP",
    "feature_columns",
    "read_dataset",
    "read_spark_parquet",
    "spark_parquet_manifest",
    "read_table",
    "sha256_bytes",
    "sha256_file",
    "to_epoch_ms",
    "verify_inputs",
    "write_json",
    "write_parquet",
]

ROW_ID = "row_id"
TIMESTAMP = "timestamp"
SPARK_PARQUET_FORMAT = "workbench.spark-parquet/1"
_CHUNK = 1 << 20
_MANIFEST_MAX_BYTES = 16 << 20


def sha256_file(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def verify_inputs(inputs: Mapping[str, tuple[InputArtifact, ...]], where: str) -> None:
    """Every input file (models excepted) hashes to its recorded sha256, or an error naming
    the port, the artifact and the file."""
    for port, artifacts in inputs.items():
        for artifact in artifacts:
            if artifact.kind == "model" or not artifact.sha256:
                continue
            named = (f"{artifact.kind or 'input'} artifact {artifact.artifact_id}"
                     if artifact.artifact_id is not None else f"{artifact.kind or 'input'} artifact")
            if not artifact.path.is_file():
                raise UnusableInputError(
                    f"input {port!r} ({named}): its file {str(artifact.path)!r} does not exist",
                    where=where, hint="run the graph again so the step that made it writes it anew")
            try:
                actual = sha256_file(artifact.path)
            except OSError as exc:
                raise UnusableInputError(
                    f"input {port!r} ({named}): cannot read its file {str(artifact.path)!r}: "
                    f"{exc.strerror}", where=where) from None
            if actual != artifact.sha256:
                raise UnusableInputError(
                    f"input {port!r} ({named}): its file {str(artifact.path)!r} does not match its "
                    f"sha256 (recorded {artifact.sha256}, the file has {actual}); it was changed "
                    "on disk and was not read", where=where,
                    hint="run the graph again so the step that made it writes it anew")


def _is_parquet(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def spark_parquet_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest in ``path`` when it is a spark-parquet manifest, else ``None``."""
    try:
        if path.stat().st_size > _MANIFEST_MAX_BYTES:
            return None
        with open(path, "rb") as handle:
            if handle.read(1) != b"{":
                return None
            handle.seek(0)
            data = json.loads(handle.read().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if isinstance(data, dict) and data.get("format") == SPARK_PARQUET_FORMAT:
        return data
    return None


def read_spark_parquet(manifest: Mapping[str, Any], where: str, what: str) -> pd.DataFrame:
    """The rows of a spark-parquet manifest: every part file checked, then read in order."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    directory = Path(str(manifest.get("directory") or ""))
    files = manifest.get("files") or []
    if not directory.is_dir():
        raise UnusableInputError(
            f"the Parquet directory {str(directory)!r} of {what} cannot be reached from here",
            where=where, hint="run the step where the Spark engine's data directory is mounted")
    tables = []
    for entry in files:
        part = directory / str(entry.get("name"))
        if not part.is_file() or part.stat().st_size != int(entry.get("bytes", -1)):
            raise UnusableInputError(f"part file {str(part)!r} of {what} is missing or changed",
                                     where=where)
        if sha256_file(part) != entry.get("sha256"):
            raise UnusableInputError(f"part file {str(part)!r} of {what} does not match its "
                                     "sha256", where=where, hint="the data was changed on disk")
        tables.append(pq.read_table(part))
    if not tables:
        return pd.DataFrame(columns=list(manifest.get("columns") or []))
    return pa.concat_tables(tables, promote_options="default").to_pandas()


def read_table(path: Path, where: str, what: str = "file") -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame. Parquet is recognised by its magic bytes (or a
    ``.parquet``/``.pq`` suffix), so artifacts stored by sha256 without a suffix read too; a
    spark-parquet manifest reads as the rows it names."""
    if not path.exists():
        raise UnusableInputError(f"{what} {str(path)!r} does not exist", where=where,
                                 hint="check the path")
    if path.is_dir():
        raise UnusableInputError(f"{what} {str(path)!r} is a directory, not a file",
                                 where=where)
    manifest = spark_parquet_manifest(path)
    if manifest is not None:
        try:
            return read_spark_parquet(manifest, where, what)
        except UnusableInputError:
            raise
        except Exception as exc:  # pyarrow raises its own exception family
            raise UnusableInputError(f"cannot read {what} {str(path)!r}: {exc}",
                                     where=where) from None
    try:
        if path.suffix.lower() in {".parquet", ".pq"} or _is_parquet(path):
            return pd.read_parquet(path)
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise UnusableInputError(f"{what} {str(path)!r} is empty", where=where) from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnusableInputError(f"cannot read {what} {str(path)!r}: {first}",
                                 where=where) from None
    except Exception as exc:  # pyarrow raises its own exception family
        if type(exc).__module__.startswith("pyarrow"):
            raise UnusableInputError(f"cannot read {what} {str(path)!r}: {exc}",
                                     where=where) from None
        raise


def read_dataset(path: Path, where: str) -> pd.DataFrame:
    """A dataset artifact; ``row_id`` is added as 0..n-1 when the file has none."""
    frame = read_table(path, where, "dataset")
    if ROW_ID not in frame.columns:
        frame.insert(0, ROW_ID, np.arange(len(frame), dtype=np.int64))
    return frame


def dataset_target(frame: pd.DataFrame, meta: Mapping[str, Any], where: str,
                   required: bool) -> str | None:
    """The target column named by the dataset's meta (``"target"`` when the meta is silent)."""
    target = meta.get("target", "target")
    if target and target in frame.columns:
        return str(target)
    if required:
        raise InvalidInputError(
            f"the dataset has no target column {target!r}" if target
            else "the dataset has no target column",
            where=where,
            hint=f"columns: {', '.join(map(str, frame.columns[:20]))}; "
                 "set the data source's 'target' parameter",
        )
    return None


def feature_columns(frame: pd.DataFrame, target: str | None) -> list[str]:
    """Columns usable as features: all but ``row_id``, the target, ``timestamp`` and datetimes."""
    out = []
    for name in frame.columns:
        if name in (ROW_ID, target, TIMESTAMP):
            continue
        if pd.api.types.is_datetime64_any_dtype(frame[name]):
            continue
        out.append(str(name))
    return out


def non_numeric(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The columns among ``columns`` that are neither numeric nor boolean."""
    return [
        c for c in columns
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    ]


def to_epoch_ms(values: pd.Series, where: str, column: str) -> np.ndarray:
    """``values`` as int64 epoch milliseconds (see the module docstring for the rules)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        stamps = pd.to_datetime(values, utc=True)
    elif pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("float64")
        if numbers.isna().any():
            raise InvalidInputError(f"{int(numbers.isna().sum())} row(s) have no time",
                                    where=f"{where}, column {column!r}")
        return numbers.round().astype(np.int64).to_numpy()
    else:
        stamps = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    if stamps.isna().any():
        raise InvalidInputError(
            f"{int(stamps.isna().sum())} row(s) have no readable time",
            where=f"{where}, column {column!r}",
            hint="use ISO dates or epoch milliseconds",
        )
    return (stamps.astype("datetime64[ns, UTC]").astype(np.int64) // 1_000_000).to_numpy()


def write_parquet(frame: pd.DataFrame, output_dir: Path, name: str) -> str:
    frame.to_parquet(output_dir / name, index=False)
    return name


def write_json(data: Mapping[str, Any], output_dir: Path, name: str) -> str:
    text = json.dumps(jsonable(data), indent=2, sort_keys=True, allow_nan=False)
    (output_dir / name).write_text(text + "\n", encoding="utf-8")
    return name
