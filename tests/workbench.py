"""briefcase's test entry for the app ``workbench``: ``briefcase dev --test`` runs this module.

briefcase runs ``python -m tests.<app module>`` in test mode and reads the result from the
line ``>>>>>>>>>> EXIT {rc} <<<<<<<<<<`` (without it, it reports no result). This module runs
a quick, meaningful subset of the real suite with pytest — the graph model and the layering
rules, 10–25 s — from the repository root, Qt offscreen:

    briefcase dev --test --no-isolation            # the default subset
    briefcase dev --test --no-isolation -- tests/store -k sqlite   # any pytest arguments

``--no-isolation`` runs in the current venv, where the requirements are installed; on first
use briefcase has pip confirm them (``PIP_NO_INDEX=1`` keeps that check off the network).

The name does not match pytest's ``test_*.py``, so the normal pytest run never collects it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# test_architecture runs import-linter on the source tree: only where pyproject.toml is.
QUICK = ["tests/graph", "tests/test_architecture.py"]
# Time-budget tests belong to the full run: briefcase runs this in Python's development mode
# (PYTHONDEVMODE=1), which is slower by design, so their budgets would only add flakiness here.
TIMED = [
    "tests/graph/test_graph_validate.py::"
    "test_ten_thousand_nodes_load_and_validate_in_well_under_two_seconds",
    "tests/graph/test_graph_validate.py::"
    "test_a_cycle_in_a_big_file_is_found_without_quadratic_cost",
]
EXIT_MARKER = ">>>>>>>>>> EXIT {rc} <<<<<<<<<<"


def run(args: list[str]) -> int:
    """pytest's exit code for ``args``, or for the quick subset when ``args`` is empty."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import pytest

    if not args:
        args = [path for path in QUICK if (ROOT / path).exists()
                and (path != "tests/test_architecture.py" or (ROOT / "pyproject.toml").exists())]
        args += [f"--deselect={node}" for node in TIMED]
    return int(pytest.main(["-q", "-p", "no:cacheprovider", *args]))


if __name__ == "__main__":
    code = run(sys.argv[1:])
    print(EXIT_MARKER.format(rc=code), flush=True)
    sys.exit(code)
