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
* ``{"do": "open_graph", "file": F}`` — in the scientist's graph editor, open graph file ``F``,
  then in its History restore the latest stored version (how a person takes up the graph as
  the store has it now; ``"restore": false`` only opens the file);
* ``{"do": "select_node", "node": ID}`` — click node ``ID`` on the editor's canvas (its
  discussion opens in the panel, which says this workbench has it open);
* ``{"do": "set_param", "node": ID, "name": P, "value": V}`` — change a node's parameter, as
  the Properties column does;
* ``{"do": "save_graph", "message": M}`` — Save to store with message ``M``; dialogs it opens
  are reported (``dialog``) and answered with ``answer``;
* ``{"do": "answer", "button": B, "choose": {NODE: "mine"|"theirs"}}`` — in the open dialog,
  choose per node (a conflict) and click ``B`` ("resolve", "overwrite", "cancel", "yes", "no");
* ``{"do": "quit"}`` — close the window as a person does (the workbench says it left).

Reports, one JSON object per line on stdout, each with ``at`` (epoch seconds, this clock):
``ready`` (with ``pid`` and ``sending``: whether its outbox sender runs), ``shown`` (``text``),
``presence`` (``text`` of the panel's "also looking at this" line, on every change),
``inbox`` (the Inbox button's text, on every change), ``sent`` (``count`` of a send that
delivered something), ``graph_open`` (``name``, ``base``), ``dialog`` (``kind``, ``text``, and a
conflict's ``nodes``), ``graph_saved`` (``version`` or None, ``status``: the editor's message),
``error`` (``text``).
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

    from PySide6.QtWidgets import QApplication, QMessageBox

    from workbench.ui.graph_editor.conflict_dialog import ConflictDialog

    watched: list[str] = []
    last: dict[str, str | None] = {"presence": None, "inbox": None}
    panel = window.discussion
    told: list[Any] = []  # the dialogs already reported

    def editor() -> Any:
        if window.current_role != "scientist":
            window.switch_role("scientist")
        view = window.view("graph")
        if view is None:
            raise RuntimeError(f"{window.user_name} has no graph editor (roles {window.roles})")
        return view.editor

    def report_dialog() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or any(d is dialog for d in told):
            return
        told.append(dialog)
        if isinstance(dialog, ConflictDialog):
            _say("dialog", kind="conflict", nodes=list(dialog.nodes), text=dialog.windowTitle())
        elif isinstance(dialog, QMessageBox):
            _say("dialog", kind="message", text=f"{dialog.windowTitle()}: {dialog.text()}")
        else:
            _say("dialog", kind=type(dialog).__name__, text=dialog.windowTitle())

    def answer(button: str, choose: dict[str, str]) -> None:
        dialog = QApplication.activeModalWidget()
        if isinstance(dialog, ConflictDialog):
            for node_id, side in choose.items():
                dialog.choose(node_id, side)
            if button == "cancel":
                dialog.reject()
            else:
                {"resolve": dialog.resolve_button, "overwrite": dialog.overwrite_button}[button].click()
        elif isinstance(dialog, QMessageBox):
            standard = {"yes": QMessageBox.StandardButton.Yes, "no": QMessageBox.StandardButton.No,
                        "cancel": QMessageBox.StandardButton.Cancel}[button]
            dialog.button(standard).click()
        else:
            raise RuntimeError(f"no dialog to answer with {button!r}")

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
        report_dialog()

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
            elif what == "open_graph":
                graph_editor = editor()
                if not graph_editor.open_file(command["file"]):
                    raise RuntimeError(f"could not open {command['file']}: {graph_editor.last_message}")
                if command.get("restore", True):
                    graph_editor.show_history()  # History: the stored versions, newest first
                    history = graph_editor.history
                    history.refresh()
                    latest = max(history.versions)
                    history.select_versions(latest)
                    if not history.restore(latest):
                        raise RuntimeError(f"could not restore version {latest} of {graph_editor.graph.name!r}")
                _say("graph_open", name=graph_editor.graph.name, base=graph_editor.store_link.base)
            elif what == "select_node":
                if not window.discussion_action.isChecked():
                    window.discussion_action.trigger()
                graph_editor = editor()
                graph_editor.scene.select([command["node"]])
                if graph_editor.scene.selected_node_ids() != [command["node"]]:
                    raise RuntimeError(f"no node {command['node']!r} on the canvas")
            elif what == "set_param":
                if not editor().controller.set_param(command["node"], command["name"], command["value"]):
                    raise RuntimeError(f"the editor refused {command}")
            elif what == "save_graph":
                graph_editor = editor()
                saved = graph_editor.save_to_store(command["message"])  # returns once dialogs are answered
                _say("graph_saved", version=saved.version if saved is not None else None,
                     status=graph_editor.last_message, base=graph_editor.store_link.base)
            elif what == "answer":
                answer(command["button"], command.get("choose", {}))
            elif what == "quit":
                window.close()
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
