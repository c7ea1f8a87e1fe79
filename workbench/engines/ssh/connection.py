"""Verified SSH connections to a target, and one clear error for each way they fail.

Rules: ``RejectPolicy`` always (an unknown host is never accepted silently); no agent, no
key discovery: exactly the target's key file, with its passphrase from the OS keyring (or
typed for the session); every error names the target and what to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.engines.errors import HostKeyError, TargetError
from workbench.engines.ssh.hostkeys import (
    fetch_host_key,
    fingerprint,
    host_label,
    known_host_keys,
    known_key,
    workbench_known_hosts,
)

PASSPHRASE_KIND = "ssh-passphrase"


@dataclass(frozen=True)
class SshParams:
    name: str
    host: str
    port: int = 22
    user: str = ""
    key_file: str = ""
    work_dir: str = "~/.mlops-workbench"
    python: str = "python3"
    known_hosts: str = ""

    @classmethod
    def from_target(cls, name: str, params: dict[str, Any]) -> SshParams:
        if not params.get("host"):
            raise TargetError(f"target {name!r} has no host")
        return cls(name=name, host=str(params["host"]), port=int(params.get("port") or 22),
                   user=str(params.get("user") or ""), key_file=str(params.get("key_file") or ""),
                   work_dir=str(params.get("work_dir") or "~/.mlops-workbench"),
                   python=str(params.get("python") or "python3"), known_hosts=str(params.get("known_hosts") or ""))

    @property
    def label(self) -> str:
        return f"{self.user + '@' if self.user else ''}{self.host}:{self.port}"


def connect(params: SshParams, *, timeout: float = 15.0) -> Any:
    """An authenticated ``paramiko.SSHClient`` whose host key was verified."""
    import paramiko

    from workbench.governance.secrets import get_secret

    extra = Path(params.known_hosts).expanduser() if params.known_hosts else None
    client = paramiko.SSHClient()
    keys = known_host_keys(extra)
    for hostname, entries in keys.items():
        for kind, key in entries.items():
            client.get_host_keys().add(hostname, kind, key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    where = f"target {params.name!r} ({params.label})"
    if params.key_file and not Path(params.key_file).expanduser().is_file():
        raise TargetError(f"{where}: the key file {params.key_file} does not exist")
    try:
        client.connect(params.host, port=params.port, username=params.user or None,
                       key_filename=str(Path(params.key_file).expanduser()) if params.key_file else None,
                       passphrase=get_secret(PASSPHRASE_KIND, params.name), timeout=timeout,
                       banner_timeout=timeout, auth_timeout=timeout, allow_agent=False, look_for_keys=False)
        return client
    except paramiko.BadHostKeyException as exc:
        client.close()
        raise HostKeyError(
            f"{where}: the host key has CHANGED — it now offers {fingerprint(exc.key)} but "
            f"{fingerprint(exc.expected_key)} is on record; refusing to connect (someone may be "
            "intercepting the connection)",
            hint=f"if the host was reinstalled, check the new key out of band, then run "
                 f"'workbench targets trust {params.name}'") from None
    except paramiko.PasswordRequiredException:
        client.close()
        raise TargetError(f"{where}: the key file {params.key_file} needs a passphrase",
                          hint=f"store it in the OS keyring with 'workbench targets passphrase {params.name}'") from None
    except paramiko.AuthenticationException:
        client.close()
        raise TargetError(f"{where}: the host refused the key {params.key_file or '(none)'} for user "
                          f"{params.user or '(default)'}",
                          hint="check the user, the key file and its passphrase") from None
    except paramiko.SSHException as exc:
        client.close()
        if "not found in known_hosts" in str(exc):
            offered = fetch_host_key(params.host, params.port)
            raise HostKeyError(
                f"{where}: the host is not known; it offers the key {fingerprint(offered)}",
                hint=f"if that is the host's real key, run 'workbench targets trust {params.name}' "
                     f"(it is added to {workbench_known_hosts()})") from None
        raise TargetError(f"{where}: SSH failed: {exc}") from None
    except (TimeoutError, OSError) as exc:
        client.close()
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        raise TargetError(f"{where}: cannot reach {params.host}:{params.port}: {reason}") from None


def describe_known(params: SshParams) -> str | None:
    key = known_key(params.host, params.port, Path(params.known_hosts) if params.known_hosts else None)
    return None if key is None else f"{host_label(params.host, params.port)} {fingerprint(key)}"
