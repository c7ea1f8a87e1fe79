"""``workbench runs show RUN`` prints what each step used: peak resident memory, mean and peak
CPU (and GPU memory when a step used a GPU); ``--json`` gives the same figures per step."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.cli import run_ok
from tests.support.store_setup import cast_store, training_graph
from workbench.orchestrator.runner import RunDriver
from workbench.services.runs import start_run


def test_runs_show_prints_each_steps_peaks(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = cast_store(url)
    try:
        run = start_run(store, "bob", training_graph(tmp_path / "g.yaml", "peaks_m"), detach=False)
        assert RunDriver(store, run.id).drive() == "succeeded"
        with store.read() as uow:
            steps = uow.runs.latest_steps(run.id)
    finally:
        store.close()
    env = {"HOME": str(tmp_path)}
    shown = run_ok("--store", url, "--user", "bob", "runs", "show", str(run.id), env=env).stdout
    lines = shown.splitlines()
    for node in steps:
        at = next(i for i, line in enumerate(lines) if line.strip().startswith(node))
        peak = re.search(r"peak RSS ([\d,]+) MB · CPU mean (\d+)% peak (\d+)%", lines[at + 1])
        assert peak, shown
        assert 20 < int(peak.group(1).replace(",", "")) < 4000
        assert int(peak.group(2)) <= int(peak.group(3))
    assert "GPU" not in shown  # no step used a GPU here
    data = json.loads(run_ok("--store", url, "--user", "bob", "runs", "show", str(run.id), "--json",
                             env=env).stdout)
    for step in data["steps"]:
        used = step["resources"]
        assert used["peak_rss_mb"] > 20 and used["peak_cpu_percent"] >= used["mean_cpu_percent"] >= 0
        assert used["cpu_s"] > 0 and used["peak_gpu_mem_mb"] is None
