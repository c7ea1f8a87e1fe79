"""Running a step on an SSH host.

A step travels as a bundle over SFTP into ``<work_dir>/steps/<unique>/``: the spec (paths
rewritten), the bootstrap, the runtime zip (kept once per version under ``bundles/``) and its
input artifacts (kept once per sha256 under ``artifacts/``, and checked by sha256 on arrival
by the bootstrap). It runs with the target's Python in its own process group; stdout and
stderr stream back line by line. Outputs are hashed on the host, fetched into the local step
folder and verified; anything that does not match, and a dropped connection, fail the step
with nothing handed to the store. Cancel and timeouts kill the remote process group.

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
from workbench.engines.ssh.bundle import BOOTSTRAP, HASH_OUTPUTS, PROBE, runtime_bundle
from workbench.engines.ssh.connection import SshParams, connect

POLL_S = 0.1


class DamagedOutputError(TargetError):
    """An output file did not arrive as the host wrote it."""
GRACE_S = 5.0


def home_relative(work_dir: str) -> str:
    """``work_dir`` as one shell word for a shell standing in the login's home: ``~`` and
    ``~/…`` become relative to it (a quoted ``~`` would not expand), anything else is quoted."""
    if work_dir == "~" or work_dir == "~/":
        return "."
    if work_dir.startswith("~/"):
        return shlex.quote(work_dir[2:])
    return shlex.quote(work_dir)


class SshEngine:
    name = "ssh"

    def __init__(self, params: SshParams):
        self.params = params
        self._client: Any = None
        self._lock = threading.Lock()
        self._home: str | None = None

    # -- connection -----------------------------------------------------------------------
    def client(self) -> Any:
        with self._lock:
            transport = self._client.get_transport() if self._client else None
            if transport is None or not transport.is_active():
                self._client = connect(self.params)
            return self._client

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _exec(self, command: str, timeout: float = 60.0) -> tuple[int, str, str]:
        _, stdout, stderr = self.client().exec_command(command, timeout=timeout)
        out, err = stdout.read().decode(errors="replace"), stderr.read().decode(errors="replace")
        return stdout.channel.recv_exit_status(), out, err

    @property
    def _python(self) -> str:
        return shlex.quote(self.params.python)

    def work_dir(self) -> str:
        if self._home is None:
            folder = home_relative(self.params.work_dir)
            code, out, err = self._exec(f"cd && mkdir -p -- {folder} && cd -- {folder} && pwd")
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

    def _put_artifact(self, sftp: Any, local: Path, sha: str) -> str:
        """The artifact at ``<work_dir>/artifacts/<sha[:2]>/<sha>`` on the host (uploaded once)."""
        folder = posixpath.join(self.work_dir(), "artifacts", sha[:2])
        try:
            sftp.stat(folder)
        except OSError:
            sftp.mkdir(folder)
        remote = posixpath.join(folder, sha)
        self._put_if_missing(sftp, local, remote)
        return remote

    def _ship(self, sftp: Any, launch: StepLaunch, remote_dir: str) -> dict[str, Any]:
        root = self.work_dir()
        for folder in ("bundles", "artifacts", "steps", remote_dir):
            self._exec(f"mkdir -p {shlex.quote(posixpath.join(root, folder))}")
        data, digest = runtime_bundle()
        bundle = posixpath.join(root, "bundles", f"{digest}.zip")
        self._put_if_missing(sftp, data, bundle)
        spec = json.loads(json.dumps(launch.spec))
        local_root = Path(spec.get("options", {}).get("artifact_root") or ".")
        for entries in spec.get("inputs", {}).values():
            for entry in entries:
                entry["path"] = self._put_artifact(sftp, Path(entry["path"]), entry["sha256"])
                for member in (entry.get("meta") or {}).get("members", []) or []:
                    sha = member.get("sha256") if isinstance(member, dict) else member
                    if isinstance(sha, str) and (local_root / sha[:2] / sha).is_file():
                        self._put_artifact(sftp, local_root / sha[:2] / sha, sha)
        spec["options"] = {**spec.get("options", {}), "artifact_root": posixpath.join(root, "artifacts")}
        spec["output_dir"] = posixpath.join(root, remote_dir, "out")
        self._exec(f"mkdir -p {shlex.quote(spec['output_dir'])}")
        with sftp.open(posixpath.join(root, remote_dir, "spec.json"), "w") as handle:
            handle.write(json.dumps(spec))
        with sftp.open(posixpath.join(root, remote_dir, "bootstrap.py"), "w") as handle:
            handle.write(BOOTSTRAP)
        return {"bundle": bundle, "dir": posixpath.join(root, remote_dir)}

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
        launched = False
        try:
            sftp = self.client().open_sftp()
            try:
                where = self._ship(sftp, launch, remote_dir)
                command = (f"cd {shlex.quote(where['dir'])} && exec {self._python} -u bootstrap.py "
                           f"{shlex.quote(where['bundle'])}")
                channel = self.client().get_transport().open_session()
                channel.exec_command(command)
                launched = True
                cancelled, timed_out = self._stream(channel, router, launch, remote_pid)
                exit_code = channel.recv_exit_status() if not (cancelled or timed_out) else -15
                result = None
                if exit_code == 0:
                    self._fetch(sftp, posixpath.join(where["dir"], "out"), local_out)
                    result = read_result(local_out)
                else:
                    try:
                        sftp.get(posixpath.join(where["dir"], "out", "result.json"), str(local_out / "result.json"))
                        result = read_result(local_out)
                    except OSError:
                        result = None
                self._exec(f"rm -rf {shlex.quote(where['dir'])}")
            finally:
                sftp.close()
        except DamagedOutputError as exc:
            router.feed("stderr", str(exc))
            return StepOutcome(exit_code=1, result={"error": str(exc)}, log_tail=tuple(router.tail))
        except TargetError:
            if not launched:
                raise  # refused before anything ran: the caller reports it as it is
            return self._lost(router, "the host could not be reached again")
        except Exception as exc:  # a dropped connection, a vanished host
            return self._lost(router, f"{type(exc).__name__}: {exc}")
        return StepOutcome(exit_code=exit_code, result=result, log_tail=tuple(router.tail),
                           cancelled=cancelled, timed_out=timed_out)

    def _lost(self, router: LineRouter, why: str) -> StepOutcome:
        self.close()
        message = f"target {self.params.name!r}: the connection to {self.params.label} was lost ({why})"
        router.feed("stderr", message)
        return StepOutcome(exit_code=-1, result={"error": message}, log_tail=tuple(router.tail))

    def _stream(self, channel: Any, router: LineRouter, launch: StepLaunch,
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
                self._kill(remote_pid.get("pid"))
                return launch.should_cancel(), not launch.should_cancel()
            time.sleep(POLL_S)
        drain()
        for stream, rest in buffers.items():
            if rest:
                router.feed(stream, rest)
        return False, False

    def _kill(self, pid: int | None) -> None:
        if pid:
            pid = int(pid)  # a number, never text from the host
            self._exec(f"kill -TERM -- -{pid} 2>/dev/null; sleep {GRACE_S}; kill -KILL -- -{pid} 2>/dev/null; true",
                       timeout=GRACE_S + 30)

    def _fetch(self, sftp: Any, remote_out: str, local_out: Path) -> None:
        """Download the outputs and check each against the sha256 the host computed."""
        code, listing, err = self._exec(f"{self._python} -c {shlex.quote(HASH_OUTPUTS)} {shlex.quote(remote_out)}")
        if code != 0:
            raise TargetError(f"target {self.params.name!r}: cannot list the step's outputs: {err.strip()}")
        for relative, expected in json.loads(listing).items():
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
