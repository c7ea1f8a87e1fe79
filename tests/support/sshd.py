"""A private OpenSSH server for tests, on 127.0.0.1 and a free port, with a fresh host key
and a fresh client key. Stopped by its own pid.

It keeps OpenSSH's stock limits (``MaxSessions 10``, ``MaxStartups 10:30:100``), as real hosts
do: the configuration only says where to listen, which keys to use and that root may log in
with a key."""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.postgres import free_port

SSHD = "/usr/sbin/sshd"


def available() -> tuple[bool, str]:
    if not Path(SSHD).exists():
        return False, "OpenSSH server not installed (apt-get install openssh-server)"
    if shutil.which("ssh-keygen") is None:
        return False, "ssh-keygen not found"
    try:
        import paramiko  # noqa: F401
    except ImportError:
        return False, "paramiko is not installed"
    return True, ""


def keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True)
    return path


@dataclass
class SshServer:
    root: Path
    port: int
    user: str
    client_key: Path
    host_key: Path
    proc: subprocess.Popen[bytes] | None = None

    @property
    def host_public_key(self) -> str:
        return Path(f"{self.host_key}.pub").read_text().split()[1]

    def known_hosts_line(self) -> str:
        kind, key = Path(f"{self.host_key}.pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {key}\n"

    def authorise(self, public_key_file: Path) -> None:
        with open(self.root / f"authorized_keys_{self.user}", "a") as handle:
            handle.write(Path(public_key_file).read_text())

    def start(self) -> None:
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        config = self.root / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {self.host_key}\nPidFile {self.root / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {self.root}/authorized_keys_%u\nPubkeyAuthentication yes\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n"
            "UsePAM no\nStrictModes no\nSubsystem sftp internal-sftp\n")
        checked = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True, check=False)
        if checked.returncode != 0:
            raise RuntimeError(f"sshd config rejected: {checked.stderr}")
        self.proc = subprocess.Popen([SSHD, "-f", str(config), "-D", "-E", str(self.root / "sshd.log")])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not listen on port {self.port}")

    def log(self) -> str:
        path = self.root / "sshd.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def connections(self) -> int:
        """How many connections this sshd is serving now (one child process each)."""
        if not self.proc:
            return 0
        return sum(1 for parent in _parents().values() if parent == self.proc.pid)

    def logins(self) -> int:
        """How many connections this sshd has authenticated so far (its log says each)."""
        return self.log().count("Accepted publickey for ")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=10)

    def kill_connections(self) -> None:
        """Kill this sshd and the per-connection processes it forked (a dropped network); the
        sshd processes of other servers on the machine are left alone."""
        if not self.proc:
            return
        forked = [pid for pid in _descendants(self.proc.pid) if _command_name(pid) == "sshd"]
        self.proc.kill()
        self.proc.wait(timeout=10)
        for pid in forked:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)


def _parents() -> dict[int, int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat[stat.rindex(")") + 2:].split()[1])
    return parents


def _descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in _parents().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], list(children.get(root, []))
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo += children.get(pid, [])
    return found


def _command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def start(user: str | None = None, passphrase: str = "") -> SshServer:
    ok, why = available()
    if not ok:
        raise RuntimeError(why)
    root = Path(tempfile.mkdtemp(prefix="wb-sshd-"))
    server = SshServer(root, free_port(), user or getpass.getuser(),
                       keygen(root / "client_key", passphrase), keygen(root / "ssh_host_ed25519_key"))
    server.authorise(Path(f"{server.client_key}.pub"))
    server.start()
    return server
