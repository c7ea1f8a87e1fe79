"""One open workbench for the collaboration tests, as its own OS process: the real desktop
workbench started through its console entry point (``workbench --store URL --user NAME``,
``workbench.main.main``) on Qt's offscreen platform, plus a line-based channel through which the
test does what a person's clicks do and reads what the window shows.

Run as ``python -m tests.collab.workbench_process --store URL --user NAME``. Nothing here
re-implements the workbench: the window builds its own change feed, discussion panel (with its
presence heartbeat) and outbox sender; this module only calls the window's public methods and
reads its widgets, on the GUI thread.

Commands, one JSON object per line on stdin:

* ``{"do": "show", "target": T}`` — open the discussion panel on target ``T`` (what choosing a
  node, run or request does);
* ``{"do": "post", "text": S}`` — write ``S`` in the panel's box and click Post;
* ``{"do": "watch", "text": S}`` — report once when the discussion panel shows ``S``;
* ``{"do": "quit"}`` — close the window as a person does (the workbench says it left).

Reports, one JSON object per line on stdout, each with ``at`` (epoch seconds, this clock):
``ready`` (with ``pid`` and ``sending``: whether its outbox sender runs), ``shown`` (``text``),
``presence`` (``text`` of the panel's "also looking at this" line, on every change),
``inbox`` (the Inbox button's text, on every change), ``sent`` (``count`` of a send that
delivered something), ``error`` (``text``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any


def _say(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, "at": time.time(), **fields}) + "\n")
    sys.stdout.flush()


def _probe(window: Any) -> None:
    """Wire the test's channel to ``window`` (the workbench's MainWindow), on the GUI thread."""
    from PySide6.QtCore import QObject, QTimer, Signal

    class Commands(QObject):
        arrived = Signal(dict)

    watched: list[str] = []
    last: dict[str, str | None] = {"presence": None, "inbox": None}
    panel = window.discussion

    def look() -> None:
        shown = panel.view.toPlainText()
        for text in list(watched):
            if text in shown:
                watched.remove(text)
                _say("shown", text=text)
        presence = panel.presence.text() if panel.presence.isVisible() else ""
        if presence != last["presence"]:
            last["presence"] = presence
            _say("presence", text=presence)
        inbox = window.inbox.action.text() if hasattr(window.inbox, "action") else ""
        if inbox != last["inbox"]:
            last["inbox"] = inbox
            _say("inbox", text=inbox)

    def on_command(command: dict) -> None:
        what = command.get("do")
        try:
            if what == "show":
                if not window.discussion_action.isChecked():
                    window.discussion_action.trigger()  # the toolbar's Discussion button
                panel.show_subject(command["target"], command.get("title", ""))
            elif what == "post":
                panel.box.setPlainText(command["text"])
                panel.post_button.click()
            elif what == "watch":
                watched.append(command["text"])
                look()
            elif what == "quit":
                window.close()
                from PySide6.QtWidgets import QApplication

                app = QApplication.instance()
                if app is not None:
                    app.quit()
            else:
                _say("error", text=f"unknown command {what!r}")
        except Exception as exc:  # noqa: BLE001 - the test reads it
            _say("error", text=f"{type(exc).__name__}: {exc}")

    commands = Commands(window)
    commands.arrived.connect(on_command)  # queued: emitted from the reader thread

    def read() -> None:
        for line in sys.stdin:
            if line.strip():
                commands.arrived.emit(json.loads(line))
        commands.arrived.emit({"do": "quit"})  # the test went away

    timer = QTimer(window)
    timer.setInterval(20)
    timer.timeout.connect(look)
    timer.start()
    sender = window.inbox.outbox

    def on_report(report: Any) -> None:
        if report.sent:
            _say("sent", count=report.sent)

    sender.reported.connect(on_report)
    threading.Thread(target=read, daemon=True).start()
    _say("ready", pid=os.getpid(), sending=bool(sender.active), roles=list(window.roles))


def _find_window() -> Any:
    from PySide6.QtWidgets import QApplication

    from workbench.ui.main_window import MainWindow

    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, MainWindow) and widget.isVisible():
            return widget
    return None


def main(argv: list[str]) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])  # the workbench's run() takes it

    def wait_for_window() -> None:
        window = _find_window()
        if window is None:
            QTimer.singleShot(20, wait_for_window)
        else:
            _probe(window)

    QTimer.singleShot(0, wait_for_window)
    from workbench.main import main as workbench_main

    code = workbench_main(argv)
    del app
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
