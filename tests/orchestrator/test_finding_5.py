"""Issue 13, finding 5: a run's worker was started with the store password on its command
line, which every local user can read (``ps``). Now the password travels by environment."""

from __future__ import annotations

import os
import time
from pathlib import Path

from workbench.orchestrator.launch import spawn_worker


def _read(path: str) -> bytes:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            data = Path(path).read_bytes()
        except OSError:
            break
        if data:
            return data
        time.sleep(0.01)
    return b""


def test_finding_5_the_store_password_is_not_on_the_workers_command_line(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    secret = "s3cret-Pass-word"
    url = f"postgresql+psycopg://alice:{secret}@127.0.0.1:1/shop"  # nothing listens: the worker soon ends
    pid = spawn_worker(url, 42)
    cmdline, environ = _read(f"/proc/{pid}/cmdline"), _read(f"/proc/{pid}/environ")
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
    assert b"workbench.orchestrator.worker" in cmdline
    assert secret.encode() not in cmdline and b"alice@127.0.0.1:1/shop" in cmdline
    assert f"PGPASSWORD={secret}".encode() in environ.split(b"\0")
