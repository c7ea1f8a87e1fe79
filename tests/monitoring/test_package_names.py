"""``workbench.monitoring`` imports its modules on demand: every name it exports resolves to the
object its module defines, and importing the package alone loads neither pandas nor scipy."""

from __future__ import annotations

import importlib
import subprocess
import sys

from tests.support.cli import ROOT


def test_every_exported_name_resolves_to_its_modules_object() -> None:
    import workbench.monitoring as monitoring

    assert sorted(monitoring.__all__) == sorted(monitoring._MODULE_OF)
    for name, module in monitoring._MODULE_OF.items():
        defined = getattr(importlib.import_module(f"workbench.monitoring.{module}"), name)
        assert getattr(monitoring, name) is defined, name


def test_the_package_alone_loads_no_analytics_library() -> None:
    code = ("import sys, workbench.monitoring, workbench.monitoring.methods\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pandas', 'scipy'}))")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
