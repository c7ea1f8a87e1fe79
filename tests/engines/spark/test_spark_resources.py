"""A Spark step's resource figures: the driver's process tree (its JVM included) and what
Spark's status tracker says of the executors, as ``resources/…`` metric series."""

from __future__ import annotations

from tests.engines.spark.conftest import SparkChain
from workbench.engines.runtime.resources import parse_resource_key


def test_a_spark_step_reports_driver_and_executor_figures(on_spark: SparkChain) -> None:
    on_spark.run("res_table", "data_source", {"format": "table", "query": "sales", "target": "label"})
    series: dict[str, list[float]] = {}
    for event in on_spark.events:
        parsed = parse_resource_key(str(event.get("metric", "")))
        if parsed is not None:
            series.setdefault(parsed[1], []).append(float(event["value"]))
    assert {"rss_mb", "cpu_s", "spark_executors", "spark_running_tasks", "spark_storage_used_mb",
            "spark_storage_total_mb"} <= set(series)
    assert max(series["rss_mb"]) > 200  # the driver's JVM is counted with the Python process
    assert series["spark_executors"][-1] == 1  # local[2]: the driver is the executor
    assert max(series["spark_storage_total_mb"]) > 0
    assert min(series["cpu_s"]) >= 0  # counted from the step's start, not the driver's
