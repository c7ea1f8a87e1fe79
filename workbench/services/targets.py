"""The target registry for engineers: add, list, check, provision, trust and remove execution
targets. Secrets never reach the store: an SSH key passphrase goes to the OS keyring (or is held
for the session when the machine has none)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from workbench.engines import targets as engine_targets
from workbench.engines.errors import TargetError
from workbench.errors import InvalidInputError
from workbench.governance import secrets
from workbench.progress import Progress, quietly
from workbench.services.identity import acting, authorise
from workbench.store import Store
from workbench.store.repos.targets import Target


@dataclass(frozen=True)
class TargetCheck:
    name: str
    kind: str
    ok: bool
    details: dict[str, Any]
    problem: str = ""
    packages: tuple[dict[str, Any], ...] = ()  # each runtime package: dist, spec, found, status

    @property
    def missing(self) -> list[str]:
        """The runtime packages that are missing or at a version out of range."""
        return [p["dist"] for p in self.packages if p["status"] in ("missing", "incompatible")]


def add_target(store: Store, actor: str, name: str, kind: str, params: dict[str, Any],
               passphrase: str | None = None, session_only: bool = False) -> Target:
    """Register a target (engineers and admins); its key passphrase goes to the keyring, never
    to the store."""
    if passphrase and not session_only:
        ok, why = secrets.keyring_status()
        if not ok:  # say so before anything is written
            raise secrets.KeyringUnavailableError(
                f"cannot keep the passphrase of {name!r}: {why}",
                hint="add the target without --ask-passphrase and use "
                     f"'workbench targets passphrase {name} --session-only'")
    check_params(name, kind, params)
    with store.write(actor) as uow:
        authorise(uow, actor, "targets.manage")
        target = uow.targets.add(name, kind, {k: v for k, v in params.items() if v not in (None, "")})
    if passphrase:
        set_passphrase(name, passphrase, session_only=session_only)
    return target


PLAIN_PATH = re.compile(r"[A-Za-z0-9 ._+@%,:=/-]*")  # no shell metacharacters, no control characters
COMMAND = re.compile(r"[A-Za-z0-9._+@%,:=/-]+")


def check_params(name: str, kind: str, params: dict[str, Any]) -> None:
    """Refuse parameter values that a host's shell could read as code (exit 1, naming it): an
    SSH ``work_dir`` is an absolute POSIX path (or one under the login's home, ``~/…``) of plain
    characters, a ``python`` a path or command name without shell metacharacters. The SSH engine
    quotes them as well, so a target stored before these rules runs nothing but its step."""
    python = params.get("python")
    if kind in ("ssh", "local") and python not in (None, "") and (
            not COMMAND.fullmatch(str(python)) or str(python).startswith("-")):
        raise InvalidInputError(
            f"target {name!r}: the parameter python ({python!r}) is not a path or command name",
            hint="give the Python (--python) an absolute path such as /opt/venv/bin/python or a command name such as "
                 "python3: letters, digits and . _ + @ % , : = / - only, no spaces, quotes or shell characters")
    work_dir = params.get("work_dir")
    if kind == "ssh" and work_dir not in (None, ""):
        text = str(work_dir)
        under_home = text == "~" or text.startswith("~/")
        if not (text.startswith("/") or under_home) or not PLAIN_PATH.fullmatch(text[1:]):
            raise InvalidInputError(
                f"target {name!r}: the parameter work_dir ({text!r}) is not an absolute POSIX path "
                "of plain characters",
                hint="give the work dir (--work-dir) an absolute path such as /srv/workbench (or ~/.mlops-workbench, under "
                     "the login's home): letters, digits, spaces and . _ + @ % , : = / - only, no newlines, "
                     "quotes or shell characters")


def set_passphrase(name: str, passphrase: str, *, session_only: bool = False) -> str:
    """Keep an SSH key passphrase: in the OS keyring, or for this session only."""
    if session_only:
        secrets.remember_for_session(engine_targets.PASSPHRASE_KIND, name, passphrase)
        return "session"
    secrets.store_secret(engine_targets.PASSPHRASE_KIND, name, passphrase)
    return "keyring"


def list_targets(store: Store, actor: str) -> list[Target]:
    """Every target, the built-in ``local`` first (anyone signed in may read them)."""
    with store.read() as uow:
        acting(uow, actor)
        return [Target(0, "local", "local", {}, 0, "built-in"), *uow.targets.all()]


def get_target(store: Store, actor: str, name: str) -> Target:
    """The target of this name (``local`` is built in)."""
    if name == "local":
        return Target(0, "local", "local", {}, 0, "built-in")
    with store.read() as uow:
        acting(uow, actor)
        return uow.targets.get(name)


def remove_target(store: Store, actor: str, name: str) -> None:
    """Remove a target and forget its key passphrase (engineers and admins)."""
    with store.write(actor) as uow:
        authorise(uow, actor, "targets.manage")
        uow.targets.remove(name)
    secrets.delete_secret(engine_targets.PASSPHRASE_KIND, name)


def check_target(store: Store, actor: str, name: str, *, progress: Progress | None = None,
                 want: tuple[str, ...] = ()) -> TargetCheck:
    """Probe a target (versions, CPUs, GPUs, free disk) and compare the packages its own Python
    has with what the step runtime needs; a missing or out-of-range package fails the check,
    naming it and ``workbench targets provision``. Torch counts only where a torch step is
    likely to run: on a host with a GPU, or when asked for (``want``). ``progress`` names each
    stage and a cancel takes effect when the stage in hand (a connection, a probe) returns."""
    progress = quietly(progress)
    target = get_target(store, actor, name)
    try:
        details, found = engine_targets.probe(target.name, target.kind, target.params, progress=progress)
    except TargetError as exc:
        return TargetCheck(name, target.kind, False, {}, str(exc))
    progress.step(1, 1, "done")
    if not found:  # a Spark cluster: its executors' Python is the cluster's business
        return TargetCheck(name, target.kind, True, details)
    if details.get("gpus"):
        want = (*want, "torch")
    statuses = engine_targets.assess_packages(found.get("packages") or {}, want=want)
    details = {**details, "executable": found.get("executable"), "venv": found.get("venv")}
    packages = tuple(asdict(s) for s in statuses)
    problems = [s.describe() for s in statuses if s.problem]
    if not problems:
        return TargetCheck(name, target.kind, True, details, packages=packages)
    fix = (f"run 'workbench targets provision {name}' (an engineer or admin) to install them in a virtual "
           "environment on the host" if target.kind == "ssh"
           else f"install them into {found.get('executable')} with pip, or add a local target whose --python has them")
    problem = (f"target {name!r}: the Python {found.get('executable')} lacks what steps need: "
               f"{'; '.join(problems)}. To fix it, {fix}")
    return TargetCheck(name, target.kind, False, details, problem, packages)


def provision_target(store: Store, actor: str, name: str, *, want: tuple[str, ...] | None = None,
                     cache: Any = None, progress: Progress | None = None) -> Any:
    """Make a venv with the runtime's packages (from this machine's wheels) on an SSH target and
    make its Python the target's (engineers and admins; audited as ``targets.provision``).
    ``want=None`` adds torch when the host has a GPU."""
    with store.read() as uow:
        authorise(uow, actor, "targets.manage")
    target = get_target(store, actor, name)
    if target.kind != "ssh":
        raise TargetError(f"target {name!r} is a {target.kind} target; only SSH targets are provisioned",
                          hint="for a local target, install the packages into its Python with pip "
                               "('workbench targets check' names them)")
    result, base = engine_targets.provision_ssh(target.name, target.params, want=want, cache=cache,
                                                progress=progress)
    with store.write(actor) as uow:
        authorise(uow, actor, "targets.manage")
        uow.targets.update_params(name, {**target.params, "python": result.python, "base_python": base},
                                  "targets.provision",
                                  {"python": result.python, "previous_python": target.params.get("python"),
                                   "installed": result.installed, "kept": result.kept,
                                   "sent_bytes": result.sent_bytes})
    return result


def host_key_to_trust(store: Store, actor: str, name: str) -> tuple[Any, str, str | None]:
    """The key an SSH target offers now, its fingerprint, and the fingerprint on record (if any)."""
    target = get_target(store, actor, name)
    if target.kind != "ssh":
        raise TargetError(f"target {name!r} is a {target.kind} target; only SSH targets have host keys")
    return engine_targets.offered_host_key(target.name, target.params)


def trust_target(store: Store, actor: str, name: str, confirm: Callable[[str, str | None], bool]) -> bool:
    """Show the offered fingerprint of an unknown (or changed) host key to ``confirm``; record
    the key only if it says yes (audited as ``targets.trust``)."""
    with store.read() as uow:
        authorise(uow, actor, "targets.manage")
    key, offered, known = host_key_to_trust(store, actor, name)
    if not confirm(offered, known):
        return False
    target = get_target(store, actor, name)
    engine_targets.trust_host_key(target.name, target.params, key)
    with store.write(actor) as uow:
        uow.audit.append("targets.trust", f"target:{name}", {"fingerprint": offered, "replaced": known})
    return True
