"""Provisioning an SSH host: a virtual environment under the target's work dir with the step
runtime's packages, installed from this machine's wheels (the host needs no index, no network).

Order of work, each stage reported through ``Progress``:

1. the Python that makes the venv (the target's, or the one that made its venv before) is asked
   what it is (``requirements.PACKAGES_PROBE``); a host whose
   Python, OS, machine or libc cannot use this machine's wheels is refused before anything is
   sent (``wheels.host_mismatch``);
2. the runtime's packages (``requirements.runtime_packages``; torch only when asked for) and
   everything they need are pinned at this machine's versions, and their wheels are taken from
   the wheel cache or packed from the installed distributions;
3. ``<work_dir>/venv`` is made with the target's Python (``-m venv --without-pip``) unless it is
   there; packages it already has at those versions are not sent again;
4. the other wheels go over SFTP into ``<work_dir>/wheels/`` (written aside, then renamed; a
   wheel already there at its size is not sent again), and pip — run from its own wheel — installs
   them with ``--no-index --find-links``;
5. the venv's Python is checked like any target; its path is what the caller records.
"""

from __future__ import annotations

import json
import posixpath
import shlex
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.engines.errors import TargetError
from workbench.engines.ssh import requirements, wheels
from workbench.engines.ssh.connection import SshParams
from workbench.engines.ssh.engine import SshEngine
from workbench.progress import Progress, quietly

INSTALL_TIMEOUT_S = 3600.0
VENV = "venv"
WHEELS = "wheels"


@dataclass(frozen=True)
class ProvisionResult:
    python: str                                   # the venv's Python on the host
    installed: dict[str, str]                     # dist → version installed just now
    kept: dict[str, str]                          # dist → version the venv already had
    sent_bytes: int
    created_venv: bool
    packages: list[dict[str, Any]] = field(default_factory=list)  # the final check


def mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB" if size >= 2**20 else f"{max(1, round(size / 2**10))} KiB"


def probe_python(engine: SshEngine, python: str, lease: Any | None = None) -> dict[str, Any]:
    """What ``python`` on the host is, and the versions of the runtime's packages it has."""
    args = " ".join(shlex.quote(a) for a in requirements.probe_args())
    command = f"{shlex.quote(python)} -c {shlex.quote(requirements.PACKAGES_PROBE)} {args}"
    if lease is None:
        with engine.pool().lease(1) as own:
            code, out, err = own.exec(command, timeout=120)
    else:
        code, out, err = lease.exec(command, timeout=120)
    where = f"target {engine.params.name!r} ({engine.params.label})"
    if code != 0:
        last = err.strip().splitlines()[-1] if err.strip() else f"exit {code}"
        raise TargetError(f"{where}: the Python {python} failed on the host: {last}",
                          hint="check the target's --python (a path or command name that exists on the host)")
    return requirements.parse_probe(out, where)


def wanted_names(want: tuple[str, ...]) -> list[str]:
    """The distributions to install: required ones, optional ones installed here that are used
    when present, the optional ones in ``want`` (by name or extra), and pip."""
    import importlib.metadata

    names = []
    for package in requirements.runtime_packages():
        if not package.optional or package.dist in want or package.optional in want:
            names.append(package.dist)
        elif package.optional == "when present":
            try:
                importlib.metadata.version(package.dist)
                names.append(package.dist)
            except importlib.metadata.PackageNotFoundError:
                pass
    return [*names, "pip"]


