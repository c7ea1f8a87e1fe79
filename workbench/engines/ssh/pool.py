"""Pooled SSH connections: one pool per target per process, shared by every engine that runs
steps there, kept within a stock OpenSSH server's limits.

Rules (OpenSSH's defaults are ``MaxSessions 10`` and ``MaxStartups 10:30:100``):

- a connection never carries more than ``MAX_CHANNELS`` (10) open channels: work takes a
  *lease* of a few channels on one connection, all at once, and gives them back when done; a
  lease that does not fit waits, or opens another connection;
- at most ``MAX_CONNECTIONS`` connections per target, and only one of them is ever being
  opened at a time (an unauthenticated connection is what ``MaxStartups`` counts);
- opening a connection retries a handshake the server dropped (``connection.connect``); when
  it fails all the same, the leases that were waiting for it fail with the same error;
- opening a channel that the server refused (it still counts a channel we already closed)
  is tried again after a short pause;
- a connection whose transport died leaves the pool at once (its leases fail on their next
  channel); the pool is closed when the last engine using it lets go.
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from workbench.engines.errors import TargetError
from workbench.engines.ssh.connection import SshParams, connect

MAX_CHANNELS = 10
MAX_CONNECTIONS = 4
KEEPALIVE_S = 15
CHANNEL_OPEN_TRIES = 6


@dataclass(eq=False)
class PooledConnection:
    client: Any
    number: int
    used: int = 0
    dead: bool = False

    def alive(self) -> bool:
        transport = self.client.get_transport()
        return not self.dead and transport is not None and transport.is_active()


@dataclass(eq=False)
class Lease:
    """``slots`` channels on one connection; the holder opens at most that many at once."""

    pool: TargetPool
    connection: PooledConnection
    slots: int
    released: bool = field(default=False)
    _channels: list[Any] = field(default_factory=list)

    @property
    def transport(self) -> Any:
        transport = self.connection.client.get_transport()
        if transport is None or not transport.is_active():
            raise ConnectionError(f"the SSH connection to {self.pool.params.label} closed")
        return transport

    def open_session(self) -> Any:
        """A new session channel; a refusal by the server is tried again briefly."""
        import paramiko

        self._channels = [c for c in self._channels if not c.closed]
        if len(self._channels) >= self.slots:
            raise RuntimeError(f"a lease of {self.slots} SSH channels was asked for one more")
        for attempt in range(CHANNEL_OPEN_TRIES):
            try:
                channel = self.transport.open_session(timeout=30)
                self._channels.append(channel)
                return channel
            except paramiko.ChannelException as exc:
                if attempt + 1 == CHANNEL_OPEN_TRIES:
                    raise TargetError(
                        f"target {self.pool.params.name!r} ({self.pool.params.label}): the host refused a new SSH "
                        f"channel {CHANNEL_OPEN_TRIES} times ({exc})",
                        hint="check the host's sshd MaxSessions (the workbench keeps at most "
                             f"{MAX_CHANNELS} channels on one connection)") from None
                time.sleep(0.05 * 2 ** attempt * random.uniform(1.0, 2.0))
        raise AssertionError("unreachable")

    def exec(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        channel = self.open_session()
        try:
            channel.settimeout(timeout)
            channel.exec_command(command)
            stdout, stderr = channel.makefile("rb"), channel.makefile_stderr("rb")
            out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
            return channel.recv_exit_status(), out, err
        finally:
            wait_closed(channel)

    def sftp(self) -> Any:
        import paramiko

        channel = self.open_session()
        try:
            channel.invoke_subsystem("sftp")
            return paramiko.SFTPClient(channel)
        except BaseException:
            channel.close()
            raise


def wait_closed(channel: Any, timeout: float = 2.0) -> None:
    """Close ``channel`` once the server has closed its side (so its session count has
    dropped before the slot is reused); close it anyway after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not channel.closed and channel.exit_status_ready() and time.monotonic() < deadline:
        time.sleep(0.01)
    channel.close()


