"""Can the desktop start here? Checked before any long work, without importing Qt in this
process: Qt aborts the whole process when its platform plugin cannot load, and its message
often blames the wrong library.

Two checks, cheapest first:

- ``missing_libraries``: ``ldd`` on the Qt platform plugin and the Qt libraries it loads
  lists the shared libraries the system lacks (milliseconds; Linux only);
- ``check_desktop(full=True)`` then starts a ``QApplication`` in a child process, which also
  catches what ``ldd`` cannot see (no display, a broken plugin).

A problem becomes one ``DesktopUnavailableError`` (exit 2) that names the missing libraries
and the one command that installs them on Debian/Ubuntu and on Fedora.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

from workbench.errors import UnusableInputError

# soname → (Debian/Ubuntu package, Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
}
for _ext in ("xkb.so.1", "shape.so.0", "randr.so.0", "xfixes.so.0", "sync.so.1", "shm.so.0", "render.so.0",
             "xinerama.so.0", "xinput.so.0", "glx.so.0", "dri3.so.0", "present.so.0"):
    PACKAGES[f"libxcb-{_ext}"] = (f"libxcb-{_ext.split('.so')[0]}{_ext.rsplit('.', 1)[1]}", "libxcb")
PACKAGES["libxcb.so.1"] = ("libxcb1", "libxcb")

# Everything the desktop needs on a bare Debian/Ubuntu or Fedora system (the README lists it).
ALL_DEBIAN = ("libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon0 libxkbcommon-x11-0 libx11-xcb1 "
              "libxcb1 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 "
              "libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xinerama0 libxcb-xkb1")
ALL_FEDORA = ("mesa-libEGL mesa-libGL fontconfig dbus-libs libxkbcommon libxkbcommon-x11 libX11-xcb libxcb "
              "xcb-util-cursor xcb-util-wm xcb-util-keysyms xcb-util-image xcb-util-renderutil")


class DesktopUnavailableError(UnusableInputError):
    """The desktop cannot start on this machine; the message says why and what to install."""


def platform_name(env: dict[str, str] | None = None) -> str:
    """The Qt platform plugin Qt will try first here."""
    env = dict(os.environ if env is None else env)
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if sys.platform != "linux":
        return "native"
    if env.get("WAYLAND_DISPLAY") and not env.get("DISPLAY"):
        return "wayland"
    return "xcb"


def _qt_folder() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "Qt"


def parse_ldd(output: str) -> list[str]:
    """The sonames ``ldd`` reports as ``not found``, in order, without repeats."""
    missing: list[str] = []
    for line in output.splitlines():
        name, _, where = line.strip().partition("=>")
        if "not found" in where and name.strip() not in missing:
            missing.append(name.strip())
    return missing


def missing_libraries(platform: str | None = None) -> list[str]:
    """System libraries that the Qt platform plugin (and the Qt libraries under it) lack."""
    qt, ldd = _qt_folder(), shutil.which("ldd")
    if qt is None or ldd is None or sys.platform != "linux":
        return []
    platform = platform or platform_name()
    plugin_name = {"xcb": "libqxcb.so", "wayland": "libqwayland-generic.so"}.get(platform, f"libq{platform}.so")
    candidates = [qt / "plugins" / "platforms" / plugin_name, qt / "lib" / "libQt6Gui.so.6",
                  qt / "lib" / "libQt6Widgets.so.6"]
    if platform == "xcb":
        candidates.append(qt / "lib" / "libQt6XcbQpa.so.6")
    return missing_in([c for c in candidates if c.exists()], ldd)


def missing_in(binaries: list[Path], ldd: str | None = None) -> list[str]:
    """The shared libraries ``ldd`` cannot find for any of ``binaries``."""
    ldd = ldd or shutil.which("ldd")
    if ldd is None:
        return []
    missing: list[str] = []
    for binary in binaries:
        try:
            out = subprocess.run([ldd, str(binary)], capture_output=True, text=True, timeout=20).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        missing += [name for name in parse_ldd(out) if name not in missing]
    return missing


def install_advice(missing: list[str]) -> str:
    """The one command per distribution that installs what is missing."""
    debian = sorted({PACKAGES.get(name, (None, None))[0] or "?" for name in missing} - {"?"})
    fedora = sorted({PACKAGES.get(name, (None, None))[1] or "?" for name in missing} - {"?"})
    if not debian:  # a library we cannot name a package for: the whole list is the safe answer
        debian, fedora = ALL_DEBIAN.split(), ALL_FEDORA.split()
    return (f"  Debian/Ubuntu: sudo apt-get install {' '.join(debian)}\n"
            f"  Fedora:        sudo dnf install {' '.join(fedora)}")


_PROBE = ("import sys\n"
          "from PySide6.QtWidgets import QApplication\n"
          "app = QApplication(sys.argv[:1])\n"
          "print('platform', app.platformName(), flush=True)\n")


def check_desktop(*, full: bool = False, timeout: float = 60.0) -> None:
    """Raise ``DesktopUnavailableError`` when the desktop cannot start here.

    The ``ldd`` check always runs; ``full`` also starts Qt in a child process (about half a
    second), for use before long work such as building the demo.
    """
    platform = platform_name()
    headless_hint = "Without a window: `workbench demo --headless`, or any `workbench` command."
    missing = missing_libraries(platform)
    if missing:
        raise DesktopUnavailableError(
            f"the desktop cannot start: Qt's {platform!r} platform plugin needs system libraries that "
            f"are missing: {', '.join(missing)}.\nInstall them with one of:\n{install_advice(missing)}\n"
            f"{headless_hint}")
    if not full:
        return
    try:
        probe = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise DesktopUnavailableError(
            f"the desktop cannot start: Qt's {platform!r} platform did not come up within {timeout:.0f} s. "
            f"{headless_hint}") from None
    if probe.returncode == 0:
        return
    said = " ".join(line.strip() for line in probe.stderr.splitlines() if line.strip()
                    and not line.startswith(("Available platform plugins", "This application failed")))[:600]
    if platform == "xcb" and not os.environ.get("DISPLAY"):
        why = ("there is no display (DISPLAY is not set). Start it from a desktop session, run it under "
               "`xvfb-run`, or set QT_QPA_PLATFORM=offscreen for a window nobody sees")
    else:
        why = f"Qt's {platform!r} platform plugin could not be loaded (Qt said: {said or 'nothing'})"
    raise DesktopUnavailableError(f"the desktop cannot start: {why}.\n{headless_hint}")
