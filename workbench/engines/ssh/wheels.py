"""Wheels of this machine's installed distributions, for hosts that cannot download them.

``closure`` walks the installed metadata from the runtime's packages to every distribution they
need (markers evaluated for this interpreter), pinned at the versions installed here — the
versions the workbench was tested with on this machine. ``wheel_for`` takes a wheel from the
wheel cache (a folder; ``default_cache()`` unless given) or packs the installed distribution
into one: the files its ``RECORD`` lists under site-packages, its metadata, the tags its own
``WHEEL`` file declares, and a fresh ``RECORD`` with sha256 digests. Files installed outside
site-packages (console scripts) are left out: pip writes scripts from the entry points.

``host_mismatch`` says why a host cannot use these wheels (another Python, OS, machine or a
libc older than a wheel needs), or returns ``None``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import os
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.engines.errors import TargetError

SKIPPED_METADATA = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
ZIP_TIME = (2020, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Wheel:
    dist: str
    version: str
    path: Path
    tags: tuple[str, ...]

    @property
    def size(self) -> int:
        return self.path.stat().st_size


def default_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir("mlops-workbench")) / "wheels"


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _distribution(name: str) -> importlib.metadata.Distribution:
    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise TargetError(f"{name} is not installed on this machine, so it cannot be sent to the host",
                          hint=f"install it here (pip install {name}) or put its wheel in the wheel cache") from None


def closure(names: list[str]) -> dict[str, str]:
    """{canonical dist name: version installed here} for ``names`` and everything they need."""
    from packaging.requirements import Requirement

    found: dict[str, str] = {}
    seen: set[tuple[str, tuple[str, ...]]] = set()
    todo: list[tuple[str, tuple[str, ...]]] = [(canonical(n), ()) for n in names]
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = _distribution(name)
        found.setdefault(name, dist.version)
        for line in dist.requires or []:
            requirement = Requirement(line)
            marker = requirement.marker
            if marker is not None and not any(marker.evaluate({"extra": e}) for e in (*extras, "")):
                continue
            todo.append((canonical(requirement.name), tuple(sorted(requirement.extras))))
    return dict(sorted(found.items()))


def _tags(dist: importlib.metadata.Distribution, name: str) -> tuple[str, ...]:
    text = dist.read_text("WHEEL")
    if not text:
        raise TargetError(f"{name} {dist.version} on this machine was not installed from a wheel (no WHEEL "
                          "file), so it cannot be packed for the host",
                          hint=f"reinstall it here with pip, or put a wheel of {name}=={dist.version} in the "
                               "wheel cache")
    return tuple(line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("Tag:"))


def _compressed(tags: tuple[str, ...]) -> str:
    parts = [sorted({t.split("-")[i] for t in tags}) for i in range(3)]
    return "-".join(".".join(p) for p in parts)


def _cached(cache: Path, name: str, version: str) -> Path | None:
    stem = re.sub(r"[-_.]+", "_", name).lower()
    for path in sorted(cache.glob("*.whl")):
        parts = path.name.split("-")
        if len(parts) >= 5 and re.sub(r"[-_.]+", "_", parts[0]).lower() == stem and parts[1] == version:
            return path
    return None


def _wheel_tags(path: Path) -> tuple[str, ...]:
    py, abi, plat = path.name[:-4].split("-")[-3:]
    return tuple(f"{p}-{a}-{x}" for p in py.split(".") for a in abi.split(".") for x in plat.split("."))


def wheel_for(name: str, version: str, cache: Path) -> tuple[Wheel, bool]:
    """(the wheel of ``name==version``, whether it was packed just now)."""
    cache.mkdir(parents=True, exist_ok=True)
    found = _cached(cache, name, version)
    if found is not None:
        return Wheel(name, version, found, _wheel_tags(found)), False
    dist = _distribution(name)
    if dist.version != version:
        raise TargetError(f"{name} {version} is wanted but {dist.version} is installed on this machine")
    return pack(dist, name, cache), True


def pack(dist: importlib.metadata.Distribution, name: str, cache: Path) -> Wheel:
    """Pack an installed distribution into ``cache`` as a wheel (written aside, then renamed)."""
    tags = _tags(dist, name)
    info = Path(str(dist._path))  # type: ignore[attr-defined]  # the .dist-info folder
    site = info.parent
    stem = info.name[: -len(".dist-info")].split("-")[0]
    filename = f"{stem}-{dist.version}-{_compressed(tags)}.whl"
    files: list[tuple[str, Path]] = []
    for entry in dist.files or []:
        relative = str(entry).replace(os.sep, "/")
        if relative.startswith("../") or "/__pycache__/" in f"/{relative}" or relative.endswith(".pyc"):
            continue
        if relative.startswith(f"{info.name}/") and relative.split("/", 1)[1] in SKIPPED_METADATA:
            continue
        path = site / relative
        if path.is_file():
            files.append((relative, path))
    record: list[str] = []
    partial = cache / f".{filename}.{os.getpid()}.partial"
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for relative, path in sorted(files):
            data = path.read_bytes()
            item = zipfile.ZipInfo(relative, ZIP_TIME)
            item.compress_type = zipfile.ZIP_DEFLATED
            item.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            archive.writestr(item, data, compresslevel=1)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{relative},sha256={digest},{len(data)}")
        record.append(f"{info.name}/RECORD,,")
        archive.writestr(zipfile.ZipInfo(f"{info.name}/RECORD", ZIP_TIME), "\n".join(record) + "\n")
    target = cache / filename
    partial.replace(target)
    return Wheel(canonical(name), dist.version, target, tags)


def local_facts() -> dict[str, Any]:
    import platform

    return {"implementation": sys.implementation.name, "version": list(sys.version_info[:2]),
            "sys_platform": sys.platform, "machine": platform.machine(), "libc": list(platform.libc_ver())}


def _needed_glibc(tags: tuple[str, ...], local_glibc: tuple[int, ...]) -> tuple[int, ...]:
    needed: tuple[int, ...] = ()
    for tag in tags:
        platform_tag = tag.split("-")[-1]
        match = re.match(r"manylinux_(\d+)_(\d+)_", platform_tag)
        floor: tuple[int, ...]
        if match:
            floor = (int(match[1]), int(match[2]))
        elif platform_tag.startswith("manylinux2014"):
            floor = (2, 17)
        elif platform_tag.startswith("linux_"):
            floor = local_glibc  # built on this machine: its own libc is the floor
        else:
            continue
        needed = floor if not needed or floor < needed else needed  # any one tag suffices
    return needed


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:2])


def host_mismatch(host: dict[str, Any], wheels: list[Wheel] | None = None) -> str | None:
    """Why the host's Python cannot install this machine's wheels, or ``None`` when it can."""
    here = local_facts()
    for key, what in (("implementation", "Python implementation"), ("version", "Python version"),
                      ("sys_platform", "operating system"), ("machine", "machine architecture")):
        if host.get(key) != here[key]:
            def show(value: Any) -> str:
                return ".".join(map(str, value)) if isinstance(value, list) else str(value)
            return (f"its {what} is {show(host.get(key))}, this machine's is {show(here[key])}; the wheels "
                    "from this machine would not run there")
    host_libc, here_libc = list(host.get("libc") or ["", ""]), here["libc"]
    if here["sys_platform"] == "linux" and host_libc[0] != here_libc[0]:
        return (f"its C library is {host_libc[0] or 'unknown'} {host_libc[1]}, this machine's is "
                f"{here_libc[0]} {here_libc[1]}; the wheels from this machine would not run there")
    if here_libc[0] == "glibc" and wheels:
        host_glibc = _version(host_libc[1])
        for wheel in wheels:
            needed = _needed_glibc(wheel.tags, _version(here_libc[1]))
            if needed and host_glibc < needed:
                return (f"its glibc is {host_libc[1]}, but the wheel {wheel.path.name} needs glibc "
                        f"{'.'.join(map(str, needed))} or later")
    return None
