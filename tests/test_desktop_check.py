"""Before long work the workbench checks that its desktop can start: missing system libraries
are named with the command that installs them, no display is said plainly, exit 2, and nothing
is built. A quit timer shorter than start-up still ends the program."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import no_traceback, workbench
from workbench.desktop_check import install_advice, missing_in, parse_ldd, platform_name


def test_ldd_output_is_read_for_what_is_not_found() -> None:
    out = ("\tlinux-vdso.so.1 (0x00007ffd)\n"
           "\tlibxcb-icccm.so.4 => not found\n"
           "\tlibxcb.so.1 => /lib/x86_64-linux-gnu/libxcb.so.1 (0x00007f)\n"
           "\tlibxcb-keysyms.so.1 => not found\n"
           "\tlibxcb-icccm.so.4 => not found\n")
    assert parse_ldd(out) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


def test_advice_names_the_packages_of_both_distributions() -> None:
    advice = install_advice(["libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-xkb.so.1"])
    assert "apt-get install libxcb-icccm4 libxcb-keysyms1 libxcb-xkb1" in advice
    assert "dnf install libxcb xcb-util-keysyms xcb-util-wm" in advice
    assert "libxcb-cursor0" in install_advice(["libsomething-unknown.so.9"])  # unknown: the whole list


def test_a_library_that_is_really_missing_is_found(tmp_path: Path) -> None:
    """A real ELF linked against a library that is then removed: ldd reports it, we name it."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        pytest.fail("a C compiler is needed to build the test's plugin (apt-get install build-essential)")
    (tmp_path / "stub.c").write_text("int stub(void) { return 1; }\n")
    (tmp_path / "plugin.c").write_text("int stub(void);\nint plugin(void) { return stub(); }\n")
    lib = "libxcb-wbmissing.so.7"  # a name no system has, so ldd cannot find it anywhere
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(tmp_path / lib), f"-Wl,-soname,{lib}",
                    str(tmp_path / "stub.c")], check=True)
    subprocess.run([gcc, "-shared", "-fPIC", "-o", str(tmp_path / "libqfake.so"), str(tmp_path / "plugin.c"),
                    str(tmp_path / lib)], check=True)
    assert missing_in([tmp_path / "libqfake.so"]) == [lib]  # not on the search path even while it exists
    (tmp_path / lib).unlink()
    missing = missing_in([tmp_path / "libqfake.so"])
    assert missing == [lib]
    assert "libxcb-icccm4" in install_advice(missing)  # a library we cannot name: the whole list


def test_the_platform_qt_will_try() -> None:
    assert platform_name({"QT_QPA_PLATFORM": "offscreen:configfile=/x.json"}) == "offscreen"
    assert platform_name({"DISPLAY": ":0"}) == "xcb"
    assert platform_name({"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"


def test_the_demo_stops_before_its_work_when_no_window_can_open(tmp_path: Path) -> None:
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": "", "XDG_DATA_HOME": str(tmp_path / "data")}
    result = workbench("demo", "--folder", str(tmp_path / "files"), env=env, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "the desktop cannot start" in result.stderr and "no display" in result.stderr
    assert "--headless" in result.stderr and no_traceback(result)
    assert not (tmp_path / "data").exists() and not (tmp_path / "files").exists()  # nothing built


def test_plain_start_without_a_display_says_why(tmp_path: Path) -> None:
    env = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": "", "XDG_DATA_HOME": str(tmp_path / "data")}
    result = workbench(env=env, timeout=120)
    assert result.returncode != 0 and no_traceback(result)
    assert "could not connect to display" in result.stderr.lower() or "cannot start" in result.stderr


def test_a_quit_timer_shorter_than_start_up_still_ends_the_program(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "WORKBENCH_UI_QUIT_AFTER_MS": "1",
           "WORKBENCH_UI_TIMINGS": "1", "WORKBENCH_USER": "newcomer"}
    result = workbench(env=env, timeout=120)  # used to wait forever: the quit fired before the event loop
    assert result.returncode == 0, result.stderr
    assert "first_window" in result.stdout and "interactive" in result.stdout


def test_the_readme_lists_the_same_system_packages() -> None:
    from workbench.desktop_check import ALL_DEBIAN, ALL_FEDORA

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert f"sudo apt-get install {ALL_DEBIAN}" in readme and f"sudo dnf install {ALL_FEDORA}" in readme
