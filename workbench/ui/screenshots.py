"""``python -m workbench.ui.screenshots OUTDIR``: a PNG of each role's main view.

Without ``--store`` it builds the demo (a simulation) in a fresh store first, so every view
has something on it. Runs offscreen unless a display is set.

    python -m workbench.ui.screenshots docs/screenshots [--store URL] [--user NAME]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path


def _settle(app, seconds: float) -> None:  # noqa: ANN001
    from PySide6.QtCore import QThreadPool

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if QThreadPool.globalInstance().activeThreadCount() == 0 and time.monotonic() > deadline - seconds + 1.0:
            break
        time.sleep(0.05)
    for _ in range(20):
        app.processEvents()
        time.sleep(0.02)


def _approval_dialog(app, view, path: Path) -> Path:  # noqa: ANN001
    """The newest approved request's dialog on its label-free estimates tab."""
    from PySide6.QtWidgets import QTabWidget

    rows = [r for r in range(view.table.rowCount()) if view.table.item(r, 1).text() == "approved"]
    dialog = view.dialog_for(int(view.table.item(rows[0] if rows else 0, 0).text()))
    dialog.resize(1000, 640)
    tabs = dialog.findChild(QTabWidget)
    dialog.show()
    deadline = time.monotonic() + 60
    while dialog.label_free_table.rowCount() == 0 and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    for i in range(tabs.count()):
        if tabs.tabText(i).startswith("Label-free"):
            tabs.setCurrentIndex(i)
    _settle(app, 1.0)
    dialog.grab().save(str(path))
    dialog.close()
    print(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.ui.screenshots")
    parser.add_argument("outdir")
    parser.add_argument("--store", help="an existing store (default: build the demo in a fresh one)")
    parser.add_argument("--user", default="demo-admin")
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    url = args.store
    if url is None:
        from workbench.demo import run_demo

        folder = Path(tempfile.mkdtemp(prefix="wb-screens-"))
        url = f"sqlite:///{folder / 'store.db'}"
        run_demo(url, args.user, folder / "demo", progress=lambda line: print(line, file=sys.stderr))

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from workbench.store import open_store
    from workbench.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(out / ".screenshots.ini"), QSettings.Format.IniFormat)
    store = open_store(url)
    window = MainWindow(store, args.user, settings=settings)
    window.resize(1440, 900)
    window.show()
    written = []
    for role in window.roles:
        window.switch_role(role)
        if role in ("scientist", "engineer"):
            graph = window.view("graph")
            demo_graph = Path(url.removeprefix("sqlite:///")).parent / "demo" / "credit_demo.yaml"
            if graph is not None and demo_graph.exists():
                graph.editor.open_file(demo_graph)
        _settle(app, 6.0)
        if role in ("scientist", "engineer") and window.view("graph") is not None:
            window.view("graph").editor.fit_view()  # once the docks have their final sizes
            _settle(app, 1.0)
        runs = window.view("runs")
        if runs is not None and runs.runs.rowCount():
            rows = [r for r in range(runs.runs.rowCount()) if runs.runs.item(r, 1).text() == "succeeded"]
            runs.runs.selectRow(rows[0] if rows else 0)  # the newest finished run: its timeline, steps, metrics
            _settle(app, 3.0)
        path = out / f"{role}.png"
        window.grab().save(str(path))
        written.append(path)
        print(path)
        approvals = window.view("approvals")
        if approvals is not None and approvals.table.rowCount():
            written.append(_approval_dialog(app, approvals, out / "approval-dialog.png"))
    settings.remove("layout")
    window.close()
    store.close()
    (out / ".screenshots.ini").unlink(missing_ok=True)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
