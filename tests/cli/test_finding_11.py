"""Issue 13, finding 11: ``targets add ssh --user`` is the SSH login on the host; it never
replaces the global ``--user`` (who acts)."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import no_traceback, workbench
from tests.support.store_setup import cast_store


def test_finding_11_ssh_user_is_not_the_acting_user(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'store.db'}"
    cast_store(url).close()
    env = {"WORKBENCH_USER": "", "HOME": str(tmp_path / "home")}
    added = workbench("--store", url, "--user", "bob", "targets", "add", "ssh", "box", "--host", "gpu.example.org",
                      "--user", "remoteuser", "--work-dir", "/srv/workbench", env=env)
    assert added.returncode == 0, added.stderr
    assert no_traceback(added)
    # without an SSH login the ssh parser's default must not blank out the acting user either
    plain = workbench("--store", url, "--user", "bob", "targets", "add", "ssh", "box2", "--host", "gpu.example.org",
                      env=env)
    assert plain.returncode == 0, plain.stderr

    from workbench.store import open_store

    store = open_store(url)
    try:
        with store.read() as uow:
            assert uow.targets.get("box").params["user"] == "remoteuser"  # the SSH login on the host
            assert "user" not in uow.targets.get("box2").params
            entries = {e.subject: e for e in uow.audit.all() if e.action == "targets.add"}
        assert entries["target:box"].actor == "bob"  # who acted: the global --user
        assert entries["target:box2"].actor == "bob"
    finally:
        store.close()
