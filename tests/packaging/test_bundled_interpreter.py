"""An installer bundle's launcher runs the workbench's own Python child processes.

A briefcase launcher always runs ``python -m workbench`` with its arguments, and it is
``sys.executable`` there. Here a link named ``workbench`` to this venv's Python, started as
``workbench -m workbench ARGS``, stands in for it: the same ``sys.executable`` name and the same
arguments reaching ``workbench.__main__``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from tests.support.cli import ROOT


@pytest.fixture()
def launcher(tmp_path: Path):
    link = tmp_path / "bin" / "workbench"
    link.parent.mkdir()
    link.symlink_to(os.path.realpath(sys.executable))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), sysconfig.get_path("purelib")])}

    def run(*args: str, executable: Path = link) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(executable), "-m", "workbench", *args], capture_output=True,
                              text=True, env=env, cwd=tmp_path, timeout=120, check=False)

    return run


def test_the_launcher_runs_code_and_modules_as_python(launcher, tmp_path: Path) -> None:
    code = launcher("-c", "import sys; print(sys.executable.endswith('workbench'), sys.argv)", "a", "b")
    assert code.returncode == 0, code.stderr
    assert code.stdout.strip() == "True ['-c', 'a', 'b']"

    (tmp_path / "in.json").write_text('{"a": [1, 2]}')
    module = launcher("-u", "-P", "-m", "json.tool", "--compact", str(tmp_path / "in.json"))
    assert module.returncode == 0, module.stderr
    assert module.stdout.strip() == '{"a":[1,2]}'

    status = launcher("-c", "raise SystemExit(3)")
    assert status.returncode == 3


def test_the_launcher_still_runs_workbench_commands(launcher) -> None:
    result = launcher("--version")
    assert result.returncode == 0 and result.stdout.startswith("workbench "), result.stderr
    templates = launcher("graph", "templates")
    assert templates.returncode == 0 and "inference" in templates.stdout


def test_a_real_python_never_treats_workbench_arguments_as_python(launcher, tmp_path: Path) -> None:
    python = tmp_path / "bin" / "python3"
    python.symlink_to(os.path.realpath(sys.executable))
    result = launcher("-c", "print('ran')", executable=python)
    assert result.returncode == 2 and "ran" not in result.stdout
    assert "workbench" in result.stderr
