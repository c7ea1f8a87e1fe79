"""Remote environments against the real sshd: ``targets check`` runs the target's own Python and
names the runtime packages it lacks (exit 1, pointing at ``targets provision``); ``provision``
makes a venv on the host from this machine's wheels, sent over SFTP and installed offline,
records its Python as the target's (audited), and a graph's remote steps then run there.

One wheel cache serves the whole session (the first provision packs the wheels, later ones
reuse them). torch is left out: the mechanism is the same for it."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engines.ssh.conftest import ssh_params
from tests.engines.ssh.test_ssh_runs import scoring_graph
from workbench.cli import main
from workbench.engines.errors import TargetError
from workbench.engines.ssh import requirements, wheels
from workbench.errors import WorkbenchError
from workbench.orchestrator.runner import RunDriver
from workbench.progress import Progress
from workbench.services import targets as target_service
from workbench.services.runs import start_run


@pytest.fixture(scope="session")
def wheel_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("wheel-cache")


def bare_python(folder: Path) -> str:
    """A fresh virtual environment's Python: the standard library and nothing else."""
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", "--without-pip", str(folder)], check=True)
    return str(folder / "bin" / "python")


def _register(store, server, tmp_path: Path, python: str, name: str = "box") -> None:  # noqa: ANN001
    target_service.add_target(store, "bob", name, "ssh", ssh_params(server, tmp_path, python=python))
    assert target_service.trust_target(store, "bob", name, lambda offered, known: True)


def test_runtime_packages_come_from_the_runtime_imports_and_the_project_dependencies() -> None:
    packages = {p.dist: p for p in requirements.runtime_packages()}
    for dist in ("numpy", "pandas", "scikit-learn", "pyarrow", "skops", "scipy"):
        assert dist in packages and not packages[dist].optional, dist
    assert packages["pandas"].spec and "<3" in packages["pandas"].spec  # the range of pyproject.toml
    assert packages["scikit-learn"].module == "sklearn"
    assert packages["torch"].optional == "torch"  # only torch steps need it
    assert "paramiko" not in packages and "pyside6-essentials" not in packages  # the runtime never imports them


def test_versions_out_of_range_are_incompatible_and_torch_counts_only_when_wanted() -> None:
    found = {p.dist: "99.0" for p in requirements.runtime_packages()} | {"pandas": "3.0.1", "numpy": "1.21.6",
                                                                        "scikit-learn": "1.4.2", "torch": None}
    statuses = {s.dist: s for s in requirements.assess(found)}
    assert statuses["pandas"].status == "incompatible"  # above the range's ceiling (<3)
    assert statuses["numpy"].status == "incompatible" and "1.21.6 is installed" in statuses["numpy"].describe()
    assert statuses["scikit-learn"].status == "ok"
    assert statuses["torch"].status == "optional-missing" and not statuses["torch"].problem
    assert {s.dist: s for s in requirements.assess(found, want=("torch",))}["torch"].status == "missing"


