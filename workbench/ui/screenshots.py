"""``python -m workbench.ui.screenshots OUTDIR [--size 1366x768]``: a PNG of each role's view
and of the approval dialog, taken along the paths a person takes.

The window is opened as on a first start (no saved layout) on a screen of the given size and
sizes itself as it would for a person; roles are switched with the role switcher; the graph is
opened and fitted with the editor's own actions; a run is picked in the runs table; the
approval dialog is opened with the Review button and captured while it is open (modal, as a
person sees it) on its Label-free, Fairness and Explanations tabs; as the operator, the Findings
tab of the champion's source is shown and a drift alert's Explain drift… is pressed. Without ``--store`` it builds the demo (a simulation) in a fresh store first.
Runs offscreen on a screen of ``--size`` unless a display is set (then that display's screen
is used, e.g. ``xvfb-run -s "-screen 0 1366x768x24"``).

    python -m workbench.ui.screenshots docs/screenshots/1366x768 --size 1366x768 [--store URL] [--user NAME]
    python -m workbench.ui.screenshots docs/screenshots --operator-views --store URL --user NAME
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _offscreen(size: tuple[int, int], folder: Path) -> str:
    config = folder / "screen.json"
    config.write_text(json.dumps({"windowFrameMargins": False, "screens": [
        {"name": "screen", "x": 0, "y": 0, "width": size[0], "height": size[1], "logicalDpi": 96,
         "logicalBaseDpi": 96, "dpr": 1}]}))
    return f"offscreen:configfile={config}"


def _settle(app: Any, window: Any, seconds: float) -> None:
    """Process events until background reads are done (at most ``seconds``), then a little more."""
    deadline = time.monotonic() + seconds
    started = time.monotonic()
    while time.monotonic() < deadline:
        app.processEvents()
        if window.tasks.busy == 0 and time.monotonic() - started > 0.5:
            break
        time.sleep(0.03)
    for _ in range(15):
        app.processEvents()
        time.sleep(0.02)


def _review_dialog(app: Any, window: Any, view: Any, out: Path) -> list[Path]:
    """Select the newest approved request, press Review…, and capture the dialog while it is
    open: its Label-free tab (approval-dialog.png), Fairness tab (approval-fairness.png) and
    Explanations tab once the explanations are computed (approval-explanations.png)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QPushButton, QTabWidget

    table = view.table
    rows = [r for r in range(table.rowCount()) if table.item(r, 1) and table.item(r, 1).text() == "approved"]
    if not table.rowCount():
        return []
    table.selectRow(rows[0] if rows else 0)
    button = view.findChild(QPushButton, "review_button")
    started = time.monotonic()
    taken: list[Path] = []

    def computing(dialog: Any) -> bool:
        label_free = getattr(dialog, "label_free_table", None)
        explained = getattr(getattr(dialog, "explanations_page", None), "table", None)
        return time.monotonic() - started < 120 and any(t is not None and t.rowCount() == 0
                                                        for t in (label_free, explained))

    def poll() -> None:
        dialog = app.activeModalWidget()
        if dialog is None or computing(dialog):
            return  # not open yet, or the estimates and explanations are still being computed
        timer.stop()
        tabs = dialog.findChild(QTabWidget)
        for prefix, name in (("Label-free", "approval-dialog.png"), ("Fairness", "approval-fairness.png"),
                             ("Explanations", "approval-explanations.png")):
            if tabs is None:
                break
            for i in range(tabs.count()):
                if tabs.tabText(i).startswith(prefix):
                    tabs.setCurrentIndex(i)  # the tab, as a person clicks it
            for _ in range(20):
                app.processEvents()
                time.sleep(0.02)
            dialog.grab().save(str(out / name))
            taken.append(out / name)
        dialog.reject()

    timer = QTimer()
    timer.timeout.connect(poll)
    timer.start(100)
    button.click()  # opens the dialog modally; ``poll`` captures and closes it
    timer.stop()
    for path in taken:
        print(path)
    return taken


def _operator_extras(app: Any, window: Any, out: Path) -> list[Path]:
    """As the operator: the Findings tab of the champion's source (findings.png), then the drift
    alert chosen in Alerts and Explain drift… pressed (drift-drilldown.png, once computed)."""
    taken: list[Path] = []
    monitoring: Any = window.view("monitoring")
    sources = [monitoring.source_box.itemText(i) for i in range(monitoring.source_box.count())]
    champion = next((s for s in sources if s.endswith("/champion") and s.count("/") == 1), None)
    if champion is not None:
        monitoring.source_box.setCurrentIndex(sources.index(champion))
        monitoring.tabs.setCurrentIndex(1)
        _settle(app, window, 3.0)
        window.grab().save(str(out / "findings.png"))
        taken.append(out / "findings.png")
        monitoring.tabs.setCurrentIndex(0)
    alerts: Any = window.view("alerts")
    drift = next((i for i, a in enumerate(alerts.alerts) if a.kind == "drift"), None)
    if drift is not None:
        alerts.table.selectRow(drift)
        alerts.drilldown_button.click()
        deadline = time.monotonic() + 180
        while alerts.drilldown.result is None and time.monotonic() < deadline:
            app.processEvents()
            time.sleep(0.05)
        _settle(app, window, 1.0)
        alerts.drilldown.grab().save(str(out / "drift-drilldown.png"))
        taken.append(out / "drift-drilldown.png")
        alerts.drilldown.close()
    for path in taken:
        print(path)
    return taken