class TargetPool:
    def __init__(self, params: SshParams):
        self.params = params
        self._cond = threading.Condition()
        self._connections: list[PooledConnection] = []
        self._opening = False
        self._opened = 0
        self._failures = 0
        self._last_failure: BaseException | None = None
        self.users = 0

    @contextmanager
    def lease(self, slots: int, *, timeout: float = 600.0) -> Iterator[Lease]:
        lease = self.acquire(slots, timeout=timeout)
        try:
            yield lease
        finally:
            self.release(lease)

    def acquire(self, slots: int, *, timeout: float = 600.0) -> Lease:
        slots = max(1, min(slots, MAX_CHANNELS))
        deadline = time.monotonic() + timeout
        with self._cond:
            failures_seen = self._failures
            while True:
                if self._failures != failures_seen and self._last_failure is not None:
                    # the connection this lease waited for could not be opened: same answer, at once
                    raise _same_error(self._last_failure) from None
                self._drop_dead()
                for connection in self._connections:  # oldest first: fill one before the next
                    if connection.used + slots <= MAX_CHANNELS:
                        connection.used += slots
                        return Lease(self, connection, slots)
                if not self._opening and len(self._connections) < MAX_CONNECTIONS:
                    self._opening = True
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TargetError(f"target {self.params.name!r} ({self.params.label}): no SSH channel came free "
                                      f"within {timeout:.0f} s ({len(self._connections)} connections of "
                                      f"{MAX_CHANNELS} channels each are busy)")
                self._cond.wait(min(left, 1.0))
        try:
            client = connect(self.params)
        except BaseException as exc:
            with self._cond:
                self._opening = False
                self._failures += 1
                self._last_failure = exc
                self._cond.notify_all()
            raise
        transport = client.get_transport()
        if transport is not None:
            transport.set_keepalive(KEEPALIVE_S)
        with self._cond:
            self._opening = False
            self._opened += 1
            connection = PooledConnection(client, self._opened, used=slots)
            self._connections.append(connection)
            self._cond.notify_all()
            return Lease(self, connection, slots)

    def release(self, lease: Lease) -> None:
        with self._cond:
            if lease.released:
                return
            lease.released = True
            lease.connection.used -= lease.slots
            self._drop_dead()
            self._cond.notify_all()

    def discard(self, connection: PooledConnection) -> None:
        """Close ``connection`` (it was lost) and take it out of the pool."""
        with self._cond:
            connection.dead = True
            self._drop_dead()

    def _drop_dead(self) -> None:
        for connection in list(self._connections):
            if not connection.alive():
                connection.dead = True
                self._connections.remove(connection)
                connection.client.close()

    def open_connections(self) -> int:
        with self._cond:
            return len(self._connections)

    def close(self) -> None:
        with self._cond:
            for connection in self._connections:
                connection.client.close()
            self._connections.clear()
            self._cond.notify_all()


def _same_error(exc: BaseException) -> BaseException:
    try:
        return copy.copy(exc)
    except Exception:
        return TargetError(str(exc))


_POOLS: dict[tuple[Any, ...], TargetPool] = {}
_POOLS_LOCK = threading.Lock()


def _key(params: SshParams) -> tuple[Any, ...]:
    return (params.name, params.host, params.port, params.user, params.key_file, params.known_hosts)


def attach(params: SshParams) -> TargetPool:
    """This process's pool for the target; pair every call with ``detach``."""
    with _POOLS_LOCK:
        pool = _POOLS.get(_key(params))
        if pool is None:
            pool = _POOLS[_key(params)] = TargetPool(params)
        pool.users += 1
        return pool


def detach(pool: TargetPool) -> None:
    """Let go of ``pool``; the last user's detach closes its connections."""
    with _POOLS_LOCK:
        pool.users -= 1
        if pool.users > 0:
            return
        if _POOLS.get(_key(pool.params)) is pool:
            del _POOLS[_key(pool.params)]
    pool.close()
