"""Presence across processes: a workbench that says it has a thing open shows up for others;
one that leaves drops out at once, and one killed without a word drops out after the readers'
time-to-live.

Every wait is on a state, not on a clock: each listing starts a Python process, which on a busy
two-core machine takes seconds, so a holder that left after a fixed two seconds could be gone
before the first listing saw it."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cli import ROOT, workbench
from tests.support.store_setup import cast_store


def _who(env: dict[str, str], target: str, ttl: str = "8") -> list[str]:
    listed = workbench("--user", "olga", "presence", "list", target, "--ttl", ttl, "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    return [p["person"] for p in json.loads(listed.stdout)]


def _hold(env: dict[str, str], person: str, target: str, seconds: str) -> subprocess.Popen[str]:
    import os

    return subprocess.Popen([sys.executable, "-m", "workbench", "--user", person, "presence", "hold",
                             target, "--for", seconds, "--every", "0.5"], cwd=ROOT,
                            env={**os.environ, **env}, text=True)


def _until(predicate, timeout: float = 20.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.3)
    return False


def test_presence_appears_leaves_and_expires(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    env = {"WORKBENCH_STORE": url, "PYTHONPATH": str(ROOT)}
    assert _who(env, "run:1") == []

    polite = _hold(env, "bob", "run:1", "120")
    crashed = _hold(env, "anna", "run:1", "120")  # an analyst says where she is, too
    try:
        assert _until(lambda: sorted(_who(env, "run:1")) == ["anna", "bob"], 60)
        polite.send_signal(signal.SIGTERM)  # bob closes his workbench
        assert polite.wait(30) == 0
        assert _who(env, "run:1") == ["anna"]  # he said so as he left: gone at once, not after 8 s
        crashed.send_signal(signal.SIGKILL)
        crashed.wait(10)
        assert _who(env, "run:1") == ["anna"]  # gone without a word: still listed for a while
        assert _until(lambda: _who(env, "run:1") == [], 30)  # then past the time-to-live
    finally:
        for process in (polite, crashed):
            if process.poll() is None:
                process.kill()
