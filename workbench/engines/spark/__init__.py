"""The Spark engine: steps of a run on an Apache Spark cluster (any master URL).

``engine.SparkEngine`` (in the workbench process) starts one driver process per engine
instance, that is per run and target (``driver``), and talks to it in JSON lines; the driver
keeps one ``SparkSession`` for every step of the run (``session``). Executors per node kind
live in ``steps`` (data sources, runtime steps inside one Spark task or on the driver),
``mllib`` (``train_spark``, Spark ML scoring), ``scoring`` (batch inference with
``mapInPandas``), ``drift`` (drift profiles computed in Spark) and ``frames`` / ``datasets``
(row positions, times, spark-parquet manifests).

Rules: only this package imports pyspark, and only inside the driver process or Spark's Python
workers; importing ``workbench.engines.spark.engine`` does not import pyspark.
"""
