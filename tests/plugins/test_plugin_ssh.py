"""A plug-in kind on an SSH host (a private sshd, see tests/engines/ssh): the step runs there
when the host's Python has the plug-in package at this machine's version, and is refused
before anything is shipped, naming the package and the pip command, when it lacks it or has
another version; ``targets check`` lists the plug-in for each host."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from tests.engines.ssh.conftest import known_hosts, ssh_params, ssh_server, store  # noqa: F401
from tests.plugins.conftest import write_plugin
from tests.plugins.test_plugin_kinds import PLUGIN, outputs, scale_graph
from tests.support.cli import ROOT
from workbench.orchestrator.runner import RunDriver
from workbench.services import targets as target_service
from workbench.services.runs import start_run


def host_python(folder: Path, site: Path | None) -> str:
    """The Python a host runs steps with: this one, with ``site`` installed into it or not."""
    script = folder / "python"
    folder.mkdir(parents=True, exist_ok=True)
    path = os.pathsep.join(p for p in (str(site) if site else "", str(ROOT)) if p)
    script.write_text(f"#!/bin/sh\nPYTHONPATH={path} exec {sys.executable} \"$@\"\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def register(opened, server, tmp_path: Path, name: str, python: str) -> None:  # noqa: ANN001
    target_service.add_target(opened, "bob", name, "ssh",
                              ssh_params(server, tmp_path, python=python,
                                         work_dir=str(tmp_path / f"work-{name}")))
    assert target_service.trust_target(opened, "bob", name, lambda offered, known: True)


def run_on(opened, tmp_path: Path, target: str):  # noqa: ANN001, ANN201
    run = start_run(opened, "bob", scale_graph(tmp_path / f"{target}.yaml", target), detach=False,
                    no_cache=True)
    status = RunDriver(opened, run.id).drive()
    with opened.read() as uow:
        return run.id, status, uow.runs.latest_steps(run.id)["scale"]


def test_a_plugin_kind_runs_on_a_host_that_has_its_package_and_is_refused_elsewhere(
        plugin_site: Path, store, ssh_server, tmp_path: Path) -> None:  # noqa: ANN001, F811
    register(store, ssh_server, tmp_path, "ready", host_python(tmp_path / "ready", plugin_site))
    register(store, ssh_server, tmp_path, "bare", host_python(tmp_path / "bare", None))
    older = write_plugin(tmp_path / "older-site", version="0.2.0")
    register(store, ssh_server, tmp_path, "older", host_python(tmp_path / "older", older))

    run_id, status, step = run_on(store, tmp_path, "ready")
    assert status == "succeeded", step.error
    assert step.target == "ready"
    with store.read() as uow:
        (artifact_id,) = uow.runs.outputs(step.id)["data"]
        assert uow.artifacts.get(artifact_id).lineage["meta"]["plugin"] == PLUGIN
    scaled, data = outputs(store, run_id, "scale"), outputs(store, run_id, "data")
    assert (scaled["mean radius"] == data["mean radius"] * 10).all()

    _, status, step = run_on(store, tmp_path, "bare")
    assert status == "failed"
    assert "node kind 'scale_columns' comes from the plug-in package 'wb-scale-plugin' (0.3.0 here)" \
        in step.error
    assert "target 'bare'" in step.error and "pip install 'wb-scale-plugin==0.3.0'" in step.error
    assert not list((tmp_path / "work-bare").glob("steps/*/spec.json"))  # nothing was shipped

    _, status, step = run_on(store, tmp_path, "older")
    assert status == "failed"
    assert "0.3.0 here, 0.2.0 on the Python" in step.error and "other code" in step.error

    checks = {name: target_service.check_target(store, "bob", name) for name in ("ready", "bare", "older")}
    plugin = {name: next(p for p in check.packages if p["dist"] == "wb-scale-plugin")
              for name, check in checks.items()}
    assert all(check.ok for check in checks.values()), [c.problem for c in checks.values()]
    assert [plugin[n]["status"] for n in ("ready", "bare", "older")] == ["ok", "optional-missing",
                                                                       "optional-other"]
    assert plugin["bare"]["optional"] == "plug-in kinds scale_columns, wrong_result"
