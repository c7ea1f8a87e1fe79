"""Running a step on an SSH host.

A step travels as a bundle over SFTP into ``<work_dir>/steps/<unique>/``: the spec (paths
rewritten), the bootstrap, the runtime zip (kept once per version under ``bundles/``) and its
input artifacts (kept once per sha256 under ``artifacts/``, and checked by sha256 on arrival
by the bootstrap). It runs with the target's Python in its own process group; stdout and
stderr stream back line by line. Outputs are hashed on the host, fetched into the local step
folder and verified; anything that does not match, and a dropped connection, fail the step
with nothing handed to the store. Cancel and timeouts kill the remote process group.

Connections come from this process's pool for the target (``pool``): a step leases
``STEP_CHANNELS`` channels on one pooled connection and never has more open at once. A
connection lost while the step's files are being sent is tried again on a new connection
(nothing ran yet); one lost while the step runs fails the step with a message that says what
was lost, that the step was not run again, whether its process on the host was stopped, and
what to check on the host.

Every value put into a remote command line is quoted (``shlex.quote``): the work dir, the
Python, every path. A work dir under the login's home (``~/…``) is passed relative to it.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import shlex
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from workbench.engines.base import LineRouter, StepLaunch, StepOutcome, read_result
from workbench.engines.errors import TargetError
from workbench.engines.ssh import pool as pools
from workbench.engines.ssh.bundle import BOOTSTRAP, HASH_OUTPUTS, PROBE, runtime_bundle
from workbench.engines.ssh.connection import HOST_CHECKS, SshParams, backoff_s

POLL_S = 0.1
GRACE_S = 5.0
STEP_CHANNELS = 2  # the running step's session, and one for a command beside it (cancel)
SHIP_TRIES = 3
STOP_AFTER_LOSS_WAIT_S = 60.0


class DamagedOutputError(TargetError):
    """An output file did not arrive as the host wrote it."""


def home_relative(work_dir: str) -> str:
    """``work_dir`` as one shell word for a shell standing in the login's home: ``~`` and
    ``~/…`` become relative to it (a quoted ``~`` would not expand), anything else is quoted."""
    if work_dir == "~" or work_dir == "~/":
        return "."
    if work_dir.startswith("~/"):
        return shlex.quote(work_dir[2:])
    return shlex.quote(work_dir)


def kill_group_command(pid: int) -> str:
    """TERM the process group ``pid``, KILL it if it is still there after ``GRACE_S``."""
    pid = int(pid)  # a number, never text from the host
    polls = int(GRACE_S / 0.1)
    return (f"(kill -TERM -- -{pid} 2>/dev/null || exit 0; i=0; while [ $i -lt {polls} ]; do "
            f"kill -0 -- -{pid} 2>/dev/null || exit 0; sleep 0.1; i=$((i+1)); done; "
            f"kill -KILL -- -{pid} 2>/dev/null; true)")


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class SshEngine:
    name = "ssh"

    def __init__(self, params: SshParams):
        self.params = params
        self._pool: pools.TargetPool | None = None
        self._lock = threading.Lock()
        self._home: str | None = None
        self._plugins_checked: set[str] = set()  # plug-in kinds whose package the host has

    # -- connection -----------------------------------------------------------------------
    def pool(self) -> pools.TargetPool:
        with self._lock:
            if self._pool is None:
                self._pool = pools.attach(self.params)
            return self._pool

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pools.detach(pool)

    def _exec(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        with self.pool().lease(1) as lease:
            return lease.exec(command, timeout)

    @property
    def _python(self) -> str:
        return shlex.quote(self.params.python)

    def work_dir(self, lease: pools.Lease | None = None) -> str:
        if self._home is None:
            folder = home_relative(self.params.work_dir)
            command = f"cd && mkdir -p -- {folder} && cd -- {folder} && pwd"
            code, out, err = lease.exec(command) if lease else self._exec(command)
            if code != 0:
                raise TargetError(f"target {self.params.name!r}: cannot use the work dir {self.params.work_dir}: {err.strip()}")
            self._home = out.strip()
        return self._home

    def probe(self) -> dict[str, Any]:
        """Versions, CPUs, GPUs and free disk of the host (``workbench targets check``)."""
        code, out, err = self._exec(f"{self._python} -c {shlex.quote(PROBE)} {shlex.quote(self.params.work_dir)}")
        if code != 0:
            raise TargetError(f"target {self.params.name!r}: {self.params.python} failed on the host: "
                              f"{err.strip().splitlines()[-1] if err.strip() else f'exit {code}'}")
        return json.loads(out)

    # -- shipping -------------------------------------------------------------------------
    def _put_if_missing(self, sftp: Any, local: Path | bytes, remote: str) -> None:
        try:
            sftp.stat(remote)
            return
        except OSError:
            pass
        partial = f"{remote}.partial-{uuid.uuid4().hex[:8]}"
        if isinstance(local, bytes):
            with sftp.open(partial, "wb") as handle:
                handle.write(local)
        else:
            sftp.put(str(local), partial)
        sftp.posix_rename(partial, remote)

    def _put_artifact(self, sftp: Any, root: str, local: Path, sha: str) -> str:
        """The artifact at ``<work_dir>/artifacts/<sha[:2]>/<sha>`` on the host (uploaded once)."""
        folder = posixpath.join(root, "artifacts", sha[:2])
        try:
            sftp.mkdir(folder)
        except OSError:
            sftp.stat(folder)  # another step made it meanwhile; anything else fails here
        remote = posixpath.join(folder, sha)
        self._put_if_missing(sftp, local, remote)
        return remote

    def _check_plugin(self, lease: pools.Lease, kind: str) -> None:
        """Refuse a plug-in kind's step when the host's Python lacks its package (or has
        another version of it); see ``requirements.plugin_refusal``."""
        from workbench.engines.runtime.registry import plugin_executor
        from workbench.engines.ssh import requirements

        plugin = plugin_executor(kind)
        if plugin is None or kind in self._plugins_checked:
            return
        dist = requirements.canonical_name(plugin.package)
        code, out, err = lease.exec(f"{self._python} -c {shlex.quote(requirements.PACKAGES_PROBE)} "
                                    f"{shlex.quote(json.dumps([dist]))}")
        where = f"the Python {self.params.python} of target {self.params.name!r} ({self.params.label})"
        if code != 0:
            raise TargetError(f"{where} failed on the host: {err.strip()[-300:] or f'exit {code}'}")
        found = requirements.parse_probe(out, where).get("packages") or {}
        refusal = requirements.plugin_refusal(kind, found, where)
        if refusal:
            raise TargetError(refusal)
        self._plugins_checked.add(kind)

    def _ship(self, lease: pools.Lease, launch: StepLaunch, remote_dir: str) -> dict[str, Any]:
        self._check_plugin(lease, str(launch.spec.get("node", {}).get("kind", "")))
        root = self.work_dir(lease)
        step_dir = posixpath.join(root, remote_dir)
        folders = [posixpath.join(root, f) for f in ("bundles", "artifacts", "steps")] + [posixpath.join(step_dir, "out")]
        code, _, err = lease.exec("mkdir -p -- " + " ".join(shlex.quote(f) for f in folders))
        if code != 0:
            raise TargetError(f"target {self.params.name!r}: cannot make the step's folders under {root}: {err.strip()}")
        data, digest = runtime_bundle()
        bundle = posixpath.join(root, "bundles", f"{digest}.zip")
        spec = json.loads(json.dumps(launch.spec))
        local_root = Path(spec.get("options", {}).get("artifact_root") or ".")
        sftp = lease.sftp()
        try:
            self._put_if_missing(sftp, data, bundle)
            for entries in spec.get("inputs", {}).values():
                for entry in entries:
                    entry["path"] = self._put_artifact(sftp, root, Path(entry["path"]), entry["sha256"])
                    for member in (entry.get("meta") or {}).get("members", []) or []:
                        sha = member.get("sha256") if isinstance(member, dict) else member
                        if isinstance(sha, str) and (local_root / sha[:2] / sha).is_file():
                            self._put_artifact(sftp, root, local_root / sha[:2] / sha, sha)
            spec["options"] = {**spec.get("options", {}), "artifact_root": posixpath.join(root, "artifacts")}
            spec["output_dir"] = posixpath.join(step_dir, "out")
            with sftp.open(posixpath.join(step_dir, "spec.json"), "w") as handle:
                handle.write(json.dumps(spec))
            with sftp.open(posixpath.join(step_dir, "bootstrap.py"), "w") as handle:
                handle.write(BOOTSTRAP)
        finally:
            sftp.close()
        return {"bundle": bundle, "dir": step_dir}

    def _start(self, launch: StepLaunch, remote_dir: str) -> tuple[pools.Lease, dict[str, Any], Any]:
        """Ship the step and start it: (lease, where, channel). A connection lost before the
        step started is tried again on a new connection, ``SHIP_TRIES`` times in all."""
        pool = self.pool()
        for attempt in range(SHIP_TRIES):
            lease = pool.acquire(STEP_CHANNELS)  # a TargetError here: nothing ran, the caller says so
            try:
                where = self._ship(lease, launch, remote_dir)
                command = (f"cd {shlex.quote(where['dir'])} && exec {self._python} -u bootstrap.py "
                           f"{shlex.quote(where['bundle'])}")
                channel = lease.open_session()
                channel.exec_command(command)
                return lease, where, channel
            except TargetError:
                pool.release(lease)
                raise
            except Exception as exc:
                pool.release(lease)
                if lease.connection.alive():
                    raise TargetError(f"{self._step_name(launch)} on target {self.params.name!r}: sending the "
                                      f"step's files to {self.params.label} failed: {_reason(exc)}") from None
                pool.discard(lease.connection)
                if attempt + 1 == SHIP_TRIES:
                    raise TargetError(
                        f"{self._step_name(launch)} on target {self.params.name!r}: the SSH connection to "
                        f"{self.params.label} was lost while the step's files were being sent, {SHIP_TRIES} times "
                        f"on a new connection each time ({_reason(exc)}); nothing ran there",
                        hint=f"check {HOST_CHECKS}, then run it again") from None
                launch.on_line("stderr", f"the SSH connection to {self.params.label} was lost while the step's "
                                         f"files were being sent ({_reason(exc)}); nothing ran yet, trying again "
                                         f"on a new connection ({attempt + 2}/{SHIP_TRIES})")
                time.sleep(backoff_s(attempt))
        raise AssertionError("unreachable")

    # -- running --------------------------------------------------------------------------
    def run_step(self, launch: StepLaunch) -> StepOutcome:
        local_out = launch.workdir / "out"
        local_out.mkdir(parents=True, exist_ok=True)
        remote_dir = posixpath.join("steps", f"{launch.spec.get('run', {}).get('step_id', 'x')}-{uuid.uuid4().hex[:10]}")
        router = LineRouter(launch)
        remote_pid: dict[str, int] = {}
        original_event = launch.on_event

        def on_event(event: dict[str, Any]) -> None:
            if "remote_pid" in event:
                remote_pid["pid"] = int(event["remote_pid"])
                launch.on_start(remote_pid["pid"])
            else:
                original_event(event)

        launch.on_event = on_event
        lease, where, channel = self._start(launch, remote_dir)
        phase = "while the step was running on the host"
        try:
            cancelled, timed_out = self._stream(lease, channel, router, launch, remote_pid)
            exit_code = channel.recv_exit_status() if not (cancelled or timed_out) else -15
            pools.wait_closed(channel)
            phase = "after the step ended on the host, while its outputs were being fetched"
            result = self._collect(lease, where["dir"], local_out, exit_code)
            lease.exec(f"rm -rf {shlex.quote(where['dir'])}")
        except DamagedOutputError as exc:
            router.feed("stderr", str(exc))
            return StepOutcome(exit_code=1, result={"error": str(exc)}, log_tail=tuple(router.tail))
        except Exception as exc:
            if lease.connection.alive() and not isinstance(exc, (EOFError, ConnectionError)):
                message = f"{self._step_name(launch)} on target {self.params.name!r}: {_reason(exc)}"
                router.feed("stderr", message)
                return StepOutcome(exit_code=1, result={"error": message}, log_tail=tuple(router.tail))
            return self._lost(lease, router, launch, remote_pid.get("pid"), where["dir"], exc, phase)
        finally:
            channel.close()
            lease.pool.release(lease)
        return StepOutcome(exit_code=exit_code, result=result, log_tail=tuple(router.tail),
                           cancelled=cancelled, timed_out=timed_out)

    def _collect(self, lease: pools.Lease, step_dir: str, local_out: Path, exit_code: int) -> dict[str, Any] | None:
        if exit_code == 0:
            self._fetch(lease, posixpath.join(step_dir, "out"), local_out)
            return read_result(local_out)
        sftp = lease.sftp()
        try:
            sftp.get(posixpath.join(step_dir, "out", "result.json"), str(local_out / "result.json"))
            return read_result(local_out)
        except OSError:
            return None
        finally:
            sftp.close()

    @staticmethod
    def _step_name(launch: StepLaunch) -> str:
        node = (launch.spec.get("node") or {}).get("id", "?")
        step_id = (launch.spec.get("run") or {}).get("step_id")
        return f"step {node!r}" + (f" (run step {step_id})" if step_id is not None else "")

    def _lost(self, lease: pools.Lease, router: LineRouter, launch: StepLaunch, pid: int | None,
              step_dir: str, exc: BaseException, phase: str) -> StepOutcome:
        """The connection died while the step ran: say so, try to stop what is left on the host."""
        lease.pool.discard(lease.connection)
        stopped = self._stop_after_loss(pid, step_dir)
        message = (f"{self._step_name(launch)} on target {self.params.name!r}: the SSH connection to "
                   f"{self.params.label} was lost {phase} ({_reason(exc)}). "
                   f"The step was not run again, since it had started there (a run started with --retries "
                   f"runs a failed step again). {stopped} Check {HOST_CHECKS}.")
        router.feed("stderr", message)
        return StepOutcome(exit_code=-1, result={"error": message}, log_tail=tuple(router.tail),
                           info={"connection_lost": {"host": self.params.label, "retried": False}})

    def _stop_after_loss(self, pid: int | None, step_dir: str) -> str:
        what = f"its process group (pid {pid}) on the host" if pid else "its folder on the host"
        command = (kill_group_command(pid) + "; " if pid else "") + f"rm -rf {shlex.quote(step_dir)}"
        try:
            with self.pool().lease(1, timeout=STOP_AFTER_LOSS_WAIT_S) as lease:
                code, _, err = lease.exec(command, timeout=GRACE_S + 30)
        except Exception as exc:
            return f"A new connection to stop {what} failed too ({_reason(exc)}): it may still be running there."
        if code != 0:
            return f"A new connection was made, but stopping {what} failed: {err.strip() or f'exit {code}'}."
        return f"A new connection was made and stopped {what}."

    def _stream(self, lease: pools.Lease, channel: Any, router: LineRouter, launch: StepLaunch,
                remote_pid: dict[str, int]) -> tuple[bool, bool]:
        buffers = {"stdout": "", "stderr": ""}
        deadline = None if launch.timeout_s is None else time.monotonic() + launch.timeout_s
        transport = channel.get_transport()

        def drain() -> None:
            for stream, ready, read in (("stdout", channel.recv_ready, channel.recv),
                                        ("stderr", channel.recv_stderr_ready, channel.recv_stderr)):
                while ready():
                    buffers[stream] += read(65536).decode(errors="replace")
                    *lines, buffers[stream] = buffers[stream].split("\n")
                    for line in lines:
                        router.feed(stream, line)

        while not channel.exit_status_ready():
            if not transport.is_active():
                raise ConnectionError("the SSH transport closed")
            drain()
            if launch.should_cancel() or (deadline is not None and time.monotonic() > deadline):
                self._kill(lease, remote_pid.get("pid"))
                return launch.should_cancel(), not launch.should_cancel()
            time.sleep(POLL_S)
        if channel.recv_exit_status() == -1 and not transport.is_active():  # closed under us, no status
            raise ConnectionError("the SSH transport closed")
        drain()
        for stream, rest in buffers.items():
            if rest:
                router.feed(stream, rest)
        return False, False

    def _kill(self, lease: pools.Lease, pid: int | None) -> None:
        if pid:
            lease.exec(kill_group_command(pid), timeout=GRACE_S + 30)

    def _fetch(self, lease: pools.Lease, remote_out: str, local_out: Path) -> None:
        """Download the outputs and check each against the sha256 the host computed."""
        code, listing, err = lease.exec(f"{self._python} -c {shlex.quote(HASH_OUTPUTS)} {shlex.quote(remote_out)}")
        if code != 0:
            raise TargetError(f"target {self.params.name!r}: cannot list the step's outputs: {err.strip()}")
        sftp = lease.sftp()
        try:
            self._download(sftp, remote_out, local_out, json.loads(listing))
        finally:
            sftp.close()

    def _download(self, sftp: Any, remote_out: str, local_out: Path, listing: dict[str, str]) -> None:
        for relative, expected in listing.items():
            target = (local_out / relative).resolve()
            if local_out.resolve() not in target.parents:
                raise TargetError(f"target {self.params.name!r}: refused the output path {relative!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            sftp.get(posixpath.join(remote_out, relative), str(target))
            digest = hashlib.sha256(target.read_bytes()).hexdigest()
            if digest != expected:
                target.unlink()
                raise DamagedOutputError(f"target {self.params.name!r}: the output {relative!r} arrived damaged "
                                  f"(sha256 {digest}, the host computed {expected})")
