"""The type checker's ratchet: mypy (configured in pyproject.toml) over ``workbench``, each
file held to the count of findings recorded in ``tests/mypy_baseline.json``.

A file with more findings than its count fails the test, with the findings listed; a file with
fewer fails it too, until the baseline is lowered (``python -m tests.test_types --update``),
so the count only goes down. The packages in ``CLEAN`` have no findings and keep none.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = Path(__file__).with_name("mypy_baseline.json")
CLEAN = ("workbench/graph/", "workbench/governance/", "workbench/serving/")
_FINDING = re.compile(r"^(?P<file>workbench/[^:]+\.py):\d+: error: ")


def findings() -> tuple[Counter[str], list[str]]:
    done = subprocess.run([sys.executable, "-m", "mypy", "--no-error-summary"], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    lines = [line for line in done.stdout.splitlines() if _FINDING.match(line)]
    if done.returncode not in (0, 1) or (done.returncode == 1 and not lines):
        raise AssertionError(f"mypy did not run: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    return Counter(_FINDING.match(line)["file"] for line in lines), lines  # type: ignore[index]


def test_types_hold_the_ratchet() -> None:
    counts, lines = findings()
    baseline: dict[str, int] = json.loads(BASELINE.read_text())
    assert not [f for f in baseline if f.startswith(CLEAN)], "the clean packages keep no findings"
    worse = sorted(f for f, n in counts.items() if n > baseline.get(f, 0))
    shown = [line for line in lines if _FINDING.match(line)["file"] in worse]  # type: ignore[index]
    assert not worse, "new type findings (fix them):\n" + "\n".join(shown)
    better = sorted(f for f, n in baseline.items() if counts.get(f, 0) < n)
    assert not better, (f"fewer findings than the baseline in {', '.join(better)}: lower it with "
                        "'python -m tests.test_types --update'")


if __name__ == "__main__":
    if sys.argv[1:] == ["--update"]:
        counts, _ = findings()
        BASELINE.write_text(json.dumps(dict(sorted(counts.items())), indent=1) + "\n")
        print(f"{sum(counts.values())} findings in {len(counts)} files written to {BASELINE}")