class Provisioner:
    def __init__(self, params: SshParams, *, want: tuple[str, ...] = (), cache: Path | None = None,
                 progress: Progress | None = None, base_python: str | None = None):
        self.params = params
        self.base = base_python or params.python  # the Python that makes the venv
        self.want = want
        self.cache = cache or wheels.default_cache()
        self.progress = quietly(progress)
        self.engine = SshEngine(params)
        self.where = f"target {params.name!r} ({params.label})"

    def say(self, text: str) -> None:
        self.progress.step(0, 0, text)

    def run(self) -> ProvisionResult:
        try:
            with self.engine.pool().lease(2, timeout=120) as lease:
                return self._run(lease)
        finally:
            self.engine.close()

    def _run(self, lease: Any) -> ProvisionResult:
        self.say(f"connecting to {self.params.name} ({self.params.label}) and asking {self.base} what it is")
        root = self.engine.work_dir(lease)
        venv, folder = posixpath.join(root, VENV), posixpath.join(root, WHEELS)
        venv_python = posixpath.join(venv, "bin", "python")
        base = probe_python(self.engine, self.base, lease)
        if not base.get("has_venv") and self.base != venv_python:
            raise TargetError(f"{self.where}: the Python {self.base} ({base.get('python')}) has no venv "
                              "module, so no virtual environment can be made with it",
                              hint="install it on the host (Debian/Ubuntu: apt-get install python3-venv), or point "
                                   f"the target at another Python, then run 'workbench targets provision "
                                   f"{self.params.name}' again")
        why = wheels.host_mismatch(base)
        if why:
            raise TargetError(f"cannot provision {self.where} from this machine: {why}", hint=self._elsewhere())

        pins = wheels.closure(wanted_names(self.want))
        self.say(f"{len(pins)} packages to provide: " + ", ".join(f"{n} {v}" for n, v in pins.items()))
        found = self._venv_packages(lease, venv_python, list(pins))
        missing = {n: v for n, v in pins.items() if found.get(n) != v}
        built: list[wheels.Wheel] = []
        for number, (name, version) in enumerate(missing.items(), 1):
            wheel, packed = wheels.wheel_for(name, version, self.cache)
            if packed:
                self.progress.step(number, len(missing), f"packed {wheel.path.name} ({mib(wheel.size)}) from "
                                                          "this machine's installed files")
            built.append(wheel)
        why = wheels.host_mismatch(base, built)
        if why:
            raise TargetError(f"cannot provision {self.where} from this machine: {why}", hint=self._elsewhere())

        created = self._make_venv(lease, venv, venv_python, found)
        sent = self._send(lease, folder, built) if built else 0
        if built:
            self._install(lease, venv_python, folder, built, missing)
        else:
            self.say(f"{venv} already has every package at this machine's versions; nothing to install")
        final = probe_python(self.engine, venv_python, lease)
        statuses = requirements.assess(final.get("packages") or {}, want=self.want)
        problems = [s.describe() for s in statuses if s.problem]
        if problems:
            raise TargetError(f"{self.where}: after installing, {venv_python} still lacks: {'; '.join(problems)}")
        self.say(f"done: {venv_python} has the step runtime's packages")
        return ProvisionResult(venv_python, missing, {n: v for n, v in pins.items() if n not in missing}, sent,
                               created, [s.__dict__ for s in statuses])

    def _elsewhere(self) -> str:
        return ("provision it from a machine with the same Python version, OS and architecture as the host, or "
                "install the packages on the host with its own pip and point the target's --python at that "
                f"Python ('workbench targets check {self.params.name}' names what is missing)")

    def _venv_packages(self, lease: Any, venv_python: str, names: list[str]) -> dict[str, str | None]:
        code, _, _ = lease.exec(f"test -x {shlex.quote(venv_python)}")
        if code != 0:
            return {}
        script = ("import json, sys\nfrom importlib import metadata\nout = {}\nfor n in json.loads(sys.argv[1]):\n"
                  "    try:\n        out[n] = metadata.version(n)\n    except Exception:\n        out[n] = None\n"
                  "print(json.dumps(out))\n")
        code, out, _ = lease.exec(f"{shlex.quote(venv_python)} -c {shlex.quote(script)} "
                                  f"{shlex.quote(json.dumps(names))}", timeout=120)
        if code != 0:
            return {}
        found = requirements.parse_probe(out, self.where)
        return {wheels.canonical(k): v for k, v in found.items()}

    def _make_venv(self, lease: Any, venv: str, venv_python: str, found: dict[str, str | None]) -> bool:
        if found or lease.exec(f"test -x {shlex.quote(venv_python)}")[0] == 0:
            self.say(f"using the virtual environment {venv}")
            return False
        self.say(f"making the virtual environment {venv} with {self.base}")
        code, _, err = lease.exec(f"{shlex.quote(self.base)} -m venv --without-pip {shlex.quote(venv)}",
                                  timeout=300)
        if code != 0:
            raise TargetError(f"{self.where}: making the virtual environment {venv} failed: {err.strip()[-400:]}",
                              hint="check the free disk and that the target's Python can make virtual "
                                   "environments (Debian/Ubuntu: apt-get install python3-venv)")
        return True

    def _send(self, lease: Any, folder: str, built: list[wheels.Wheel]) -> int:
        code, _, err = lease.exec(f"mkdir -p -- {shlex.quote(folder)}")
        if code != 0:
            raise TargetError(f"{self.where}: cannot make {folder}: {err.strip()}")
        total = sum(w.size for w in built)
        self.say(f"sending {len(built)} wheels ({mib(total)}) to {self.params.label}:{folder}")
        sent = 0
        sftp = lease.sftp()
        try:
            for number, wheel in enumerate(built, 1):
                remote = posixpath.join(folder, wheel.path.name)
                try:
                    if sftp.stat(remote).st_size == wheel.size:
                        self.progress.step(number, len(built), f"{wheel.path.name} is already on the host")
                        continue
                except OSError:
                    pass
                self.progress.step(number, len(built), f"sending {wheel.path.name} ({mib(wheel.size)})")
                partial = f"{remote}.partial-{uuid.uuid4().hex[:8]}"
                sftp.put(str(wheel.path), partial)
                sftp.posix_rename(partial, remote)
                sent += wheel.size
        finally:
            sftp.close()
        self.say(f"sent {mib(sent)}")
        return sent

    def _install(self, lease: Any, venv_python: str, folder: str, built: list[wheels.Wheel],
                 missing: dict[str, str]) -> None:
        pip_wheel = next((w for w in built if w.dist == "pip"), None)
        pip = (shlex.quote(posixpath.join(folder, pip_wheel.path.name)) + "/pip" if pip_wheel
               else "-m pip")  # a venv that already has this pip uses it
        pinned = " ".join(shlex.quote(f"{n}=={v}") for n, v in missing.items())
        self.say(f"installing {len(missing)} packages into {posixpath.dirname(posixpath.dirname(venv_python))} "
                 "(pip, offline: --no-index)")
        code, out, err = lease.exec(
            f"{shlex.quote(venv_python)} {pip} install --no-index --find-links {shlex.quote(folder)} "
            f"--no-compile --disable-pip-version-check --no-warn-script-location --progress-bar off {pinned}",
            timeout=INSTALL_TIMEOUT_S)
        if code != 0:
            text = (err.strip() or out.strip())[-800:]
            raise TargetError(f"{self.where}: pip could not install the packages: {text}",
                              hint="the wheels stay on the host; fix what pip names and run the provision again")
        for line in out.splitlines():
            if line.startswith("Successfully installed"):
                self.say(line)


def provision(params: SshParams, *, want: tuple[str, ...] = (), cache: Path | None = None,
              progress: Progress | None = None, base_python: str | None = None) -> ProvisionResult:
    """Give the SSH host a venv with the step runtime's packages, made with ``base_python``
    (default: the target's Python); see the module's docstring."""
    return Provisioner(params, want=want, cache=cache, progress=progress, base_python=base_python).run()
