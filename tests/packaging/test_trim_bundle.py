"""The installer bundle's trimming rules that change libraries rather than delete files.

ICU's data library (PySide6's own copy, from this environment) is trimmed with
``packaging/trim_icu.py`` and then loaded in place of the whole one (``LD_PRELOAD``: Qt's ICU
libraries find it by its soname); ``packaging/check_installed.py icu`` must see the results a
whole ICU gives — and must see the difference when the trim goes too far. Libraries vendored
twice become links.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.support.cli import ROOT
from tests.support.components import need

PACKAGING = ROOT / "packaging"
CHECK = PACKAGING / "check_installed.py"


def load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(PACKAGING))  # trim_bundle imports trim_icu beside it
    spec = importlib.util.spec_from_file_location(f"_packaging_{name}", PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pyside_icu_data() -> Path:
    import PySide6

    found = sorted((Path(PySide6.__file__).parent / "Qt" / "lib").glob("libicudata.so.*"))
    need(bool(found), "this PySide6 carries no ICU data library (only Linux wheels do)")
    return found[0]


def check_icu(preload: Path | None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    if preload is not None:
        env["LD_PRELOAD"] = str(preload)
    return subprocess.run([sys.executable, str(CHECK), "icu"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def trimmed_copy(trim_icu: ModuleType, folder: Path) -> tuple[Path, int]:
    whole = pyside_icu_data()
    copy = folder / whole.name
    folder.mkdir()
    shutil.copyfile(whole, copy)
    return copy, trim_icu.trim_icu_data(folder)


@pytest.fixture()
def trim_icu(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    need(sys.platform == "linux", "ICU's data is trimmed on Linux only")
    need(all(shutil.which(tool) for tool in ("icupkg", "readelf", "cc")),
         "needs icupkg (apt-get install icu-devtools), readelf and cc")
    return load("trim_icu", monkeypatch)


def test_trimmed_icu_data_gives_qt_the_same_results_as_the_whole(trim_icu: ModuleType,
                                                                   tmp_path: Path) -> None:
    whole = check_icu(None)
    assert whole.returncode == 0, whole.stderr  # the expectations hold for a whole ICU
    trimmed, freed = trimmed_copy(trim_icu, tmp_path / "lib")
    assert freed > 15_000_000, f"only {freed} bytes taken out"
    assert trimmed.stat().st_size == pyside_icu_data().stat().st_size - freed
    soname = subprocess.run(["readelf", "-d", str(trimmed)], capture_output=True, text=True,
                            check=True).stdout
    assert f"Library soname: [{trimmed.name}]" in soname
    result = check_icu(trimmed)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == json.loads(whole.stdout)


def test_the_icu_check_fails_when_the_trim_takes_what_qt_uses(
        trim_icu: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(trim_icu, "UNUSED_ITEMS", re.compile(r"^(coll|zone)/"))
    trimmed, freed = trimmed_copy(trim_icu, tmp_path / "lib")
    assert freed > 0
    result = check_icu(trimmed)
    assert result.returncode == 1
    assert "ICU collation_sv: got ['ö', 'z', 'a']" in result.stderr
    assert "ICU time_zone_de: got ''" in result.stderr


def test_without_icupkg_the_icu_data_stays_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    need(sys.platform == "linux", "ICU's data is trimmed on Linux only")
    trim_icu = load("trim_icu", monkeypatch)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))  # no icupkg, no cc
    copy, freed = trimmed_copy(trim_icu, tmp_path / "lib")
    assert freed == 0
    assert copy.read_bytes() == pyside_icu_data().read_bytes()
    assert "apt-get install icu-devtools" in capsys.readouterr().out


def test_a_library_vendored_twice_is_kept_once_and_linked(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    need(sys.platform == "linux", "links are made on Linux only")
    trim_bundle = load("trim_bundle", monkeypatch)
    for package, payload in (("numpy.libs", b"same"), ("scipy.libs", b"same")):
        (tmp_path / package).mkdir()
        (tmp_path / package / "libgfortran-0123.so.5").write_bytes(payload * 1000)
    (tmp_path / "scipy.libs" / "libquadmath-4567.so.0").write_bytes(b"scipy's own")
    (tmp_path / "numpy.libs" / "libquadmath-4567.so.0").write_bytes(b"numpy's own")
    assert trim_bundle._link_duplicates(tmp_path) == 4000
    linked = tmp_path / "scipy.libs" / "libgfortran-0123.so.5"
    assert linked.is_symlink() and os.readlink(linked) == "../numpy.libs/libgfortran-0123.so.5"
    assert linked.read_bytes() == b"same" * 1000
    assert not (tmp_path / "scipy.libs" / "libquadmath-4567.so.0").is_symlink()  # other bytes
    assert (tmp_path / "scipy.libs" / "libquadmath-4567.so.0").read_bytes() == b"scipy's own"
