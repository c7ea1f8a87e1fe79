"""Reading steps' resource series back: grouping a run's ``resources/<step id>/<figure>``
metric series by step, and the peaks ``workbench runs show`` prints.

The series come from the runtime's sampler (``runtime/resources.py``); a point's ``step`` is
milliseconds since the step started and ``ts`` the store's time of arrival. Figures: ``cpu_percent``,
``cpu_s``, ``rss_mb``, ``gpu_mem_mb``, ``gpu_util_percent`` and, on Spark, ``spark_executors``,
``spark_running_tasks``, ``spark_storage_used_mb``, ``spark_storage_total_mb``.

Rules: pure functions of the columns ``step_metrics`` returns; no store access here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workbench.engines.runtime.resources import RESOURCE_PREFIX, parse_resource_key

__all__ = ["RESOURCE_PREFIX", "by_step", "describe", "peaks"]


def by_step(metrics: dict[str, dict[str, Any]]) -> dict[int, dict[str, dict[str, np.ndarray]]]:
    """``{step id: {figure: {"ms": …, "ts": …, "value": …}}}`` of a run's resource series
    (each sorted by time since the step started); other metrics are left out."""
    out: dict[int, dict[str, dict[str, np.ndarray]]] = {}
    for key, points in metrics.items():
        parsed = parse_resource_key(key)
        if parsed is None or parsed[0] is None or not len(points["value"]):
            continue
        ms = np.asarray(points["step"], dtype=float)
        order = np.argsort(ms, kind="stable")
        out.setdefault(parsed[0], {})[parsed[1]] = {
            "ms": ms[order], "ts": np.asarray(points["ts"], dtype=float)[order],
            "value": np.asarray(points["value"], dtype=float)[order]}
    return out


def _top(figures: dict[str, dict[str, np.ndarray]], name: str) -> float | None:
    values = figures.get(name, {}).get("value")
    return None if values is None or not len(values) else round(float(np.nanmax(values)), 1)


def peaks(figures: dict[str, dict[str, np.ndarray]]) -> dict[str, float | None]:
    """The summary of one step: peak RSS, mean and peak CPU %, CPU seconds, GPU peaks, and on
    Spark the peak executors and storage memory in use (``None`` where not recorded)."""
    cpu = figures.get("cpu_percent", {}).get("value")
    used = figures.get("cpu_s", {}).get("value")
    summary: dict[str, float | None] = {
        "peak_rss_mb": _top(figures, "rss_mb"),
        "mean_cpu_percent": None if cpu is None or not len(cpu) else round(float(np.nanmean(cpu)), 1),
        "peak_cpu_percent": _top(figures, "cpu_percent"),
        "cpu_s": None if used is None or not len(used) else round(float(used[-1]), 2),
        "peak_gpu_mem_mb": _top(figures, "gpu_mem_mb"),
        "peak_gpu_util_percent": _top(figures, "gpu_util_percent"),
    }
    if "spark_executors" in figures:
        summary["peak_spark_executors"] = _top(figures, "spark_executors")
        summary["peak_spark_storage_used_mb"] = _top(figures, "spark_storage_used_mb")
    return summary


def describe(summary: dict[str, float | None]) -> str:
    """One line for a person: ``peak RSS 212 MB · CPU mean 84% peak 101% (1.9 s) · GPU …``."""
    parts = []
    if summary.get("peak_rss_mb") is not None:
        parts.append(f"peak RSS {summary['peak_rss_mb']:,.0f} MB")
    if summary.get("peak_cpu_percent") is not None:
        parts.append(f"CPU mean {summary['mean_cpu_percent']:.0f}% peak {summary['peak_cpu_percent']:.0f}%"
                     + (f" ({summary['cpu_s']:.1f} CPU s)" if summary.get("cpu_s") is not None else ""))
    if summary.get("peak_gpu_mem_mb") is not None:
        parts.append(f"GPU memory peak {summary['peak_gpu_mem_mb']:,.0f} MB")
    if summary.get("peak_gpu_util_percent") is not None:
        parts.append(f"GPU use peak {summary['peak_gpu_util_percent']:.0f}%")
    if summary.get("peak_spark_executors") is not None:
        parts.append(f"Spark executors {summary['peak_spark_executors']:.0f}, storage memory peak "
                     f"{summary.get('peak_spark_storage_used_mb') or 0:,.0f} MB")
    return " · ".join(parts)
