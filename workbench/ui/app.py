"""Starting the desktop workbench: open (or create) the store, then show the main window.

A fresh embedded store is created on first start, and the person who starts it becomes its
admin. An embedded store with an older schema is upgraded in place (its data is kept) and the
window says so; a shared store with an older schema is never upgraded silently: the window
explains what to run instead.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from workbench.errors import WorkbenchError

if TYPE_CHECKING:
    from workbench.services.session import Session


def prepare_store(store_url: str | None, user: str) -> tuple[Session, str]:
    """The signed-in session and a line to show about what
    start-up did to the store. The window never opens the store itself."""
    from workbench.services.session import start_session

    return start_session(store_url, user or None)


def _icon():  # noqa: ANN202 - QIcon or None
    from PySide6.QtGui import QIcon

    from workbench.resources import icons_root

    try:
        folders = (icons_root(),)
    except FileNotFoundError:
        return None
    for folder in folders:
        if (folder / "mlops-workbench.svg").exists():
            icon = QIcon()
            for size in (16, 32, 48, 64, 128, 256):
                png = folder / f"mlops-workbench-{size}.png"
                if png.exists():
                    icon.addFile(str(png))
            return icon
    return None


def _stamp(name: str) -> None:
    """With ``WORKBENCH_UI_TIMINGS`` set, print when a stage of start-up ended (the start-up
    benchmark reads these lines to say where the time goes)."""
    if os.environ.get("WORKBENCH_UI_TIMINGS"):
        print(f"{name} {time.time():.6f}", flush=True)


def run(store_url: str | None = None, user: str = "") -> int:
    _stamp("imported")
    app = QApplication.instance() or QApplication(sys.argv[:1])
    _stamp("qt_ready")
    app.setApplicationName("MLOps Workbench")
    app.setOrganizationName("MLOps Workbench")
    app.setDesktopFileName("org.mlopsworkbench.workbench")  # matches packaging/linux/*.desktop
    icon = _icon()
    if icon is not None:
        app.setWindowIcon(icon)
    try:
        session, note = prepare_store(store_url, user)
    except WorkbenchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if app.platformName() not in ("offscreen", "minimal"):  # a person can see it
            QMessageBox.critical(None, "MLOps Workbench", f"The store cannot be opened.\n\n{exc}")
        return exc.exit_code

    _stamp("store_open")
    from workbench.ui.main_window import MainWindow

    _stamp("window_imported")
    store = session.store
    window = MainWindow(store, session.name, identity=session.how, proven=session.proven)
    _stamp("window_built")
    note = " ".join(part for part in (note, f"Note: {session.warning}." if session.warning else "") if part)
    if note:
        window.statusBar().showMessage(note, 15000)
    window.show()
    if os.environ.get("WORKBENCH_UI_TIMINGS"):  # benchmarks/gui_startup.py reads these two lines
        app.processEvents()
        print(f"first_window {time.time():.6f}", flush=True)
        QTimer.singleShot(0, lambda: print(f"interactive {time.time():.6f}", flush=True))
    quit_after = os.environ.get("WORKBENCH_UI_QUIT_AFTER_MS")
    if quit_after:  # smoke tests and benchmarks: quit this long after the window is up. Armed
        # here, once the event loop is about to run: a quit before ``exec`` would be lost.
        QTimer.singleShot(int(quit_after), app.quit)
    code = app.exec()
    store.close()
    return int(code)
