"""The Debian package end to end: ``packaging/build.sh deb`` builds the .deb (offline with the
vendored briefcase template when it is there), trims the bundle, installs the package with
apt-get, starts the installed app to its first window, runs ``--version`` and the headless demo
from it and uninstalls it.

Marked ``installer`` (deselected by default): it takes minutes, needs root or sudo for apt-get
and changes the machine's installed packages while it runs. Run before each release with
``pytest -m installer``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.cli import ROOT
from tests.support.components import need

pytestmark = [pytest.mark.installer, pytest.mark.timeout(3000)]

# What the installed app may take (the files of the .deb): at most 400 MB, and in MiB too. Trimmed,
# it is 395 MB (377 MiB): PySide6 78 MB, of which ICU's data 13 MB; pyarrow 82 MB; two OpenBLAS
# builds for numpy and scipy 50 MB; scipy 57 MB; pandas 30 MB; scikit-learn 22 MB.
INSTALLED_MB_LIMIT = 400
INSTALLED_MIB_LIMIT = 381


def test_build_sh_deb_builds_installs_runs_and_uninstalls_the_package(tmp_path: Path) -> None:
    need(sys.platform == "linux" and shutil.which("dpkg-deb") is not None
         and shutil.which("apt-get") is not None, "needs a Debian-based Linux (dpkg-deb, apt-get)")
    need(os.geteuid() == 0 or shutil.which("sudo") is not None,
         "apt-get install needs root or sudo")
    need(Path("/usr/bin/python3").exists(), "briefcase builds with the system /usr/bin/python3")
    log = tmp_path / "build.log"
    with log.open("w") as out:
        result = subprocess.run(["nice", "-n", "19", str(ROOT / "packaging" / "build.sh"), "deb"],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, timeout=2700,
                                check=False)
    text = log.read_text(errors="replace")
    assert result.returncode == 0, f"packaging/build.sh deb exited {result.returncode}:\n{text[-4000:]}"
    for step in ("showed its first window", "check_deb.sh: workbench 0.1.0",
                 "Demo (a simulation) finished in", "time-zone names and case mapping work",
                 "check_installed: opened 6 roles", "all checks passed"):
        assert step in text, f"no '{step}' in the build's output:\n{text[-4000:]}"
    sizes = re.search(r"installs (\d+) MiB \((\d+) MB\)", text)
    assert sizes, text[-2000:]
    mib, mb = int(sizes.group(1)), int(sizes.group(2))
    assert mb <= INSTALLED_MB_LIMIT and mib <= INSTALLED_MIB_LIMIT, f"the installed app takes {mb} MB"
    # the package leaves out what the app does not load at run time
    built = re.search(r"^build\.sh: built (\S+\.deb):", text, flags=re.MULTILINE)
    assert built, text[-2000:]
    contents = subprocess.run(["dpkg-deb", "--contents", str(ROOT / built.group(1))],
                              capture_output=True, text=True, check=True).stdout
    packages = set(re.findall(r"/usr/lib/workbench/app_packages/([^/\s]+)/", contents))
    assert {"PySide6", "pyarrow", "pandas", "sklearn", "scipy"} <= packages
    assert not packages & {"statsmodels", "pytest", "_pytest", "hypothesis", "briefcase",
                           "ruff", "pytestqt"}, packages
    for left_out in ("/tests/", "libQt6Quick", "libQt6Designer", "/Qt/qml/", "libarrow_flight",
                     "libqeglfs", "/prettytable/", "/wcwidth/", "/numpy/distutils/", "RECORD"):
        assert left_out not in contents, f"the package carries {left_out}"
    assert "/usr/lib/workbench/app/resources/templates/inference.yaml" in contents
    assert "/usr/share/doc/workbench/changelog" in contents
