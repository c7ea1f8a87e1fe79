"""A Qt-free undo stack for graph commands, modelled on ``QUndoStack``. The editor uses Qt's own
stack (``ui/graph_editor/undo.py``); this one exists so that scripts using the Python API get
undo without Qt, and so the commands' undo, redo, merge and macro rules are tested headless."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from workbench.graph.commands import Command, MacroCommand
from workbench.graph.events import UndoStackEvents

__all__ = ["UndoStack"]


class UndoStack:
    """A history of commands with a clean mark. Events (``events``): ``changed``,
    ``index_changed(index)`` and ``clean_changed(clean)``, fired after the fact, the last only
    when cleanliness flips. ``limit`` (0: none) drops the oldest steps; a dropped clean mark
    becomes unreachable."""

    def __init__(self, limit: int = 0):
        if limit < 0:
            raise ValueError("limit must be 0 (no limit) or positive")
        self._commands: list[Command] = []
        self._index = 0
        self._clean_index: int | None = 0  # None: the clean state cannot be reached any more
        self._limit = limit
        self._macros: list[MacroCommand] = []
        self.events = UndoStackEvents()

    # -- state ---------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """How many recorded steps are done (0: at the bottom)."""
        return self._index

    @property
    def count(self) -> int:
        return len(self._commands)

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def clean_index(self) -> int | None:
        return self._clean_index

    @property
    def is_clean(self) -> bool:
        return self._clean_index == self._index

    @property
    def in_macro(self) -> bool:
        return bool(self._macros)

    def can_undo(self) -> bool:
        return self._index > 0 and not self._macros

    def can_redo(self) -> bool:
        return self._index < len(self._commands) and not self._macros

    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self._index > 0 else ""

    def redo_text(self) -> str:
        return self._commands[self._index].text if self._index < len(self._commands) else ""

    def command(self, i: int) -> Command:
        return self._commands[i]

    # -- changes -------------------------------------------------------------------------------

    def push(self, command: Command) -> Command:
        """Do ``command`` and record it (into the open macro, if any), dropping whatever could
        be redone. Returns the command that holds it now: the top command when it merged
        (``merge_with``; never into the command at the clean mark, so a save point is never
        swallowed; a merge that makes the top ``obsolete`` drops it). If ``do()`` raises,
        nothing is recorded and the exception propagates (the graph is unchanged)."""
        command.do()
        if self._macros:
            self._macros[-1].children.append(command)
            return command
        return self._record(command)

    def _record(self, command: Command) -> Command:
        was_clean, old_index = self.is_clean, self._index
        if self._clean_index is not None and self._clean_index > self._index:
            self._clean_index = None
        del self._commands[self._index :]
        top = self._commands[-1] if self._commands else None
        holder = command
        if top is not None and self._clean_index != self._index and top.merge_with(command):
            holder = top
            if top.obsolete:
                self._commands.pop()
                self._index -= 1
        else:
            self._commands.append(command)
            self._index += 1
            self._trim()
        self._notify(was_clean, old_index)
        return holder

    def _trim(self) -> None:
        excess = len(self._commands) - self._limit if self._limit else 0
        if excess > 0:
            del self._commands[:excess]
            self._index -= excess
            if self._clean_index is not None:
                self._clean_index -= excess
                if self._clean_index < 0:
                    self._clean_index = None

    def _check_no_macro(self, action: str) -> None:
        if self._macros:
            raise RuntimeError(f"cannot {action} while a macro is open")

    def undo(self) -> bool:
        """Undo one step; False if there is none. If the command raises, nothing moves."""
        self._check_no_macro("undo")
        if self._index == 0:
            return False
        was_clean, old_index = self.is_clean, self._index
        self._commands[self._index - 1].undo()
        self._index -= 1
        self._notify(was_clean, old_index)
        return True

    def redo(self) -> bool:
        """Redo one step; False if there is none. If the command raises, nothing moves."""
        self._check_no_macro("redo")
        if self._index >= len(self._commands):
            return False
        was_clean, old_index = self.is_clean, self._index
        self._commands[self._index].do()
        self._index += 1
        self._notify(was_clean, old_index)
        return True

    def set_index(self, index: int) -> None:
        """Undo or redo until ``index`` steps are done."""
        if not 0 <= index <= len(self._commands):
            raise IndexError(f"undo index {index} is outside 0..{len(self._commands)}")
        while self._index > index:
            self.undo()
        while self._index < index:
            self.redo()

    def set_clean(self) -> None:
        """Mark the current state as saved (``is_clean`` drives the unsaved-changes guard)."""
        was_clean = self.is_clean
        self._clean_index = self._index
        if not was_clean:
            self.events.clean_changed.emit(True)
            self.events.changed.emit()

    def clear(self) -> None:
        """Forget the history (the document was replaced); the stack becomes clean."""
        self._check_no_macro("clear the history")
        was_clean, old_index = self.is_clean, self._index
        self._commands.clear()
        self._index = 0
        self._clean_index = 0
        self._notify(was_clean, old_index)

    @contextmanager
    def macro(self, text: str) -> Iterator[MacroCommand]:
        """Group every push inside the ``with`` block into one undoable step. Macros nest; if
        the block raises, everything done inside is undone, nothing is recorded and the
        exception propagates."""
        macro = MacroCommand(text)
        self._macros.append(macro)
        try:
            yield macro
        except BaseException:
            self._macros.pop()
            for child in reversed(macro.children):
                child.undo()
            raise
        self._macros.pop()
        if not macro.children:
            return
        if self._macros:
            self._macros[-1].children.append(macro)
        else:
            self._record(macro)

    def _notify(self, was_clean: bool, old_index: int) -> None:
        if self._index != old_index:
            self.events.index_changed.emit(self._index)
        if self.is_clean != was_clean:
            self.events.clean_changed.emit(self.is_clean)
        self.events.changed.emit()
