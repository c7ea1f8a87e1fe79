"""The installers' inputs: icons at every size, the Linux desktop entry and AppStream data, and
the briefcase configuration — accepted by briefcase for every target, and run for real with
``briefcase dev --test`` (offline: the requirements are already in the venv).

File formats are read here with independent little parsers (PNG IHDR, ICO directory, ICNS
chunks), not with packaging/make_icons.py's own helpers.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.support.cli import ROOT
from tests.support.components import need

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
BRIEFCASE = PYPROJECT["tool"]["briefcase"]
APP_NAME = "workbench"
APP = BRIEFCASE["app"][APP_NAME]
APP_ID = f"{BRIEFCASE['bundle']}.{APP_NAME}"
ICON = ROOT / f"{APP['icon']}"
PNG_SIZES = (16, 32, 48, 64, 128, 256, 512, 1024)
DESKTOP = ROOT / "packaging" / "linux" / f"{APP_ID}.desktop"
METAINFO = ROOT / "packaging" / "linux" / f"{APP_ID}.metainfo.xml"
# What briefcase's targets need: Linux templates install -{16..512}.png as hicolor icons named
# after the app id; macOS takes .icns, Windows .ico (the icon path without its extension).
HICOLOR_SIZES = (16, 32, 64, 128, 256, 512)
ICNS_PIXELS = {b"icp4": 16, b"icp5": 32, b"ic11": 32, b"icp6": 64, b"ic12": 64, b"ic07": 128,
               b"ic08": 256, b"ic13": 256, b"ic09": 512, b"ic14": 512, b"ic10": 1024}
TARGETS = [("linux", "system"), ("linux", "appimage"), ("linux", "flatpak"),
           ("macOS", "app"), ("windows", "app")]


def png_dimensions(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR", "first chunk is not IHDR"
    return struct.unpack(">II", data[16:24])


def need_briefcase() -> None:
    need(importlib.util.find_spec("briefcase") is not None,
         "briefcase is not installed (it is in the `test` extra: pip install -e '.[test]')")


# --- icons -----------------------------------------------------------------------------------

@pytest.mark.parametrize("size", PNG_SIZES)
def test_every_png_size_exists_with_its_pixel_size(size: int) -> None:
    path = ICON.with_name(f"{ICON.name}-{size}.png")
    assert path.is_file(), f"{path} missing: run packaging/make_icons.py"
    assert png_dimensions(path.read_bytes()) == (size, size)


def test_svg_master_is_a_square_svg_without_text() -> None:
    root = ET.parse(ICON.with_suffix(".svg")).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    _, _, width, height = (float(v) for v in root.get("viewBox", "").split())
    assert width == height
    assert root.find(".//{http://www.w3.org/2000/svg}text") is None


def test_ico_holds_png_entries_16_to_256() -> None:
    data = ICON.with_suffix(".ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, height, _, _, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i: 22 + 16 * i])
        declared = (width or 256, height or 256)
        assert png_dimensions(data[offset: offset + length]) == declared
        assert (planes, bits) == (1, 32)
        sizes.append(declared[0])
    assert sizes == [16, 24, 32, 48, 64, 128, 256]


def test_icns_holds_every_macos_size_up_to_1024() -> None:
    data = ICON.with_suffix(".icns").read_bytes()
    assert data[:4] == b"icns" and struct.unpack(">I", data[4:8])[0] == len(data)
    seen, pos = {}, 8
    while pos < len(data):
        kind, length = data[pos: pos + 4], struct.unpack(">I", data[pos + 4: pos + 8])[0]
        assert length > 8 and pos + length <= len(data), f"chunk {kind!r} overruns the file"
        seen[kind] = png_dimensions(data[pos + 8: pos + length])
        pos += length
    assert seen == {kind: (px, px) for kind, px in ICNS_PIXELS.items()}


def test_icon_generation_is_deterministic_and_covers_the_committed_files(tmp_path: Path) -> None:
    script = ROOT / "packaging" / "make_icons.py"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for out in ("a", "b"):
        done = subprocess.run([sys.executable, str(script), "--out", str(tmp_path / out)],
                              env=env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
    first = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    second = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert first == second
    committed = {p.name for p in ICON.parent.iterdir() if p.suffix != ".svg"}
    assert set(first) == committed


# --- Linux desktop entry and AppStream metadata ----------------------------------------------

def read_desktop() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # desktop entry keys are case-sensitive
    parser.read_string(DESKTOP.read_text(encoding="utf-8"))
    return parser["Desktop Entry"]


def test_desktop_entry_launches_the_console_script_with_the_app_id_icon() -> None:
    entry = read_desktop()
    assert entry["Type"] == "Application"
    assert entry["Name"] == APP["formal_name"]
    assert entry["Comment"] == APP["description"]
    assert entry["Exec"].split()[0] in PYPROJECT["project"]["scripts"]
    assert entry["Icon"] == APP_ID
    assert entry["Terminal"] == "false"
    assert {"Development", "Science"} <= set(filter(None, entry["Categories"].split(";")))
    for size in HICOLOR_SIZES:  # installed as hicolor/<size>x<size>/apps/<Icon>.png
        assert ICON.with_name(f"{ICON.name}-{size}.png").is_file()


def test_desktop_entry_wm_class_is_the_qt_application_name() -> None:
    # Qt's xcb plugin sets WM_CLASS's class to QCoreApplication.applicationName().
    source = (ROOT / "workbench" / "ui" / "app.py").read_text(encoding="utf-8")
    assert f'setApplicationName("{read_desktop()["StartupWMClass"]}")' in source


def test_metainfo_matches_the_desktop_entry_and_the_project() -> None:
    root = ET.parse(METAINFO).getroot()
    assert root.tag == "component" and root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("name") == APP["formal_name"]
    assert root.findtext("summary") == APP["description"]
    assert root.findtext("metadata_license") == "CC0-1.0"
    assert root.findtext("project_license") == BRIEFCASE["license"]
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP.name
    assert root.findtext("url[@type='homepage']") == BRIEFCASE["url"]
    assert root.findtext("icon[@type='stock']") == read_desktop()["Icon"]
    assert root.findtext("provides/binary") in PYPROJECT["project"]["scripts"]
    assert root.find("content_rating") is not None
    versions = [r.get("version") for r in root.iterfind("releases/release")]
    assert PYPROJECT["project"]["version"] in versions
    assert root.find("description/p") is not None


def test_desktop_entry_passes_desktop_file_validate() -> None:
    tool = shutil.which("desktop-file-validate")
    need(tool is not None, "desktop-file-validate missing (apt-get install desktop-file-utils)")
    done = subprocess.run([tool, str(DESKTOP)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "error:" not in done.stdout, done.stdout + done.stderr


def test_metainfo_passes_appstreamcli_validate() -> None:
    tool = shutil.which("appstreamcli")
    need(tool is not None, "appstreamcli missing (apt-get install appstream)")
    done = subprocess.run([tool, "validate", "--no-net", str(METAINFO)], capture_output=True,
                          text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


# --- briefcase ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("platform", "output_format"), TARGETS)
def test_briefcase_accepts_the_configuration(platform: str, output_format: str) -> None:
    need_briefcase()
    from briefcase.config import DraftAppConfig, GlobalConfig, parse_config
    from briefcase.console import Console

    console = Console(input_enabled=False)
    banners: list[str] = []
    console.warning_banner = lambda title=None, message=None, width=80: banners.append(title)
    global_config, apps = parse_config(ROOT / "pyproject.toml", platform=platform,
                                       output_format=output_format, console=console)
    GlobalConfig(**global_config)
    app = DraftAppConfig(**apps[APP_NAME])
    assert banners == [], f"briefcase warns about the configuration: {banners}"
    assert app.bundle_identifier == APP_ID
    assert app.formal_name == "MLOps Workbench"
    assert str(app.version) == PYPROJECT["project"]["version"]
    assert app.license == "Apache-2.0" and app.license_files == ["LICENSE"]
    assert set(PYPROJECT["project"]["dependencies"]) <= set(app.requires)
    assert any(req.startswith("briefcase") for req in app.test_requires)
    assert app.main_module() == APP_NAME and (ROOT / APP_NAME / "__main__.py").is_file()
    assert (ROOT / "tests" / f"{app.module_name}.py").is_file()  # the --test entry
    if platform == "linux" and output_format == "system":
        assert "libxcb-cursor0" in app.debian["system_runtime_requires"]
        assert "xcb-util-cursor" in app.rhel["system_runtime_requires"]
    if platform == "macOS":
        assert app.universal_build is True and app.min_os_version


def test_briefcase_test_entry_prints_the_exit_marker() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    entry = [sys.executable, "-m", "tests.workbench", "tests/graph/test_graph_model.py"]
    ok = subprocess.run(entry, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                        check=False)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.rstrip().endswith(">>>>>>>>>> EXIT 0 <<<<<<<<<<")
    none = subprocess.run([*entry, "-k", "no_test_is_called_this"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert none.stdout.rstrip().endswith(">>>>>>>>>> EXIT 5 <<<<<<<<<<")  # nothing collected


@pytest.mark.slow
def test_briefcase_dev_test_runs_the_quick_suite_offline() -> None:
    need_briefcase()
    venv_bin = str(Path(sys.executable).parent)
    # --no-isolation: run in this venv, whose requirements are installed; on first use
    # briefcase has pip confirm them, and PIP_NO_INDEX keeps pip off the network.
    env = {**os.environ, "PATH": venv_bin + os.pathsep + os.environ.get("PATH", ""),
           "PIP_NO_INDEX": "1"}
    done = subprocess.run([sys.executable, "-m", "briefcase", "dev", "--test", "--no-isolation",
                           "--no-input"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)
    output = done.stdout + done.stderr
    need("missing system dependencies" not in output,
         "system packages of the .deb missing (see [tool.briefcase.app.workbench.linux.system."
         "debian] in pyproject.toml): " + output[output.find("Run:"):][:300])
    assert done.returncode == 0, output[-4000:]
    # briefcase consumes the ">>>>>>>>>> EXIT 0 <<<<<<<<<<" line and reports it as this:
    assert "Test suite passed!" in output
    assert re.search(r"\b\d+ passed\b", output)
    assert not re.search(r"\b\d+ (failed|errors?)\b", output)
