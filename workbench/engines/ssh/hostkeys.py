"""Host keys: an unknown host is refused with its fingerprint shown, and trusted only by an
explicit act of the user (``workbench targets trust NAME`` or the trust dialog) — never
silently. Keys are checked against the user's ``~/.ssh/known_hosts`` and the workbench's own
known_hosts file in its data directory; trusting writes to the workbench's file only.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
from pathlib import Path
from typing import Any

from workbench.engines.errors import TargetError


def workbench_known_hosts() -> Path:
    configured = os.environ.get("WORKBENCH_KNOWN_HOSTS")
    if configured:
        return Path(configured)
    from workbench.store.urls import default_data_dir

    return default_data_dir() / "known_hosts"


def host_label(host: str, port: int) -> str:
    return host if port == 22 else f"[{host}]:{port}"


def fingerprint(key: Any) -> str:
    """OpenSSH's form: ``ssh-ed25519 SHA256:…``."""
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


def fetch_host_key(host: str, port: int, timeout: float = 10.0) -> Any:
    """The key the host offers, read without authenticating."""
    import paramiko

    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        raise TargetError(f"cannot reach {host}:{port}: {exc.strerror or exc}") from None
    transport = paramiko.Transport(sock)
    try:
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except paramiko.SSHException as exc:
        raise TargetError(f"{host}:{port} did not speak SSH: {exc}") from None
    finally:
        transport.close()


def known_host_keys(extra: Path | None = None) -> Any:
    """Every known host key: the user's file, the workbench's file, and ``extra``."""
    import paramiko

    keys = paramiko.HostKeys()
    for path in (Path.home() / ".ssh" / "known_hosts", workbench_known_hosts(), extra):
        if path is not None and Path(path).is_file():
            keys.load(str(path))
    return keys


def known_key(host: str, port: int, extra: Path | None = None) -> Any | None:
    entry = known_host_keys(extra).lookup(host_label(host, port))
    if not entry:
        return None
    return next(iter(entry.values()))


def trust(host: str, port: int, key: Any) -> Path:
    """Record ``key`` as the host's key in the workbench's known_hosts file."""
    import paramiko

    path = workbench_known_hosts()
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = paramiko.HostKeys()
    if path.is_file():
        keys.load(str(path))
    label = host_label(host, port)
    if label in keys:
        del keys[label]
    keys.add(label, key.get_name(), key)
    keys.save(str(path))
    return path
