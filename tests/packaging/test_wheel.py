"""The wheel as a user gets it: built from a copy of the working tree, installed (not editable)
into a fresh virtual environment that sees the dependencies but not this checkout, and run as
the installed ``workbench`` command from outside the checkout.

The fresh venv has no pip and no site packages of its own; one ``.pth`` line puts the project
venv's site-packages on its path *as a plain folder*, so the ``.pth`` files there (among them
the editable install's finder) never run and ``import workbench`` can only find the wheel's
copy. Each test asserts so through ``workbench.__file__``.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.support.cli import ROOT
from tests.support.components import need

# Left out of the copy that the wheel is built from: the environment, earlier build outputs
# (a stale build/lib would hide a packaging mistake), caches and version control.
NOT_SOURCES = shutil.ignore_patterns(".venv", "build", "dist", ".git", "*.egg-info", "__pycache__",
                                     ".pytest_cache", ".ruff_cache", ".hypothesis", ".briefcase",
                                     "workbench.dist-info", "logs", "*.db", "*.db-*", ".whl", ".gl",
                                     ".import_linter_cache")


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 180) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    assert result.returncode == 0, (
        f"{' '.join(map(str, args))} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    for module in ("setuptools", "wheel"):
        need(importlib.util.find_spec(module) is not None,
             f"{module} is not installed in this venv (the wheel is built offline, without build "
             "isolation): pip install setuptools wheel")
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCES)
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(work / "dist"), str(source)], cwd=work, env=dict(os.environ))
    (built,) = (work / "dist").glob("mlops_workbench-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A fresh venv with the wheel installed; the dependencies come from this venv's
    site-packages, added as a plain path."""
    venv = tmp_path_factory.mktemp("installed") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    purelib = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                                  capture_output=True, text=True, check=True).stdout.strip())
    (purelib / "project_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
          "--no-compile", "-q", str(wheel)], cwd=venv.parent, env=env)
    return venv, env


def test_the_wheel_carries_the_resources_and_icons(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in sorted((ROOT / "resources").rglob("*")):
        if shipped.is_file() and "__pycache__" not in shipped.parts:
            relative = shipped.relative_to(ROOT / "resources").as_posix()
            assert f"workbench/_resources/{relative}" in names, f"{relative} is not in the wheel"
    for size in (16, 32, 48, 64, 128, 256):
        assert f"workbench/_icons/mlops-workbench-{size}.png" in names
    assert "workbench/_icons/mlops-workbench.svg" in names
    assert not any(name.startswith(("resources/", "icons/", "tests/")) for name in names), \
        "the wheel puts top-level folders into site-packages"


@pytest.mark.slow
def test_the_installed_wheel_runs_templates_and_the_demo(installed: tuple[Path, dict[str, str]],
                                                        tmp_path: Path) -> None:
    venv, env = installed
    purelib = next((venv / "lib").glob("python3*/site-packages"))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import workbench, workbench.resources as r; "
                  "print(workbench.__file__); print(r.resources_root()); print(r.icons_root())"],
                 cwd=outside, env=env).split()
    assert [Path(p).is_relative_to(purelib / "workbench") for p in where] == [True, True, True], (
        f"the installed copy is not the one used: {where}")
    assert not any(Path(p).is_relative_to(ROOT) for p in where)

    templates = _run([str(venv / "bin" / "workbench"), "graph", "templates"], cwd=outside, env=env)
    assert [line.split()[0] for line in templates.splitlines()] == \
        sorted(p.stem for p in (ROOT / "resources" / "templates").glob("*.yaml"))

    store = f"sqlite:///{tmp_path / 'd.db'}"
    # the shortest simulation the demo allows: the same steps, less data (about 30 s here)
    demo = _run([str(venv / "bin" / "workbench"), "--store", store, "--user", "tester", "demo",
                 "--headless", "--folder", str(tmp_path / "files"), "--days", "80"],
                cwd=outside, env=env, timeout=300)
    assert "Demo (a simulation) finished in" in demo and "model card of the champion:" in demo
    assert "Traceback" not in demo
    # the generator shipped in the wheel wrote the demo's data into its folder
    assert any(p.suffix == ".csv" for p in (tmp_path / "files").rglob("*")), \
        f"no data files in {tmp_path / 'files'}: {sorted((tmp_path / 'files').rglob('*'))}"
