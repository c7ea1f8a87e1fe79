"""Leave only what the app loads at run time in an installer bundle's ``app_packages`` folder,
then print the size of each big package in it.

briefcase installs the app's requirements whole; the desktop app needs far less of them. Taken
out here (the same rules on Linux, macOS and Windows):

- every package's ``tests`` folders, type stubs and Cython sources (``*.pyi``, ``*.pxd``, ``*.pyx``,
  ``*.pxi``), numpy's and shiboken's C headers and static libraries, pip's ``RECORD`` lists,
  pyqtgraph's examples,
  numpy's SIMD test module and distutils, SQLAlchemy's test harness, and prettytable/wcwidth
  (only skops' model cards use them; the workbench uses skops.io);
- from PySide6: Qt Quick/QML, Qt Designer and the other Qt modules the workbench does not import
  (network, SQL, XML, printing among them), the Python bindings of QtDBus and QtSvgWidgets, the
  developer tools (designer, linguist, qmlls, …), QML imports, Qt's translations (the workbench
  is in English), build-time metadata, image formats it never reads and the platforms for
  screens without a window system (EGLFS, framebuffer, VNC, Vulkan display: xcb, Wayland and
  offscreen stay);
- from pyarrow: Arrow Flight (RPC), the S3, GCS, Azure and HDFS filesystems, ORC, Parquet
  encryption, pyarrow's C++ test module, its C++ headers and sources, and the link-time copies of
  libarrow_python (Parquet, datasets and compute, which pandas' ``read_parquet`` uses, stay).

Linux only, after that: each shared library left is checked with ``readelf``: one that needs a
library taken out is taken out too, and named; the bundle is never left with a library that
cannot load. Every shared object is stripped of debug information (``strip --strip-unneeded``);
a library vendored twice (scipy.libs and numpy.libs) is kept once and linked; and ICU's data,
which Qt carries, keeps only what Qt asks ICU for (``packaging/trim_icu.py``).
``packaging/check_deb.sh`` proves the result on the installed package: first window, demo, every
role's views, Qt's ICU calls.

Usage: python packaging/trim_bundle.py APP_PACKAGES [--min-mb 5]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from trim_icu import trim_icu_data  # packaging/, beside this script

# Qt modules (libraries, Python modules, macOS frameworks, Windows DLLs) the workbench never loads.
UNUSED_QT = re.compile(
    r"^(lib)?(pyside6)?Qt6?(Quick|Qml|Designer|UiTools|Help|WaylandCompositor|Labs|ShaderTools|"
    r"Test|Scxml|StateMachine|RemoteObjects|Sensors|SerialPort|SerialBus|WebSockets|WebChannel|"
    r"HttpServer|Positioning|Location|Bluetooth|Nfc|TextToSpeech|Multimedia|SpatialAudio|Charts|"
    r"DataVisualization|Graphs|3D|Pdf|VirtualKeyboard|Canvas|Sql|Concurrent|Network|Xml|"
    r"PrintSupport)",
    re.IGNORECASE)
# The Python side of QML: libpyside6qml and its Windows/macOS names.
UNUSED_PYSIDE = re.compile(r"^(lib)?pyside6qml", re.IGNORECASE)
# Qt's developer tools, as executables (Linux), .exe (Windows) or .app bundles (macOS).
QT_TOOLS = re.compile(
    r"^(assistant|designer|linguist|lrelease|lupdate|qmlformat|qmllint|qmlls|qmlcachegen|"
    r"qmltyperegistrar|qmlimportscanner|svgtoqml|balsam|balsamui|qsb|uic|rcc|androiddeployqt)"
    r"(\.exe|\.app)?$", re.IGNORECASE)
# Linux and macOS wheels keep Qt under PySide6/Qt/, the Windows wheel directly under PySide6/.
UNUSED_PLUGINS = ("qmltooling", "designer", "qmllint", "qmlls", "scenegraph", "printsupport",
                  "sqldrivers", "tls", "networkinformation",
                  # screens without a window system (embedded boards, kiosks): EGLFS, the Linux
                  # framebuffer, Vulkan-on-display, and the evdev input they read directly
                  "egldeviceintegrations", "generic", *(f"platforms/{lib}" for lib in (
                      "libqeglfs.so", "libqlinuxfb.so", "libqminimalegl.so",
                      "libqvkkhrdisplay.so")))
PYSIDE_DIRS = ("include", "typesystems", "glue", "doc", "scripts",
               # Python bindings nothing imports (their Qt libraries stay: Qt's plugins use them)
               *(f"{module}{ext}" for module in ("QtDBus", "QtSvgWidgets")
                 for ext in (".abi3.so", ".pyd")),
               *(f"{qt}{part}" for qt in ("Qt/", "") for part in
                 ("qml", "translations", "metatypes", "libexec",
                  "lib/libQt6EglFSDeviceIntegration.so.6", "lib/libQt6EglFsKmsSupport.so.6",
                  *(f"plugins/{plugin}" for plugin in UNUSED_PLUGINS))))
# Image formats the workbench never reads (it draws PNG, JPEG, GIF, ICO and SVG).
UNUSED_IMAGE_FORMATS = re.compile(r"^(lib)?q(tiff|webp|tga|wbmp|icns|pdf)\.", re.IGNORECASE)
PYARROW_UNUSED = re.compile(
    r"^(lib)?(arrow_flight|arrow_python_flight|_flight|flight\.py|arrow_s3|_s3fs|"
    r"_pyarrow_cpp_tests|_orc|_dataset_orc|orc\.py|_azurefs|_gcsfs|_hdfs|"
    r"arrow_python_parquet_encryption|_parquet_encryption|_dataset_parquet_encryption)",
    re.IGNORECASE)
# pyarrow's Linux wheel carries libarrow_python* three times (the link name, the soname, the full
# version); the modules load the soname (libarrow_python.so.2600), the other two are for linking.
PYARROW_LINK_COPIES = re.compile(r"^libarrow_python\w*\.so(\.\d+\.\d+\.\d+)?$")
# Other packages' parts that nothing imports at run time (C headers and static libraries are for
# building extensions against numpy and shiboken).
OTHER_UNUSED = ("pyqtgraph/examples", "pyqtgraph/opengl", "numpy/f2py/tests", "numpy/_core/include",
                "numpy/_core/lib", "numpy/distutils", "shiboken6/include", "sqlalchemy/testing")
# Requirements of a part of a requirement that the workbench never imports: skops' model cards
# (skops.card) draw tables with prettytable and wcwidth; the workbench uses skops.io only.
UNUSED_PACKAGES = ("prettytable", "wcwidth")

PYARROW_DIRS = ("include", "src", "tests")
EVERYWHERE = re.compile(r"\.(pyi|pxd|pyx|pxi)$")


def _size(path: Path) -> int:
    if path.is_symlink() or path.is_file():
        return path.lstat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def _remove(path: Path, removed: list[Path]) -> int:
    if not (path.exists() or path.is_symlink()):
        return 0
    size = _size(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()
    removed.append(path)
    return size


def _trim_pyside(pyside: Path, removed: list[Path]) -> int:
    freed = sum(_remove(pyside / d, removed) for d in PYSIDE_DIRS)
    for path in sorted(pyside.rglob("*"), key=lambda p: len(p.parts)):
        if path.exists() and (UNUSED_QT.match(path.name) or UNUSED_PYSIDE.match(path.name)
                              or UNUSED_IMAGE_FORMATS.match(path.name)
                              or (path.parent == pyside and QT_TOOLS.match(path.name))):
            freed += _remove(path, removed)
    return freed


def _trim_pyarrow(pyarrow: Path, removed: list[Path]) -> int:
    freed = sum(_remove(pyarrow / d, removed) for d in PYARROW_DIRS)
    for path in list(pyarrow.iterdir()):
        if PYARROW_UNUSED.match(path.name) or (
                PYARROW_LINK_COPIES.match(path.name) and not re.search(r"\.so\.\d+$", path.name)):
            freed += _remove(path, removed)
    return freed


def _loads(path: Path) -> bool:
    result = subprocess.run([sys.executable, "-c", "import ctypes, sys; ctypes.CDLL(sys.argv[1])",
                             str(path)], capture_output=True, check=False, timeout=60)
    return result.returncode == 0


def _strip(root: Path) -> int:
    """Linux: strip debug information and local symbols from every shared object (what the
    dynamic linker uses stays). A library that no longer loads afterwards (strip can break one
    that auditwheel's patchelf rewrote) gets its original bytes back."""
    if sys.platform != "linux" or shutil.which("strip") is None:
        return 0
    freed = 0
    for path in sorted(root.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        original = path.read_bytes()
        subprocess.run(["strip", "--strip-unneeded", str(path)], capture_output=True, check=False)
        if len(path.read_bytes()) == len(original):
            continue
        if _loads(path):
            freed += len(original) - path.stat().st_size
        else:
            path.write_bytes(original)
            print(f"trim_bundle: kept unstripped (does not load stripped): {path.relative_to(root)}")
    return freed


def _link_duplicates(root: Path) -> int:
    """Linux: a library that auditwheel vendored into two packages' ``<name>.libs`` folders under
    the same name (its soname, hash included) and the same bytes is kept once; the second copy
    becomes a relative link to the first (scipy and numpy both vendor libgfortran and
    libquadmath)."""
    if sys.platform != "linux":
        return 0
    freed = 0
    first: dict[str, Path] = {}
    for path in sorted(root.glob("*.libs/*")):
        if not path.is_file() or path.is_symlink():
            continue
        same = first.setdefault(path.name, path)
        if same is not path and same.read_bytes() == path.read_bytes():
            freed += path.stat().st_size
            path.unlink()
            path.symlink_to(Path("..") / same.parent.name / same.name)
            print(f"trim_bundle: {path.relative_to(root)} is the same file as "
                  f"{same.relative_to(root)}: linked")
    return freed


def _elf_needed(path: Path) -> list[str]:
    result = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True,
                            check=False)
    return re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", result.stdout)


def _drop_dependants(root: Path, removed: list[Path]) -> int:
    """Linux: take out every shared object that needs a library taken out (until none does)."""
    if sys.platform != "linux" or shutil.which("readelf") is None:
        return 0
    freed = 0
    while True:
        gone = {p.name for p in removed}
        dependants = [p for p in root.rglob("*.so*")
                      if p.is_file() and not p.is_symlink() and gone & set(_elf_needed(p))]
        if not dependants:
            return freed
        for path in dependants:
            print(f"trim_bundle: also taken out (needs a library taken out): "
                  f"{path.relative_to(root)}")
            freed += _remove(path, removed)


def trim(app_packages: Path) -> int:
    removed: list[Path] = []
    freed = 0
    for tests in sorted(app_packages.rglob("tests")):
        if tests.is_dir():
            freed += _remove(tests, removed)
    for path in list(app_packages.rglob("*")):
        if path.is_file() and EVERYWHERE.search(path.name):
            freed += _remove(path, removed)
    if (app_packages / "PySide6").is_dir():
        freed += _trim_pyside(app_packages / "PySide6", removed)
    if (app_packages / "pyarrow").is_dir():
        freed += _trim_pyarrow(app_packages / "pyarrow", removed)
    for part in OTHER_UNUSED:
        freed += _remove(app_packages / part, removed)
    for package in UNUSED_PACKAGES:
        for path in [app_packages / package, *app_packages.glob(f"{package}-*.dist-info")]:
            freed += _remove(path, removed)
    for path in list((app_packages / "numpy" / "_core").glob("_simd*")):
        freed += _remove(path, removed)
    for record in list(app_packages.glob("*.dist-info/RECORD")):  # pip's list for uninstalling
        freed += _remove(record, removed)
    freed += _drop_dependants(app_packages, removed)
    freed += _strip(app_packages)
    freed += _link_duplicates(app_packages)
    freed += trim_icu_data(app_packages)
    return freed


def report(app_packages: Path, min_mb: float) -> int:
    sizes = sorted(((_size(p), p.name) for p in app_packages.iterdir()), reverse=True)
    total = sum(size for size, _ in sizes)
    print(f"trim_bundle: packages in {app_packages} of {min_mb:g} MB or more:")
    for size, name in sizes:
        if size >= min_mb * 1e6:
            print(f"  {size / 1e6:8.1f} MB  {name}")
    print(f"  {total / 1e6:8.1f} MB  all of app_packages")
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("app_packages", type=Path)
    parser.add_argument("--min-mb", type=float, default=5.0,
                        help="list packages of at least this size (default 5 MB)")
    parser.add_argument("--report-only", action="store_true", help="take nothing out")
    args = parser.parse_args(argv)
    if not args.app_packages.is_dir():
        print(f"trim_bundle: {args.app_packages} is not a folder; give the bundle's app_packages "
              "folder (briefcase create makes it)", file=sys.stderr)
        return 2
    if not args.report_only:
        before = _size(args.app_packages)
        freed = trim(args.app_packages)
        print(f"trim_bundle: took out {freed / 1e6:.1f} MB of {before / 1e6:.1f} MB")
    report(args.app_packages, args.min_mb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
