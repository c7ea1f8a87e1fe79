"""Resource figures of a step: the runtime's sampler sends CPU and resident-memory series while
the step runs (local engine), and a step that runs out of memory — a ``MemoryError`` under an
address-space limit, or a SIGKILL such as the kernel's out-of-memory killer sends — fails with
a message that says so and quotes its peak resident memory."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from workbench.engines.base import StepLaunch
from workbench.engines.local import LocalEngine
from workbench.engines.runtime.resources import ResourceSampler, parse_resource_key, resource_key


def _launch(tmp_path: Path, params: dict[str, Any], events: list[dict[str, Any]], **extra: Any) -> StepLaunch:
    workdir = tmp_path / "work"
    workdir.mkdir(exist_ok=True)
    spec = {"node": {"id": "load", "kind": "data_source", "params": params}, "inputs": {},
            "options": {"seed": 1}, "run": {"run_id": 1, "step_id": 41}}
    return StepLaunch(spec=spec, workdir=workdir, on_event=events.append, **extra)


def _series(events: list[dict[str, Any]]) -> dict[str, list[tuple[int, float]]]:
    out: dict[str, list[tuple[int, float]]] = {}
    for event in events:
        parsed = parse_resource_key(str(event.get("metric", "")))
        if parsed is not None:
            assert parsed[0] == 41
            out.setdefault(parsed[1], []).append((event["step"], event["value"]))
    return out


def test_a_local_step_reports_cpu_and_resident_memory_series(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    launch = _launch(tmp_path, {"format": "builtin", "builtin": "wine"}, events)
    outcome = LocalEngine().run_step(launch)
    assert outcome.ok, outcome.describe_failure()
    series = _series(events)
    assert {"cpu_s", "rss_mb", "cpu_percent"} <= set(series)
    rss = [v for _, v in series["rss_mb"]]
    assert len(rss) >= 2 and 20 < max(rss) < 4000  # a Python process with pandas loaded
    cpu = [v for _, v in series["cpu_s"]]
    assert cpu == sorted(cpu) and cpu[-1] > 0.1
    stamps = [t for t, _ in series["rss_mb"]]
    assert stamps == sorted(stamps)  # milliseconds since the step started
    assert outcome.result is not None
    assert abs(outcome.result["info"]["peak_rss_mb"] - max(rss)) < 0.25 * max(rss)
    assert launch.peak_rss_mb == max(rss)  # the engine's router kept the peak
    assert not any(key.startswith("gpu_") for key in series)  # no GPU in use here


def test_the_sampler_counts_child_processes(tmp_path: Path) -> None:
    import subprocess

    sent: list[dict[str, Any]] = []
    child = subprocess.Popen([sys.executable, "-c", "b = bytearray(150 * 2**20); import time; time.sleep(30)"])
    try:
        sampler = ResourceSampler(5, emit=sent.append)
        alone = None
        for _ in range(100):  # until the child holds its 150 MB
            figures = sampler.sample()
            alone = alone or figures["rss_mb"]
            if figures["rss_mb"] > 140:
                break
            import time

            time.sleep(0.05)
        assert sampler.peak_rss_mb is not None and sampler.peak_rss_mb > 140
    finally:
        child.kill()
        child.wait()
    assert {e["metric"] for e in sent} >= {resource_key(5, "rss_mb"), resource_key(5, "cpu_s")}


def test_a_memory_error_says_the_step_ran_out_of_memory(tmp_path: Path) -> None:
    # the step's Python runs under a 900 MB address-space limit; the query asks for a 950 MB value
    wrapper = tmp_path / "python"
    wrapper.write_text(f'#!/bin/sh\nulimit -v 900000\nexec {sys.executable} "$@"\n', encoding="utf-8")
    wrapper.chmod(0o755)
    events: list[dict[str, Any]] = []
    launch = _launch(tmp_path, {"format": "sql", "url": f"sqlite:///{tmp_path}/x.db",
                                "query": "SELECT zeroblob(950000000) AS x", "target": ""}, events)
    outcome = LocalEngine(python=str(wrapper)).run_step(launch)
    assert not outcome.ok and outcome.exit_code == 1
    message = outcome.describe_failure(launch.peak_rss_mb)
    assert "node 'load' (data_source): the step ran out of memory (MemoryError)" in message
    assert "its peak resident memory was" in message and " MB" in message
    assert "SQL query" not in message


def test_a_step_killed_by_sigkill_says_it_probably_ran_out_of_memory(tmp_path: Path) -> None:
    events: list[dict[str, Any]] = []
    started: list[int] = []

    def on_event(event: dict[str, Any]) -> None:
        events.append(event)
        if str(event.get("metric", "")).endswith("/rss_mb") and started:
            os.killpg(started[0], signal.SIGKILL)  # what the out-of-memory killer does

    # a query that keeps SQLite busy for many seconds: the kill comes long before it ends
    slow = ("WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r LIMIT 400000000) "
            "SELECT count(*) AS n FROM r")
    launch = _launch(tmp_path, {"format": "sql", "url": f"sqlite:///{tmp_path}/x.db", "query": slow,
                                "target": ""}, events, on_start=started.append)
    launch.on_event = on_event
    outcome = LocalEngine().run_step(launch)
    assert outcome.exit_code == -signal.SIGKILL
    assert launch.peak_rss_mb is not None and launch.peak_rss_mb > 10
    message = outcome.describe_failure(launch.peak_rss_mb)
    assert "killed by signal 9 (SIGKILL)" in message and "ran out of memory" in message
    assert f"peaked at {launch.peak_rss_mb:,.0f} MB" in message


def test_a_long_step_is_sampled_less_often() -> None:
    sampler = ResourceSampler(1, emit=lambda event: None, interval=0.5)
    assert sampler.next_wait() == 0.5
    sampler._started -= 600  # ten minutes in
    assert 4 <= sampler.next_wait() <= 5
    sampler._started -= 36_000
    assert sampler.next_wait() == 5.0
