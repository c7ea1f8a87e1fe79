"""The one family of errors the workbench raises on purpose.

Every message says what was wrong, where (file, line, node id, column) and, when there is
one, what to do about it. ``exit_code`` is what the CLI returns when the error reaches it:

* 1 — the input was read but is invalid (a graph with a cycle, a bad parameter value);
* 2 — the input cannot be used at all (a missing file, malformed YAML, an unknown store URL
  scheme, an unreachable database);
* 3 — the acting user may not do this (permission denied).
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base of every error the workbench raises deliberately."""

    exit_code: int = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.__str__())

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InvalidInputError(WorkbenchError):
    """The input was read but does not make sense (exit code 1)."""

    exit_code = 1


class UnusableInputError(WorkbenchError):
    """The input cannot be used at all: missing, unreadable, malformed (exit code 2)."""

    exit_code = 2


class PermissionDeniedError(WorkbenchError):
    """The acting user lacks the role this action needs (exit code 3)."""

    exit_code = 3
