"""Checks that catch an installer bundle trimmed too far, run by the installed app's own launcher.

The launcher of a bundle runs ``-c CODE`` as Python (``workbench/bundled_interpreter.py``), so
``packaging/check_deb.sh`` runs this file through the installed ``workbench`` (see ``RUN``
below): the checks then import only what the installed copy carries, and the child processes
the workbench starts (evaluations, steps) go through the same launcher, as for a person. Run
with any other Python they check that Python's environment (the tests compare the two). A
failed check exits 1 and says what failed.

- ``icu``: the Qt calls that reach ICU (collation, text codecs, time-zone names, case mapping)
  give the results that ICU's whole data gives (``packaging/trim_icu.py`` trims that data);
  prints them as JSON.
- ``views STORE_URL USER OUTDIR``: opens the main window on the store, switches to every role the
  user holds with the role switcher (each role's views and the approval dialog, as
  ``workbench.ui.screenshots`` does) and saves a PNG of each; fails when a view raised, a role
  did not open, or fewer than ``--roles`` roles opened.

    workbench -c "$RUN" packaging/check_installed.py views sqlite:///demo.db tester out/
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import traceback
from pathlib import Path
from typing import Any

# The code that runs this file with the arguments after it: ``workbench -c "$RUN" FILE ARGS``.
RUN = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"

MISSING = re.compile(r"ModuleNotFoundError|No module named|ImportError|cannot open shared object")

# What Qt gives for these with ICU's whole data (ICU 73, CLDR 43).
EXPECTED_ICU: dict[str, Any] = {
    "collation_de": ["Ähre", "apfel", "Äpfel", "Bär", "Zebra"],
    "collation_sv": ["a", "z", "ö"],
    "codecs": {"Shift_JIS": True, "GB18030": True, "EUC-KR": True, "Big5": True, "KOI8-R": True,
               "windows-1252": True},
    "time_zone_de": "Mitteleuropäische Normalzeit",
    "time_zone_en": "Central European Standard Time",
    "upper_tr": "İ",
    "lower_tr": "ı",
    "upper_de": "STRASSE",
}


def icu_results() -> dict[str, Any]:
    from PySide6.QtCore import QCollator, QLocale, QStringDecoder, QTimeZone

    berlin = QTimeZone(b"Europe/Berlin")
    standard, long_name = QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName
    return {
        "collation_de": sorted(EXPECTED_ICU["collation_de"][::-1],
                               key=QCollator(QLocale("de_DE")).sortKey),
        "collation_sv": sorted(["ö", "z", "a"], key=QCollator(QLocale("sv_SE")).sortKey),
        "codecs": {name: QStringDecoder(name).isValid() for name in EXPECTED_ICU["codecs"]},
        "time_zone_de": berlin.displayName(standard, long_name, QLocale("de_DE")),
        "time_zone_en": berlin.displayName(standard, long_name, QLocale("en_US")),
        "upper_tr": QLocale("tr_TR").toUpper("i"),
        "lower_tr": QLocale("tr_TR").toLower("I"),
        "upper_de": QLocale("en_US").toUpper("straße"),
    }


def check_icu() -> int:
    from PySide6.QtCore import QCoreApplication

    app = QCoreApplication.instance() or QCoreApplication(sys.argv[:1])  # noqa: F841 - Qt needs one
    results = icu_results()
    print(json.dumps(results, ensure_ascii=False, sort_keys=True))
    wrong = {key: (results[key], want) for key, want in EXPECTED_ICU.items() if results[key] != want}
    for key, (got, want) in wrong.items():
        print(f"check_installed: ICU {key}: got {got!r}, a whole ICU gives {want!r}",
              file=sys.stderr)
    return 1 if wrong else 0


def check_views(url: str, user: str, out: Path, roles: int) -> int:
    raised: list[str] = []

    def record(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        raised.append("".join(traceback.format_exception(kind, value, tb)))
        sys.__excepthook__(kind, value, tb)

    sys.excepthook = record  # an exception in a Qt slot reaches this, not the caller
    out.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        screen = out / "screen.json"  # Qt's offscreen platform, on a laptop's screen
        screen.write_text(json.dumps({"screens": [{"name": "screen", "x": 0, "y": 0, "width": 1366,
                                                   "height": 768, "logicalDpi": 96, "dpr": 1}]}))
        os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={screen}"
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QLabel

    from workbench.ui.screenshots import take

    app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - take() uses it
    shown: set[str] = set()  # a module missing in a child process shows up as text in a view

    def scan() -> None:
        for widget in QApplication.allWidgets():
            if isinstance(widget, QLabel) and MISSING.search(widget.text()):
                shown.add(widget.text())

    timer = QTimer()
    timer.timeout.connect(scan)
    timer.start(200)
    graph = Path(url.removeprefix("sqlite:///")).parent / "demo" / "credit_demo.yaml"
    written = take(url, user, out, graph if url.startswith("sqlite:///") else None)
    opened = sorted(p.stem for p in written if p.stem != "approval-dialog")
    scan()
    timer.stop()
    print(f"check_installed: opened {len(opened)} roles: {', '.join(opened)}")
    if shown:
        print(f"check_installed: a view says a module is missing: {sorted(shown)[0]}",
              file=sys.stderr)
        return 1
    if raised:
        print(f"check_installed: {len(raised)} exception(s) while opening the views; the first:\n"
              f"{raised[0]}", file=sys.stderr)
        return 1
    if len(opened) < roles:
        print(f"check_installed: {len(opened)} roles opened, {roles} expected: does {user!r} hold "
              "every role in the store?", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="check", required=True)
    sub.add_parser("icu")
    views = sub.add_parser("views")
    views.add_argument("store")
    views.add_argument("user")
    views.add_argument("out", type=Path)
    views.add_argument("--roles", type=int, default=6, help="how many roles must open (default 6)")
    args = parser.parse_args(argv)
    if args.check == "icu":
        return check_icu()
    return check_views(args.store, args.user, args.out, args.roles)


if __name__ == "__main__":
    sys.exit(main())
