"""SSH targets against a real OpenSSH server: host keys are verified (unknown and changed
keys refused, trusted only explicitly), wrong keys and unreachable ports give one clear
error naming the target, ``check`` reports the host, and no secret reaches the store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines.ssh.conftest import ssh_params
from tests.support import sshd
from tests.support.postgres import free_port
from workbench.engines.errors import HostKeyError, TargetError
from workbench.progress import Cancelled, Progress
from workbench.services import targets as target_service


def test_unknown_host_is_refused_with_its_fingerprint_until_trusted(store, ssh_server, tmp_path: Path) -> None:
    target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path))
    refused = target_service.check_target(store, "bob", "box")
    assert not refused.ok and "is not known" in refused.problem and "SHA256:" in refused.problem
    assert "workbench targets trust box" in refused.problem

    shown: list[tuple[str, str | None]] = []
    assert not target_service.trust_target(store, "bob", "box", lambda offered, known: shown.append((offered, known)) or False)
    assert not target_service.check_target(store, "bob", "box").ok  # saying no trusts nothing
    assert shown[0][0].startswith("ssh-ed25519 SHA256:") and shown[0][1] is None

    assert target_service.trust_target(store, "bob", "box", lambda offered, known: True)
    stages: list[str] = []
    checked = target_service.check_target(store, "bob", "box", progress=Progress(lambda d, t, text: stages.append(text)))
    assert checked.ok, checked.problem
    assert stages == ["connecting to box (ssh)", "probing box", "done"]  # what the status bar shows
    stopped = Progress()
    stopped.cancel()
    with pytest.raises(Cancelled):
        target_service.check_target(store, "bob", "box", progress=stopped)
    assert checked.details["cpus"] >= 1 and checked.details["free_disk_gb"] > 0
    assert checked.details["sklearn"] and "gpus" in checked.details
    with store.read() as uow:
        assert [e.action for e in uow.audit.all(subject="target:box")] == ["targets.add", "targets.trust"]


def test_changed_host_key_is_refused(store, tmp_path: Path, known_hosts: Path) -> None:
    server = sshd.start()
    try:
        target_service.add_target(store, "bob", "box", "ssh", ssh_params(server, tmp_path))
        target_service.trust_target(store, "bob", "box", lambda offered, known: True)
        assert target_service.check_target(store, "bob", "box").ok
        server.stop()
        sshd.keygen(tmp_path / "new_host_key")
        server.host_key = tmp_path / "new_host_key"
        server.start()
        result = target_service.check_target(store, "bob", "box")
        assert not result.ok and "CHANGED" in result.problem and "box" in result.problem
        from workbench.engines.ssh.connection import SshParams, connect

        with pytest.raises(HostKeyError):
            connect(SshParams.from_target("box", ssh_params(server, tmp_path)))
    finally:
        server.cleanup()


def test_wrong_user_key_and_unreachable_port(store, ssh_server, tmp_path: Path) -> None:
    stranger = sshd.keygen(tmp_path / "stranger_key")
    target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path, key_file=str(stranger)))
    target_service.trust_target(store, "bob", "box", lambda offered, known: True)
    wrong = target_service.check_target(store, "bob", "box")
    assert not wrong.ok and "refused the key" in wrong.problem and "'box'" in wrong.problem

    target_service.add_target(store, "bob", "gone", "ssh", ssh_params(ssh_server, tmp_path, port=free_port()))
    unreachable = target_service.check_target(store, "bob", "gone")
    assert not unreachable.ok and "cannot reach" in unreachable.problem and "'gone'" in unreachable.problem


def test_passphrase_lives_in_the_keyring_never_in_the_store(store, tmp_path: Path, known_hosts: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "keyring-data"))
    secret = "correct horse battery staple 42"
    server = sshd.start(passphrase=secret)
    try:
        target_service.add_target(store, "bob", "locked", "ssh", ssh_params(server, tmp_path), passphrase=secret)
        target_service.trust_target(store, "bob", "locked", lambda offered, known: True)
        assert target_service.check_target(store, "bob", "locked").ok
        from tests.engines.ssh.test_ssh_runs import scoring_graph
        from workbench.orchestrator.runner import RunDriver
        from workbench.services.runs import start_run

        graph = scoring_graph(tmp_path / "locked.yaml", "locked")
        run = start_run(store, "bob", graph, detach=False)
        assert RunDriver(store, run.id).drive() == "succeeded"
        # nothing the workbench wrote — store, artifacts, logs, graph files, known hosts,
        # the remote work dir — holds the passphrase; only the keyring does
        keyring_dir = tmp_path / "keyring-data"
        written = [p for p in tmp_path.rglob("*") if p.is_file() and keyring_dir not in p.parents]
        assert len(written) >= 8  # store, artifacts, the graph, known hosts, the remote copies
        for path in written:
            assert secret.encode() not in path.read_bytes(), path
        import keyring

        assert keyring.get_password("mlops-workbench", "ssh-passphrase:locked") == secret
        target_service.remove_target(store, "bob", "locked")
        assert keyring.get_password("mlops-workbench", "ssh-passphrase:locked") is None
    finally:
        server.cleanup()


def test_secret_parameters_are_refused(store, ssh_server, tmp_path: Path) -> None:
    with pytest.raises(Exception, match="looks like a secret"):
        target_service.add_target(store, "bob", "box", "ssh", {**ssh_params(ssh_server, tmp_path), "password": "x"})
    with pytest.raises(Exception, match="needs the role"):
        target_service.add_target(store, "anna", "box", "ssh", ssh_params(ssh_server, tmp_path))


def test_no_keyring_is_said_plainly(store, ssh_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    with pytest.raises(TargetError.__mro__[1], match="no OS keyring"):
        target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path), passphrase="pw")
    with store.read() as uow:
        assert uow.targets.find("box") is None  # nothing half-written
    target_service.add_target(store, "bob", "box", "ssh", ssh_params(ssh_server, tmp_path))
    assert target_service.set_passphrase("box", "pw", session_only=True) == "session"
