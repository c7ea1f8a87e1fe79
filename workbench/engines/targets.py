"""What the services ask of execution targets: probe one, provision an SSH host, fetch and trust
its host key. The one door from services into ``engines.ssh`` (an import contract says so)."""

from __future__ import annotations

import sys
import tempfile
from typing import TYPE_CHECKING, Any

from workbench.engines.errors import TargetError
from workbench.engines.ssh.connection import PASSPHRASE_KIND
from workbench.progress import Progress

if TYPE_CHECKING:
    from workbench.engines.ssh.provision import ProvisionResult
    from workbench.engines.ssh.requirements import PackageStatus

__all__ = ["PASSPHRASE_KIND", "assess_packages", "offered_host_key", "probe", "provision_ssh",
           "trust_host_key"]


def probe(name: str, kind: str, params: dict[str, Any], *,
          progress: Progress) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what the target is: versions, CPUs, GPUs, free disk; what its Python has: executable,
    venv and the runtime's packages). A Spark cluster's second part is empty: its executors'
    Python is the cluster's business. Raises ``TargetError`` when the target cannot be reached."""
    from workbench.engines.ssh import requirements

    if kind == "local":
        from workbench.engines.ssh.bundle import PROBE

        progress.step(0, 1, "probing this machine")
        python = str(params.get("python") or sys.executable)
        details = _run_local(python, PROBE, [tempfile.gettempdir()])
        return details, _run_local(python, requirements.PACKAGES_PROBE, requirements.probe_args())
    from workbench.engines.registry import build_engine

    progress.step(0, 2, f"connecting to {name} ({kind})")
    engine = build_engine(name, kind, params)
    try:
        progress.step(1, 2, f"probing {name}")
        details = engine.probe()  # type: ignore[attr-defined]
        if kind != "ssh":
            return details, {}
        from workbench.engines.ssh.provision import probe_python

        return details, probe_python(engine, engine.params.python)  # type: ignore[arg-type, attr-defined]
    finally:
        engine.close()


def assess_packages(found: dict[str, str | None], *, want: tuple[str, ...] = ()) -> list[PackageStatus]:
    """Each package the step runtime needs (and those in ``want``, such as torch) against the
    versions a target's Python has."""
    from workbench.engines.ssh.requirements import assess

    return assess(found, want=want)


def provision_ssh(name: str, params: dict[str, Any], *, want: tuple[str, ...] | None = None,
                  cache: Any = None, progress: Progress | None = None) -> tuple[ProvisionResult, str]:
    """Give an SSH target a venv with the runtime's packages: (what was done, the Python that made
    the venv). A provisioned target keeps that Python (``base_python``), so a venv removed on the
    host is made again; ``want=None`` adds torch when the host has a GPU."""
    from dataclasses import replace

    from workbench.engines.ssh.connection import SshParams
    from workbench.engines.ssh.provision import provision

    ssh = SshParams.from_target(name, params)
    base = str(params.get("base_python") or ssh.python)
    if want is None:
        from workbench.engines.ssh.engine import SshEngine

        engine = SshEngine(replace(ssh, python=base))
        try:
            want = ("torch",) if engine.probe().get("gpus") else ()
        finally:
            engine.close()
    return provision(ssh, want=want, cache=cache, progress=progress, base_python=base), base


def offered_host_key(name: str, params: dict[str, Any]) -> tuple[Any, str, str | None]:
    """The key an SSH target's host offers now, its fingerprint, and the fingerprint on record."""
    from workbench.engines.ssh.connection import SshParams, describe_known
    from workbench.engines.ssh.hostkeys import fetch_host_key, fingerprint

    ssh = SshParams.from_target(name, params)
    key = fetch_host_key(ssh.host, ssh.port)
    return key, fingerprint(key), describe_known(ssh)


def trust_host_key(name: str, params: dict[str, Any], key: Any) -> None:
    """Record ``key`` as the SSH target's host key in the workbench's own known_hosts."""
    from workbench.engines.ssh.connection import SshParams
    from workbench.engines.ssh.hostkeys import trust

    ssh = SshParams.from_target(name, params)
    trust(ssh.host, ssh.port, key)


def _run_local(python: str, code: str, args: list[str]) -> dict[str, Any]:
    import json
    import subprocess

    try:
        done = subprocess.run([python, "-c", code, *args], capture_output=True, text=True, timeout=120,
                              check=False)
    except OSError as exc:
        raise TargetError(f"the local Python {python} cannot be started: {exc.strerror or exc}",
                          hint="check the target's --python") from None
    if done.returncode != 0:
        raise TargetError(f"the local Python {python} failed its check: {done.stderr.strip()[-300:]}")
    return json.loads(done.stdout)
