"""Linux: shrink the ICU data library that PySide6's Qt carries (``libicudata.so.<N>``, 32 MB) to
the data Qt asks ICU for.

Qt Core calls ICU for collation (``ucol_*``: ``coll/``), text codecs (``ucnv_*``: the ``.cnv``
tables), case mapping (``u_strTo{Upper,Lower}``) and calendars and time-zone names (``ucal_*``:
``zone/``, ``zoneinfo64`` and the other time-zone tables); no other Qt library calls ICU
(``readelf`` of the bundle says so). The data no Qt call reaches goes: each locale's main bundle
(date and number formats), language, region, currency and unit display names, number spelling
(``rbnf/``), transliteration, break-iteration rules and dictionaries (``brkitr/``), spoof checks
and character names. Collation, the codecs, ``root.res`` and the rest stay as they were.
``packaging/check_installed.py icu`` checks each of those Qt calls in the installed copy.

The library is rebuilt from the trimmed package with ``icupkg`` (Debian/Ubuntu: icu-devtools; the
package format does not depend on ICU's version) and the C compiler, under the same soname and
data symbol (``icudt<N>_dat``). Without either tool, or when anything looks unexpected, the
library is left whole and a line says why.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

# Items (paths inside the ICU package) that no ICU function Qt calls reads.
UNUSED_ITEMS = re.compile(
    r"^(lang|region|curr|unit|rbnf|translit|brkitr)/|^(confusables\w*\.cfu|unames\.icu)$"
    # each locale's main bundle (date and number formats, ...); its collation (coll/) and time-zone
    # names (zone/) are bundles of their own and stay, and so does root.res
    r"|^(?!res_index)[a-z]{2,3}(_[A-Za-z0-9]+)*\.res$")


def _data_symbol(library: Path) -> tuple[str, int, int] | None:
    """The data symbol's name, file offset and size, or None."""
    symbols = subprocess.run(["readelf", "-Ws", "--dyn-syms", str(library)], capture_output=True,
                             text=True, check=False).stdout
    found = re.search(r":\s+([0-9a-f]+)\s+(\d+|0x[0-9a-f]+)\s+OBJECT\s+GLOBAL\s+\w+\s+\d+\s+"
                      r"(icudt\d+_dat)\b", symbols)
    if not found:
        return None
    address, size = int(found.group(1), 16), int(found.group(2), 0)
    sections = subprocess.run(["readelf", "-SW", str(library)], capture_output=True, text=True,
                              check=False).stdout
    for line in sections.splitlines():
        parts = re.match(r"\s*\[\s*\d+\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if parts:
            start, offset, length = (int(v, 16) for v in parts.groups())
            if start <= address < start + length:
                return found.group(3), offset + address - start, size
    return None


def _soname(library: Path) -> str | None:
    dynamic = subprocess.run(["readelf", "-d", str(library)], capture_output=True, text=True,
                             check=False).stdout
    found = re.search(r"\(SONAME\)\s+Library soname: \[([^\]]+)\]", dynamic)
    return found.group(1) if found else None


def trim_icu_data(root: Path) -> int:
    """Shrink every ``libicudata.so.*`` under ``root``; the bytes freed."""
    if sys.platform != "linux":
        return 0
    freed = 0
    for library in sorted(root.rglob("libicudata.so.*")):
        if library.is_file() and not library.is_symlink():
            freed += _trim_one(library)
    return freed


def _trim_one(library: Path) -> int:
    compiler = shutil.which("cc") or shutil.which("gcc")
    if shutil.which("icupkg") is None or compiler is None or shutil.which("readelf") is None:
        print(f"trim_bundle: kept {library.name} whole: needs icupkg (apt-get install "
              "icu-devtools), readelf and cc")
        return 0
    found, soname = _data_symbol(library), _soname(library)
    if found is None or soname is None:
        print(f"trim_bundle: kept {library.name} whole: no ICU data symbol or soname in it")
        return 0
    symbol, offset, size = found
    package = symbol.removesuffix("_dat") + "l"  # icudt73 -> icudt73l (little-endian data)
    with tempfile.TemporaryDirectory(prefix="trim-icu-") as folder:
        work = Path(folder)
        whole, trimmed = work / "whole" / f"{package}.dat", work / "trimmed" / f"{package}.dat"
        whole.parent.mkdir()
        trimmed.parent.mkdir()
        with library.open("rb") as source:
            source.seek(offset)
            whole.write_bytes(source.read(size))
        listing = subprocess.run(["icupkg", "-l", str(whole)], capture_output=True, text=True,
                                 check=False)
        items = listing.stdout.split()
        unused = [item for item in items if UNUSED_ITEMS.search(item)]
        if listing.returncode != 0 or not items or not unused:
            print(f"trim_bundle: kept {library.name} whole: icupkg could not list its data "
                  f"({listing.stderr.strip()[:200]})")
            return 0
        (work / "unused.txt").write_text("\n".join(unused) + "\n")
        removed = subprocess.run(["icupkg", "-r", str(work / "unused.txt"), str(whole),
                                  str(trimmed)], capture_output=True, text=True, check=False)
        if removed.returncode != 0 or not trimmed.is_file():
            print(f"trim_bundle: kept {library.name} whole: icupkg -r failed "
                  f"({removed.stderr.strip()[:200]})")
            return 0
        (work / "data.S").write_text(
            f'\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n\t.balign 16\n'
            f'{symbol}:\n\t.incbin "{trimmed}"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",@progbits\n')
        built = work / soname
        compiled = subprocess.run([compiler, "-shared", "-nostdlib", f"-Wl,-soname,{soname}",
                                   "-o", str(built), str(work / "data.S")],
                                  capture_output=True, text=True, check=False)
        if compiled.returncode != 0 or _data_symbol(built) is None:
            print(f"trim_bundle: kept {library.name} whole: building the trimmed library failed "
                  f"({compiled.stderr.strip()[:200]})")
            return 0
        before = library.stat().st_size
        shutil.copyfile(built, library)
    print(f"trim_bundle: {library.name}: {len(unused)} of {len(items)} ICU data items taken out "
          f"(locale formats and display names, number spelling, transliteration, break iteration)")
    return before - library.stat().st_size