def _graph(app: Any, window: Any, graph_file: Path | None) -> None:
    view = window.view("graph")
    if view is None or graph_file is None or not graph_file.exists():
        return
    view.editor.open_file(graph_file)  # where File › Open… ends once a file is chosen
    _settle(app, window, 2.0)
    view.editor.actions()["fit_view"].trigger()  # Fit to View, as a person presses it
    _settle(app, window, 0.5)


def _pick_run(app: Any, window: Any) -> None:
    runs = window.view("runs")
    table = getattr(runs, "runs", None)
    if table is None or not table.rowCount():
        return
    rows = [r for r in range(table.rowCount()) if table.item(r, 1) and table.item(r, 1).text() == "succeeded"]
    table.selectRow(rows[0] if rows else 0)  # the newest finished run: its timeline, steps, metrics
    _settle(app, window, 5.0)


def take(url: str, user: str, out: Path, graph_file: Path | None) -> list[Path]:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from workbench.services.session import open_session
    from workbench.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings_dir = Path(tempfile.mkdtemp(prefix="wb-screens-settings-"))
    settings = QSettings(str(settings_dir / "ui.ini"), QSettings.Format.IniFormat)  # a first start
    session = open_session(url, user)  # signed in as the workbench itself does
    store = session.store
    window = MainWindow(store, session.name, settings=settings, identity=session.how, proven=session.proven)
    window.show()
    _settle(app, window, 6.0)
    written: list[Path] = []
    for index in range(window.role_box.count()):
        role = window.role_box.itemData(index)
        window.role_box.setCurrentIndex(index)  # the role switcher, as a person uses it
        _settle(app, window, 6.0)
        if role in ("scientist", "engineer"):
            _graph(app, window, graph_file)
        _pick_run(app, window)
        path = out / f"{role}.png"
        window.grab().save(str(path))
        written.append(path)
        print(path)
        approvals = window.view("approvals")
        if approvals is not None:
            written += _review_dialog(app, window, approvals, out)
        if role == "operator":
            written += _operator_extras(app, window, out)
    window.close()
    store.close()
    return written


def operator_views(url: str, user: str, out: Path) -> list[Path]:
    """As the operator: the A/B tests view (abtests.png) and Live monitoring showing the
    multivariate drift series, method ``pca_reconstruction`` (multivariate-drift.png)."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from workbench.services.session import open_session
    from workbench.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = QSettings(str(Path(tempfile.mkdtemp(prefix="wb-screens-settings-")) / "ui.ini"),
                         QSettings.Format.IniFormat)
    session = open_session(url, user)
    window = MainWindow(session.store, session.name, settings=settings, identity=session.how,
                        proven=session.proven)
    window.show()
    _settle(app, window, 6.0)
    roles = [window.role_box.itemData(i) for i in range(window.role_box.count())]
    window.role_box.setCurrentIndex(roles.index("operator"))
    _settle(app, window, 6.0)
    docks = window.role_window().docks  # type: ignore[union-attr]
    docks["abtests"].raise_()
    _settle(app, window, 2.0)
    written = [out / "abtests.png", out / "multivariate-drift.png"]
    window.grab().save(str(written[0]))
    monitoring: Any = window.view("monitoring")
    monitoring.method_box.setCurrentIndex(monitoring.method_box.findText("pca_reconstruction"))
    _settle(app, window, 2.0)
    window.grab().save(str(written[1]))
    window.close()
    session.store.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workbench.ui.screenshots")
    parser.add_argument("outdir")
    parser.add_argument("--store", help="an existing store (default: build the demo in a fresh one)")
    parser.add_argument("--user", default="demo-admin")
    parser.add_argument("--operator-views", action="store_true",
                        help="only abtests.png and multivariate-drift.png, as the operator (needs --store)")
    parser.add_argument("--size", default="1366x768", help="the screen, WIDTHxHEIGHT (offscreen only)")
    args = parser.parse_args(argv)
    try:
        size = tuple(int(v) for v in args.size.lower().split("x"))
        assert len(size) == 2 and min(size) >= 200
    except (ValueError, AssertionError):
        print(f"error: --size {args.size!r}: write WIDTHxHEIGHT, e.g. 1366x768", file=sys.stderr)
        return 2
    out = Path(args.outdir)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="wb-screens-"))
    if not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = _offscreen(size, work)  # type: ignore[arg-type]
    url, graph_file = args.store, None
    if args.operator_views and url:
        return 0 if operator_views(url, args.user, out) else 1
    if url is None:
        from workbench.demo import run_demo

        url = f"sqlite:///{work / 'store.db'}"
        run_demo(url, args.user, work / "demo", progress=lambda line: print(line, file=sys.stderr))
        graph_file = work / "demo" / "credit_demo.yaml"
    elif url.startswith("sqlite:///"):
        graph_file = Path(url.removeprefix("sqlite:///")).parent / "demo" / "credit_demo.yaml"
    written = take(url, args.user, out, graph_file)
    return 0 if written else 1


if __name__ == "__main__":
    sys.exit(main())
