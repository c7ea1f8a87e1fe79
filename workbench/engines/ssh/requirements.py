"""What the step runtime needs from a target's Python, and what a target's Python has.

The list is derived, not kept by hand: every module the runtime bundle imports
(``bundle.INCLUDED``, read with ``ast``, at any depth) that is neither the standard library nor
the workbench is mapped to its distribution on this machine; its version range comes from the
project's dependencies (``pyproject.toml`` beside the package, else the installed metadata).

- a distribution among the main dependencies is *required*;
- one listed only under an optional extra (``torch``) is *optional*, named by that extra:
  it is needed only by the steps that use it (``train_torch``);
- one imported only under ``try: … except ImportError`` is *optional* ("used when present").

Plug-in kinds add their packages: each installed distribution that declares an executor in
``workbench.node_executors`` (``runtime.registry``) is an optional package pinned to the version
installed here (``==0.3.0``), named by its kind ("plug-in kind scale_columns"), so ``targets
check`` says which hosts can run which plug-in kinds; :func:`plugin_refusal` is what the SSH
engine asks before it ships a plug-in kind's step: a host whose Python lacks the package, or has
another version of it (other code), is refused naming the package and the pip command.

``PACKAGES_PROBE`` (standard library only) runs with the target's Python and reports its
interpreter (version, platform, machine, libc, whether it is a venv) and the installed version of
each named distribution; ``assess`` compares that with the requirements.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench.engines.ssh.bundle import INCLUDED, PACKAGE_ROOT

PROJECT = "mlops-workbench"


@dataclass(frozen=True)
class RuntimePackage:
    dist: str           # distribution name, as pip knows it (scikit-learn)
    module: str         # what the runtime imports (sklearn)
    spec: str           # the version range from the project's dependencies ('>=1.4', '' for none)
    optional: str = ""  # '' (required), an extra's name ('torch'), or 'when present'


@dataclass(frozen=True)
class PackageStatus:
    dist: str
    spec: str
    found: str | None
    status: str         # ok | missing | incompatible | optional-missing | optional-other
    optional: str = ""

    @property
    def problem(self) -> bool:
        return self.status in ("missing", "incompatible")

    def describe(self) -> str:
        wanted = f"{self.dist}{self.spec}"
        if self.status == "missing":
            return f"{wanted} is missing"
        if self.status == "incompatible":
            return f"{wanted} is needed, {self.found} is installed"
        if self.status == "optional-missing":
            return f"{self.dist} is not installed (optional: only {self.optional} steps need it)"
        if self.status == "optional-other":
            return (f"{self.dist} {self.found} is installed, {self.spec} here: {self.optional} "
                    "steps are refused until the versions match")
        return f"{self.dist} {self.found}"


PACKAGES_PROBE = r'''
import json, os, platform, sys
from importlib import metadata
info = {"python": platform.python_version(), "implementation": sys.implementation.name,
        "version": list(sys.version_info[:2]), "sys_platform": sys.platform, "machine": platform.machine(),
        "libc": list(platform.libc_ver()), "executable": sys.executable,
        "venv": sys.prefix != getattr(sys, "base_prefix", sys.prefix), "packages": {}}
for name in json.loads(sys.argv[1]):
    try:
        info["packages"][name] = metadata.version(name)
    except Exception:
        info["packages"][name] = None
try:
    import venv  # noqa: F401
    info["has_venv"] = True
except Exception:
    info["has_venv"] = False
print(json.dumps(info))
'''


def _imports(path: Path) -> tuple[set[str], set[str]]:
    """(top-level names imported, those of them imported only under ``except ImportError``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    plain: set[str] = set()
    guarded: set[str] = set()

    def names(node: ast.AST) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name.split(".")[0] for alias in node.names]
        if isinstance(node, ast.ImportFrom) and node.module and not node.level:
            return [node.module.split(".")[0]]
        return []

    def visit(node: ast.AST, under_guard: bool) -> None:
        if isinstance(node, ast.Try):
            catches = any(isinstance(h.type, ast.Name) and h.type.id in ("ImportError", "ModuleNotFoundError")
                          for h in node.handlers)
            for statement in node.body:
                visit(statement, under_guard or catches)
            for other in [*node.handlers, *node.orelse, *node.finalbody]:
                visit(other, under_guard)
            return
        for name in names(node):
            (guarded if under_guard else plain).add(name)
        for child in ast.iter_child_nodes(node):
            visit(child, under_guard)

    visit(tree, False)
    return plain, guarded - plain


def _dependencies() -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """({main dist: spec}, {optional dist: (spec, extra)}) of the project, canonical names."""
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pyproject = PACKAGE_ROOT.parent / "pyproject.toml"
    main: list[str] = []
    extras: dict[str, list[str]] = {}
    if pyproject.is_file():
        import tomllib

        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if project.get("name") == PROJECT:
            main = list(project.get("dependencies", []))
            extras = {k: list(v) for k, v in project.get("optional-dependencies", {}).items()}
    if not main:  # an installed workbench: its metadata holds the same lists
        provided = importlib.metadata.metadata(PROJECT).get_all("Provides-Extra") or []
        for line in importlib.metadata.requires(PROJECT) or []:
            requirement = Requirement(line)
            bare = line.split(";")[0]
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                main.append(bare)
            else:
                for extra in provided:
                    if requirement.marker.evaluate({"extra": extra}):
                        extras.setdefault(extra, []).append(bare)
    required = {str(canonicalize_name(Requirement(r).name)): str(Requirement(r).specifier) for r in main}
    optional: dict[str, tuple[str, str]] = {}
    for extra, lines in extras.items():
        for line in lines:
            requirement = Requirement(line)
            name = str(canonicalize_name(requirement.name))
            if name != canonicalize_name(PROJECT) and name not in required and name not in optional:
                optional[name] = (str(requirement.specifier), extra)
    return required, optional


