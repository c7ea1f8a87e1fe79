"""What every CLI command shares: the signed-in session (the store it talks to and who acts),
the project it works in, and output helpers."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Any


def acting_user(explicit: str | None) -> str:
    """The name a person claims: ``--user``, else ``$WORKBENCH_USER``, else the OS login. On
    PostgreSQL it must be the login the store is signed in with (``services.session``)."""
    from workbench.services.session import claimed_user, os_login

    return claimed_user(explicit) or os_login()


def format_table(header: list[str], rows: list[list[Any]], *, right: tuple[int, ...] = ()) -> str:
    """A plain text table: each column as wide as its widest cell (header included), two
    spaces apart; columns in ``right`` are right-aligned. Cells are never cut."""
    cells = [[str(c) for c in header]] + [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = []
    for row in cells:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


@dataclass
class CliContext:
    store_url: str | None
    claimed: str | None  # --user or $WORKBENCH_USER as typed, or None
    # --project, else $WORKBENCH_PROJECT, else "default": lists show its things, graphs and runs
    # go there, roles held there count; a project the store lacks is refused on first use
    project: str = "default"
    project_given: bool = False  # --project was typed (the desktop opens on it, not on the last one)
    _sessions: dict[bool, Any] = field(default_factory=dict)
    open_gui: Any = None  # set by the console script: opens the desktop workbench
    check_gui: Any = None  # set by the console script: raises when the desktop cannot start here

    @classmethod
    def from_args(cls, args: Any) -> CliContext:
        """The context of the parsed global options; opens nothing (the store opens when used)."""
        from workbench.services.projects import chosen_project
        from workbench.services.session import claimed_user

        return cls(store_url=getattr(args, "store", None), claimed=claimed_user(getattr(args, "user", None)),
                   project=chosen_project(getattr(args, "project", None)),
                   project_given=bool(getattr(args, "project", None)))

    @property
    def claimed_or_os(self) -> str:
        """The claimed name, else the OS login: who ``init`` makes the first admin."""
        return acting_user(self.claimed)

    def session(self, *, read_only: bool = False, must_be_current: bool = True) -> Any:
        """The signed-in session (``services.session.Session``), opened once per mode; raises
        a clear error when the store is unusable or the claim is not the login.

        Opened lazily, on the first command that needs it: commands that work on files alone
        (``graph validate``, ``drift``) never touch the store.
        """
        if read_only not in self._sessions:
            from workbench.services.session import open_session

            self._sessions[read_only] = open_session(
                self.store_url, self.claimed, read_only=read_only, must_be_current=must_be_current)
            if self._sessions[read_only].warning:
                print(f"note: {self._sessions[read_only].warning}", file=sys.stderr)
        return self._sessions[read_only]

    def store(self, *, read_only: bool = False, must_be_current: bool = True) -> Any:
        """The opened store (``workbench.store.Store``) of the signed-in session."""
        return self.session(read_only=read_only, must_be_current=must_be_current).store

    @property
    def user(self) -> str:
        """Who acts: the signed-in person (on PostgreSQL the login; on the embedded store the
        asserted name). Signs in on first use."""
        for session in self._sessions.values():
            return str(session.name)
        from workbench.store.urls import resolve_store_url

        if resolve_store_url(self.store_url).startswith("sqlite"):
            return self.claimed_or_os  # asserted: no need to open the store to know it
        return str(self.session(read_only=True).name)

    @staticmethod
    def print_table(header: list[str], rows: list[list[Any]], *, right: tuple[int, ...] = ()) -> None:
        """Print ``format_table``: columns as wide as their content, a long value never cut."""
        print(format_table(header, rows, right=right))

    @staticmethod
    def print_json(obj: Any) -> None:
        """Print ``obj`` as indented JSON with sorted keys (what ``str`` gives for other values)."""
        json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")

    def close(self) -> None:
        """Close every session this context opened."""
        for session in self._sessions.values():
            session.close()
        self._sessions.clear()
