"""Verified SSH connections to a target, and one clear error for each way they fail.

Rules: ``RejectPolicy`` always (an unknown host is never accepted silently); no agent, no
key discovery: exactly the target's key file, with its passphrase from the OS keyring (or
typed for the session); every error names the target and what to do.

A connection the server drops during the handshake (a busy sshd past ``MaxStartups`` closes
new connections at random: the banner never comes, EOF, a reset) is tried again after a
jittered exponential pause, ``HANDSHAKE_TRIES`` times in all; a refusal (bad host key, key,
passphrase) or an unreachable host is never retried.
"""

from __future__ import annotations

import logging
import random
import time
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

log = logging.getLogger(__name__)
#: paramiko's own transport log for our connections: kept, but not printed unless the
#: application configures logging (a dropped handshake that is tried again is no traceback)
TRANSPORT_LOG = "workbench.engines.ssh.transport"
logging.getLogger(TRANSPORT_LOG).addHandler(logging.NullHandler())

PASSPHRASE_KIND = "ssh-passphrase"
HANDSHAKE_TRIES = 5
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 4.0
HOST_CHECKS = ("that sshd is running there, its MaxSessions and MaxStartups limits (stock: 10 and "
               "10:30:100), the host's load, and the network between here and the host")


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


class HandshakeDropped(Exception):
    """The server closed a new connection before it was authenticated."""


def backoff_s(attempt: int) -> float:
    """The pause before try ``attempt + 2``: exponential, capped, with jitter."""
    ceiling = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** attempt)
    return random.uniform(ceiling / 2, ceiling)


def handshake_dropped(exc: BaseException) -> bool:
    """Whether ``exc`` is a server dropping a connection it had accepted, before login."""
    import paramiko

    if isinstance(exc, (EOFError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return True
    if isinstance(exc, paramiko.SSHException) and not isinstance(
            exc, (paramiko.BadHostKeyException, paramiko.AuthenticationException)):
        text = str(exc)
        return any(part in text for part in ("protocol banner", "No existing session", "EOF", "reset by peer"))
    return False


def connect(params: SshParams, *, timeout: float = 15.0) -> Any:
    """An authenticated ``paramiko.SSHClient`` whose host key was verified; a connection the
    server drops during the handshake is tried again (``HANDSHAKE_TRIES`` in all)."""
    where = f"target {params.name!r} ({params.label})"
    reasons: list[str] = []
    for attempt in range(HANDSHAKE_TRIES):
        try:
            return _connect_once(params, timeout)
        except HandshakeDropped as exc:
            reasons.append(str(exc))
            if attempt + 1 < HANDSHAKE_TRIES:
                pause = backoff_s(attempt)
                log.warning("%s: the host dropped the SSH connection during the handshake (%s); trying again "
                            "in %.2f s (%d/%d)", where, exc, pause, attempt + 2, HANDSHAKE_TRIES)
                time.sleep(pause)
    raise TargetError(f"{where}: the host dropped the SSH connection during the handshake {HANDSHAKE_TRIES} "
                      f"times in a row, with pauses in between (last: {reasons[-1]})",
                      hint=f"nothing ran there; check {HOST_CHECKS}, then run it again")


def _connect_once(params: SshParams, timeout: float) -> Any:
    import paramiko

    from workbench.governance.secrets import get_secret

    extra = Path(params.known_hosts).expanduser() if params.known_hosts else None
    client = paramiko.SSHClient()
    client.set_log_channel(TRANSPORT_LOG)
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
    except (EOFError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError) as exc:
        client.close()
        raise HandshakeDropped(_reason(exc)) from None
    except paramiko.SSHException as exc:
        client.close()
        if handshake_dropped(exc):
            raise HandshakeDropped(_reason(exc)) from None
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


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def describe_known(params: SshParams) -> str | None:
    key = known_key(params.host, params.port, Path(params.known_hosts) if params.known_hosts else None)
    return None if key is None else f"{host_label(params.host, params.port)} {fingerprint(key)}"