@lru_cache(maxsize=1)
def runtime_packages() -> tuple[RuntimePackage, ...]:
    """The third-party distributions the step runtime imports, with their version ranges."""
    from packaging.utils import canonicalize_name

    plain: set[str] = set()
    guarded: set[str] = set()
    for part in INCLUDED:
        path = PACKAGE_ROOT / part
        for file in (sorted(path.rglob("*.py")) if path.is_dir() else [path]):
            found, maybe = _imports(file)
            plain |= found
            guarded |= maybe
    guarded -= plain
    skip = set(sys.stdlib_module_names) | {"workbench", "__future__"}
    owners = importlib.metadata.packages_distributions()
    required, optional = _dependencies()
    packages: dict[str, RuntimePackage] = {}
    for module in sorted((plain | guarded) - skip):
        dists = owners.get(module)
        if not dists:
            continue  # not installed here either (a Spark-only import, say): nothing to ship
        dist = str(canonicalize_name(dists[0]))
        if dist in required:
            package = RuntimePackage(dist, module, required[dist],
                                     "when present" if module in guarded else "")
        elif dist in optional:
            package = RuntimePackage(dist, module, optional[dist][0], optional[dist][1])
        else:
            package = RuntimePackage(dist, module, "", "when present" if module in guarded else "")
        packages.setdefault(dist, package)
    return tuple(packages.values())


def plugin_packages() -> tuple[RuntimePackage, ...]:
    """The installed plug-in packages that bring an executor, pinned to their version here."""
    from packaging.utils import canonicalize_name

    from workbench.engines.runtime.registry import PLUGIN_EXECUTORS

    try:
        found = list(importlib.metadata.entry_points(group=PLUGIN_EXECUTORS))
    except Exception:
        return ()
    packages: dict[str, RuntimePackage] = {}
    for ep in sorted(found, key=lambda e: e.name):
        dist = getattr(ep, "dist", None)
        if dist is None:
            continue
        name = str(canonicalize_name(dist.name))
        seen = packages.get(name)
        kinds = (f"{seen.optional.replace('plug-in kind ', 'plug-in kinds ', 1)}, {ep.name}"
                 if seen else f"plug-in kind {ep.name}")
        packages[name] = RuntimePackage(name, ep.value.partition(":")[0].split(".")[0].strip(),
                                        f"=={dist.version}", kinds)
    return tuple(packages.values())


def plugin_refusal(kind: str, found: dict[str, str | None], where: str) -> str:
    """Why a step of plug-in ``kind`` cannot run where ``found`` (dist → version) was probed,
    or ``""`` (also for built-in kinds)."""
    from workbench.engines.runtime.registry import plugin_executor

    plugin = plugin_executor(kind)
    if plugin is None:
        return ""
    package = next((p for p in plugin_packages() if p.spec == f"=={plugin.version}"
                    and p.dist == canonical_name(plugin.package)), None)
    dist = package.dist if package else plugin.package
    version = found.get(dist)
    install = f"pip install '{dist}=={plugin.version}'"
    if version is None:
        return (f"node kind {kind!r} comes from the plug-in package {dist!r} ({plugin.version} here), "
                f"which {where} does not have: install it for that Python ({install}), then run "
                f"again; 'workbench targets check' lists the plug-ins a target has")
    if version != plugin.version:
        return (f"node kind {kind!r} comes from the plug-in package {dist!r}: {plugin.version} here, "
                f"{version} on {where}; the step would run other code than this workbench knows: "
                f"install the same version there ({install})")
    return ""


def canonical_name(name: str) -> str:
    """A distribution's name as pip compares it (``Wb_Scale.Plugin`` → ``wb-scale-plugin``)."""
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


def assess(found: dict[str, str | None], *, want: tuple[str, ...] = ()) -> list[PackageStatus]:
    """Each runtime package's status on a target, given ``found`` (dist → version or None);
    optional packages named in ``want`` (by dist or extra) count as required."""
    from packaging.specifiers import SpecifierSet
    from packaging.version import InvalidVersion, Version

    statuses = []
    for package in (*runtime_packages(), *plugin_packages()):
        version = found.get(package.dist)
        wanted = not package.optional or package.dist in want or package.optional in want
        if version is None:
            status = "missing" if wanted else "optional-missing"
        else:
            try:
                fits = SpecifierSet(package.spec).contains(Version(version), prereleases=True)
            except InvalidVersion:
                fits = False
            plugin = package.optional.startswith("plug-in kind")
            status = "ok" if fits else ("optional-other" if plugin and not wanted else "incompatible")
        statuses.append(PackageStatus(package.dist, package.spec, version, status, package.optional))
    return statuses


def parse_probe(output: str, where: str) -> dict[str, Any]:
    from workbench.engines.errors import TargetError

    try:
        return json.loads(output.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise TargetError(f"{where}: the Python's report could not be read: {output.strip()[-300:]!r}") from None


def probe_args() -> list[str]:
    """The command-line arguments of ``PACKAGES_PROBE``: the names of the distributions."""
    return [json.dumps([p.dist for p in (*runtime_packages(), *plugin_packages())])]
