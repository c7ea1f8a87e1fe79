"""One private sshd for the whole test session (a fresh host key and client key, OpenSSH's
stock limits), and a store whose engineer has registered it as a target."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.support import sshd
from tests.support.components import need
from tests.support.store_setup import cast_store


@pytest.fixture(scope="session")
def ssh_server():
    ok, why = sshd.available()
    need(ok, why)
    server = sshd.start()
    yield server
    server.cleanup()


@pytest.fixture
def known_hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "workbench_known_hosts"
    monkeypatch.setenv("WORKBENCH_KNOWN_HOSTS", str(path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no user known_hosts of the machine
    return path


@pytest.fixture
def store(tmp_path: Path, known_hosts: Path):
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def ssh_params(server: sshd.SshServer, tmp_path: Path, **overrides: object) -> dict:
    params = {"host": "127.0.0.1", "port": server.port, "user": server.user, "key_file": str(server.client_key),
              "work_dir": str(tmp_path / "remote-work"), "python": sys.executable}
    params.update(overrides)
    return params