def test_check_names_the_packages_a_bare_python_lacks_and_exits_1(store, ssh_server, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    python = bare_python(tmp_path / "bare")
    _register(store, ssh_server, tmp_path, python)
    result = target_service.check_target(store, "bob", "box")
    assert not result.ok
    assert {"pandas", "numpy", "scikit-learn", "pyarrow", "skops"} <= set(result.missing)
    assert "torch" not in result.missing  # no GPU on this host: torch is optional here
    assert "pandas" in result.problem and "workbench targets provision box" in result.problem

    code = main(["--store", store.url, "--user", "bob", "targets", "check", "box"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "pandas" in out and "MISSING" in out and python in out
    assert "lacks what steps need" in err and "workbench targets provision box" in err
    assert main(["--store", store.url, "--user", "bob", "targets", "check", "box", "--json"]) == 1
    shown = json.loads(capsys.readouterr().out)
    assert {p["dist"]: p["status"] for p in shown["packages"]}["pandas"] == "missing"
    assert main(["--store", store.url, "--user", "bob", "targets", "check", "box", "--with", "torch"]) == 1
    assert "torch>=" in capsys.readouterr().err


def test_provision_installs_offline_into_a_fresh_venv_and_a_run_then_succeeds(
        store, ssh_server, tmp_path: Path, wheel_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _register(store, ssh_server, tmp_path, bare_python(tmp_path / "bare"))
    with pytest.raises(WorkbenchError, match="targets.manage"):
        target_service.provision_target(store, "anna", "box", want=(), cache=wheel_cache)  # an analyst

    argv = ["--store", store.url, "--user", "bob", "targets", "provision", "box", "--without", "torch",
            "--wheel-cache", str(wheel_cache)]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    venv_python = str(tmp_path / "remote-work" / "venv" / "bin" / "python")
    assert f"provisioned box: its Python is now {venv_python}" in out
    assert "making the virtual environment" in err and "pip, offline: --no-index" in err
    assert "sending pandas-" in err and "MiB)" in err and "Successfully installed" in err
    assert "torch" not in err.split("Successfully installed")[1]
    assert sorted(p.name for p in (tmp_path / "remote-work" / "wheels").glob("*.whl")) == \
        sorted(p.name for p in wheel_cache.glob("*.whl"))  # what went over SFTP came from the cache
    with store.read() as uow:
        assert uow.targets.get("box").params["python"] == venv_python
        entry = uow.audit.all(subject="target:box")[-1]
    assert entry.action == "targets.provision" and entry.payload["python"] == venv_python
    assert {"pandas", "numpy", "scikit-learn", "pyarrow", "skops", "pip"} <= set(entry.payload["installed"])

    checked = target_service.check_target(store, "bob", "box")
    assert checked.ok, checked.problem
    assert main(["--store", store.url, "--user", "bob", "targets", "check", "box"]) == 0
    capsys.readouterr()

    run = start_run(store, "bob", scoring_graph(tmp_path / "remote.yaml", "box"), detach=False)
    assert RunDriver(store, run.id).drive() == "succeeded"

    stages: list[str] = []
    again = target_service.provision_target(store, "bob", "box", want=(), cache=wheel_cache,
                                            progress=Progress(lambda d, t, text: stages.append(text)))
    assert again.python == venv_python
    assert again.installed == {} and again.sent_bytes == 0 and not again.created_venv  # nothing twice
    assert any("nothing to install" in s for s in stages)

    shutil.rmtree(tmp_path / "remote-work" / "venv")  # someone removed the venv on the host
    remade = target_service.provision_target(store, "bob", "box", want=(), cache=wheel_cache)
    assert remade.created_venv and remade.python == venv_python and "pandas" in remade.installed
    assert remade.sent_bytes == 0  # the wheels were still there
    assert target_service.check_target(store, "bob", "box").ok


def test_only_ssh_targets_are_provisioned(store, wheel_cache: Path) -> None:
    target_service.add_target(store, "bob", "here", "local", {"python": sys.executable})
    with pytest.raises(TargetError, match="only SSH targets are provisioned"):
        target_service.provision_target(store, "bob", "here", want=(), cache=wheel_cache)


def test_a_host_with_another_python_is_refused_before_anything_is_sent() -> None:
    here = wheels.local_facts()
    other = {**here, "version": [here["version"][0], here["version"][1] + 1]}
    assert "Python version" in (wheels.host_mismatch(other) or "")
    assert "machine architecture" in (wheels.host_mismatch({**here, "machine": "riscv64"}) or "")
    assert wheels.host_mismatch(here) is None
    if here["libc"][0] == "glibc":
        old = {**here, "libc": ["glibc", "2.17"]}
        numpy = wheels.Wheel("numpy", "1", Path("numpy-1-cp311-cp311-manylinux_2_28_x86_64.whl"),
                             ("cp311-cp311-manylinux_2_28_x86_64",))
        assert "needs glibc 2.28" in (wheels.host_mismatch(old, [numpy]) or "")
