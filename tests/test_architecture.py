"""The layering rules hold: only ``workbench.ui`` imports Qt, and the core starts without Qt
or heavy libraries."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

from tests.support.cli import ROOT, workbench

BLOCKER = r"""
import sys
class Blocker:
    banned = ("PySide6", "pyqtgraph", "shiboken6", "torch", "pyspark", "paramiko", "sklearn")
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.banned:
            raise ImportError(f"{name} imported by the core at start-up")
        return None
sys.meta_path.insert(0, Blocker())
"""


def test_import_contracts_hold() -> None:
    lint = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command; "
                           "lint_imports_command()"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    assert f"Contracts: {len(contracts)} kept, 0 broken." in lint.stdout


def test_core_and_cli_import_without_qt_or_heavy_libraries() -> None:
    code = BLOCKER + r"""
import importlib, pkgutil, workbench
for info in pkgutil.walk_packages(workbench.__path__, "workbench."):
    if info.name.startswith("workbench.ui") or ".migrations" in info.name:
        continue
    importlib.import_module(info.name)
from workbench.cli import build_parser
build_parser()
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_cli_help_runs_without_qt() -> None:
    code = BLOCKER + "from workbench.main import main\nimport sys\nsys.exit(main(['--help']))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0 and "workbench" in done.stdout, done.stderr


def test_the_code_is_lint_clean() -> None:
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "workbench", "tests", "benchmarks", "packaging",
                           "resources"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:]


def test_a_store_command_starts_without_the_analytics_libraries(tmp_path: Path) -> None:
    """The command line loads every command family to list them; a command that reads the store
    must not pay for pandas and scipy.stats on the way (they doubled its start: 1.5 s → 0.8 s)."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    assert workbench("--store", url, "--user", "admin", "init").returncode == 0
    code = ("import sys\nfrom workbench.main import main\n"
            f"rc = main(['--store', {url!r}, '--user', 'admin', 'runs', 'list'])\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy', 'sklearn'}))\n"
            "sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout
