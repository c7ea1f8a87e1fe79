"""Row positions and times of Spark DataFrames, ordered the way the runtime orders rows.

``with_positions(df, order)`` adds ``_wb_pos``, each row's 0-based place: in the DataFrame's
own order (``order=None``: partition by partition, as a file is read, which is how the
runtime numbers ``row_id``) or sorted by ``order``. Positions come from
``monotonically_increasing_id`` plus per-partition offsets counted in a first job, so they
need the same partitioning twice: a plan with a shuffle (or any sort) is locally
checkpointed first, so that both jobs read the same partitions (an executor lost after that
fails the step rather than renumbering rows). When the order is ``row_id`` alone and the ids
are the dense range ``min..min+n-1`` (what every data source writes), the position is
``row_id - min`` and nothing is sorted (row ids are unique: every data source checks it).

``epoch_ms(df, column, where)`` is the runtime's time rule in Spark: timestamps and dates
(naive ones are UTC: the session time zone is UTC) to epoch milliseconds, numbers taken as
milliseconds (rounded), text parsed with Spark's timestamp parser (ISO forms); a row without a
readable time is an ``InvalidInputError`` naming the column, as in the runtime.

Rules: pyspark is imported inside the functions (this module is imported by the driver
process and by Python workers only).
"""

from __future__ import annotations

from typing import Any

from workbench.engines.runtime.artifacts import ROW_ID
from workbench.errors import InvalidInputError

__all__ = ["POS", "TS", "epoch_ms", "has_shuffle", "with_positions"]

POS = "_wb_pos"
TS = "_wb_ts"
_MID, _PART = "_wb_mid", "_wb_part"


def has_shuffle(df: Any) -> bool:
    plan = df._jdf.queryExecution().executedPlan().toString()
    return "Exchange" in plan or "Sort" in plan


def _tagged_positions(df: Any, checkpoint: bool) -> Any:
    from pyspark.sql import functions as F

    tagged = df.withColumn(_MID, F.monotonically_increasing_id()).withColumn(
        _PART, F.spark_partition_id())
    if checkpoint:
        tagged = tagged.localCheckpoint(eager=True)
    counts = {int(r[0]): int(r[1]) for r in tagged.groupBy(_PART).count().collect()}
    n_parts = max(tagged.rdd.getNumPartitions(), max(counts, default=-1) + 1)
    offsets, running = [], 0
    for part in range(n_parts):
        offsets.append(running)
        running += counts.get(part, 0)
    offset = F.element_at(F.array(*[F.lit(o).cast("long") for o in offsets or [0]]),
                          F.col(_PART) + 1)
    pos = offset + F.col(_MID) - F.shiftleft(F.col(_PART).cast("long"), 33)
    return tagged.withColumn(POS, pos).drop(_MID, _PART)


def with_positions(df: Any, order: list[str] | None = None) -> Any:
    """``df`` with ``_wb_pos`` (see the module docstring)."""
    from pyspark.sql import functions as F

    if order is None:
        return _tagged_positions(df, checkpoint=has_shuffle(df))
    if order == [ROW_ID]:
        stats = df.agg(F.min(ROW_ID), F.max(ROW_ID), F.count(F.lit(1))).first()
        low, high, n = stats[0], stats[1], int(stats[2])
        if n == 0 or high - low + 1 == n:  # unique ids (every data source checks) in a dense range
            return df.withColumn(POS, (F.col(ROW_ID) - F.lit(low or 0)).cast("long"))
    return _tagged_positions(df.orderBy(*order), checkpoint=True)


def epoch_ms(df: Any, column: str, where: str) -> Any:
    """The column as epoch milliseconds (a Column); unreadable times are an error."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    dtype = df.schema[column].dataType
    col = F.col(f"`{column}`")
    if isinstance(dtype, T.TimestampType | T.TimestampNTZType | T.DateType):
        value = F.unix_millis(col.cast("timestamp"))
    elif isinstance(dtype, T.NumericType):
        value = F.round(col.cast("double")).cast("long")
    else:
        value = F.unix_millis(F.try_to_timestamp(col.cast("string")))
    missing = df.select(F.sum(F.when(value.isNull(), 1).otherwise(0))).first()[0] or 0
    if missing:
        raise InvalidInputError(f"{int(missing)} row(s) have no readable time",
                                where=f"{where}, column {column!r}",
                                hint="use ISO dates or epoch milliseconds")
    return value
