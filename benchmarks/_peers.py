"""Peer tools for benchmarks live in their own virtual environments under ``.peers/``.

They are never dependencies of the workbench: a benchmark creates the environment on first
use (``python -m venv`` + ``pip install``), then runs the peer in a subprocess of it.
"""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path

PEERS = Path(__file__).resolve().parent / ".peers"


def peer_python(name: str, requirements: list[str]) -> Path:
    """The python of the peer environment ``name``, created and filled on first use."""
    env = PEERS / f"{name}-venv"
    python = env / "bin" / "python"
    marker = env / ".installed"
    if not marker.exists():
        print(f"setting up {env} with {' '.join(requirements)} (first run only)…", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=not python.exists()).create(env)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements], check=True)
        marker.write_text("\n".join(requirements))
    return python


def run_peer(python: Path, script: str, *args: str, timeout: float = 1800) -> str:
    """Run ``script`` (Python source) with the peer's python; returns its last stdout line."""
    done = subprocess.run([str(python), "-c", script, *args], capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"peer benchmark failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]
