"""Datasets on Spark: input artifacts read as DataFrames, distributed outputs written as
spark-parquet manifests.

Reading (``read_input``): a spark-parquet manifest (``workbench.spark-parquet/1``, see
``runtime/artifacts.py``) is read from its Parquet directory after every listed part file is
found with its recorded size (the sha256 of each part is checked where the data is read
locally; on Spark that would cost a full extra read, so sizes are checked); any other dataset
artifact is a Parquet file (the runtime's format) or, failing that, CSV with a header. Like
the runtime, a dataset without ``row_id`` is numbered 0..n-1 in file order. Parquet files
written by pandas keep nanosecond timestamps, which Spark cannot read as timestamps: the
session reads them as longs (``spark.sql.legacy.parquet.nanosAsLong``) and ``restore_nanos``
turns the columns the file's schema marks as nanosecond timestamps back into timestamps
(microsecond precision, as Spark keeps them).

Writing (``write_manifest``): Spark writes the DataFrame (partition order kept) into
``<data dir>/tmp-<uuid>/``; the part files are renamed ``part-00000.parquet``… in order,
checksum side files and ``_SUCCESS`` are removed, every part is hashed (sha256), and the folder
is renamed to ``<data dir>/<sha>/`` where ``sha`` hashes the ordered list of part hashes (the
same data written the same way lands in the same folder, once). The manifest JSON in the step's
output folder names the folder, the parts (name, bytes, sha256), the row count and columns, so
the manifest's own sha256, which the store records, content-addresses the data.

Rules: pyspark is imported inside the functions; every unusable input is an
``UnusableInputError`` naming the node and the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from workbench.engines.runtime.artifacts import (
    ROW_ID,
    SPARK_PARQUET_FORMAT,
    sha256_file,
    spark_parquet_manifest,
)
from workbench.engines.runtime.spec import InputArtifact
from workbench.engines.spark.frames import POS, with_positions
from workbench.errors import UnusableInputError

__all__ = ["MANIFEST_META_FORMAT", "is_distributed", "read_input", "restore_nanos",
           "write_manifest"]

MANIFEST_META_FORMAT = "spark-parquet"


def is_distributed(artifact: InputArtifact) -> bool:
    """Whether the artifact is a spark-parquet manifest (data that stays distributed)."""
    if artifact.meta.get("format") == MANIFEST_META_FORMAT:
        return True
    return spark_parquet_manifest(artifact.path) is not None


def _is_parquet(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == b"PAR1"
    except OSError:
        return False


def nanos_columns(path: Path) -> list[str]:
    """Columns a local Parquet file (or the first file of a folder) stores as ns timestamps."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.is_dir():
        path = next(iter(sorted(path.rglob("*.parquet"))), path)
    try:
        schema = pq.read_schema(path)
    except Exception:
        return []
    return [f.name for f in schema if pa.types.is_timestamp(f.type) and f.type.unit == "ns"]


def restore_nanos(frame: Any, path: Path) -> Any:
    """``frame`` with the nanosecond timestamp columns of ``path`` as Spark timestamps."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    for name in nanos_columns(path):
        if name in frame.columns and isinstance(frame.schema[name].dataType, T.LongType):
            frame = frame.withColumn(name, F.timestamp_micros(F.expr(f"`{name}` div 1000")))
    return frame


def manifest_paths(manifest: dict[str, Any], where: str, what: str) -> list[str]:
    """The part files of a manifest, each checked for presence and size."""
    directory = Path(str(manifest.get("directory") or ""))
    paths = []
    for entry in manifest.get("files") or []:
        part = directory / str(entry.get("name"))
        try:
            size = part.stat().st_size
        except OSError:
            raise UnusableInputError(f"part file {str(part)!r} of {what} is missing",
                                     where=where, hint="the Spark data directory was cleaned "
                                     "or is not mounted here") from None
        if size != int(entry.get("bytes", -1)):
            raise UnusableInputError(f"part file {str(part)!r} of {what} changed size "
                                     f"({size} bytes, {entry.get('bytes')} recorded)", where=where)
        paths.append(str(part))
    return paths


def read_input(spark: Any, artifact: InputArtifact, where: str, what: str = "dataset",
               add_row_id: bool = True) -> Any:
    """The artifact as a DataFrame (see the module docstring)."""
    path = artifact.path
    if not path.is_file():
        raise UnusableInputError(f"{what} {str(path)!r} does not exist", where=where)
    manifest = spark_parquet_manifest(path)
    try:
        if manifest is not None:
            paths = manifest_paths(manifest, where, what)
            if not paths:
                raise UnusableInputError(f"{what} {str(path)!r} lists no part file", where=where)
            frame = spark.read.parquet(*paths)
        elif _is_parquet(path):
            frame = restore_nanos(spark.read.parquet(str(path)), path)
        else:
            frame = spark.read.csv(str(path), header=True, inferSchema=True)
    except UnusableInputError:
        raise
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnusableInputError(f"cannot read {what} {str(path)!r}: {first}",
                                 where=where) from None
    if add_row_id and ROW_ID not in frame.columns:
        frame = with_positions(frame).withColumnRenamed(POS, ROW_ID)
        frame = frame.select(ROW_ID, *[c for c in frame.columns if c != ROW_ID])
    return frame


def _hash_parts(parts: list[Path]) -> list[str]:
    with ThreadPoolExecutor(max_workers=min(8, max(1, len(parts)))) as pool:
        return list(pool.map(sha256_file, parts))


def write_manifest(df: Any, data_dir: Path, output_dir: Path, name: str) -> dict[str, Any]:
    """Write ``df`` as Parquet under ``data_dir`` and its manifest as ``output_dir/name``."""
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = data_dir / f"tmp-{uuid.uuid4().hex}"
    try:
        df.write.mode("error").parquet(str(staging))
        names = sorted(p.name for p in staging.iterdir()
                       if p.name.startswith("part-") and p.name.endswith(".parquet"))
        for leftover in staging.iterdir():
            if leftover.name not in names:
                leftover.unlink()
        parts = []
        for index, old in enumerate(names):
            new = staging / f"part-{index:05d}.parquet"
            os.replace(staging / old, new)
            parts.append(new)
        hashes = _hash_parts(parts)
        listing = [{"name": p.name, "bytes": p.stat().st_size, "sha256": h}
                   for p, h in zip(parts, hashes, strict=True)]
        content = hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()
        final = data_dir / content
        if final.is_dir():
            shutil.rmtree(staging, ignore_errors=True)
        else:
            os.replace(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    rows = sum(_parquet_rows(final / e["name"]) for e in listing)
    manifest = {"format": SPARK_PARQUET_FORMAT, "directory": str(final.resolve()),
                "files": listing, "rows": rows, "columns": list(df.columns)}
    (output_dir / name).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n",
                                   encoding="utf-8")
    return manifest


def _parquet_rows(path: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(path).metadata.num_rows)
