"""Running the real ``workbench`` command in a subprocess, as a user or a CI job would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


DEMO_OUTPUT = "demo-output.txt"  # what the session's demo command printed, beside its store (tests/conftest.py)


def workbench(*args: str, env: dict[str, str] | None = None, stdin: str | None = None,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env.setdefault("PYTHONPATH", str(ROOT))
    return subprocess.run([sys.executable, "-m", "workbench", *args], capture_output=True, text=True,
                          env=full_env, input=stdin, timeout=timeout, check=False)


def no_traceback(result: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback" not in result.stderr and "Traceback" not in result.stdout


def run_ok(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = workbench(*args, env=env)
    assert result.returncode == 0, f"{' '.join(args)} failed: {result.stderr}"
    return result


def joined(args: Sequence[str]) -> str:
    return " ".join(args)
