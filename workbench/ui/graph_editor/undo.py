"""The bridge from ``workbench.graph`` commands to Qt's undo framework.

Rules: the editor's history is one ``QUndoStack``; ``workbench.graph.UndoStack`` is not used.
Each ``ModelUndoCommand`` wraps exactly one ``workbench.graph`` command (often a
``MacroCommand`` of several): its ``redo()`` calls the model command's ``do()`` and its
``undo()`` the model command's ``undo()``. A command is done once *before* it is pushed, so a
refused edit (a ``GraphError``) never reaches the stack and the graph stays as it was; the
first ``redo()`` that ``QUndoStack.push`` makes is therefore skipped. The model command
changes the graph only through the ``Graph`` API, whose events update the canvas.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from workbench.errors import WorkbenchError
from workbench.graph import Command

__all__ = ["ModelUndoCommand"]

_log = logging.getLogger(__name__)


class ModelUndoCommand(QUndoCommand):
    """One undoable step of the editor, holding one ``workbench.graph`` command."""

    def __init__(
        self,
        command: Command,
        *,
        already_done: bool = True,
        on_error: Callable[[str], None] | None = None,
    ):
        super().__init__(command.text or "Edit")
        self.command = command
        self._skip_next_redo = already_done
        self._on_error = on_error

    def redo(self) -> None:
        if self._skip_next_redo:
            self._skip_next_redo = False
            return
        self._run(self.command.do, "redo")

    def undo(self) -> None:
        self._run(self.command.undo, "undo")

    def _run(self, step: Callable[[], None], what: str) -> None:
        try:
            step()
        except WorkbenchError as exc:  # the graph rolled back; say why instead of crashing
            _log.warning("cannot %s %r: %s", what, self.command, exc)
            if self._on_error is not None:
                self._on_error(f"Cannot {what} '{self.text()}': {exc}")
