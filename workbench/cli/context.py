"""What every CLI command shares: the store it talks to, the acting user, and output helpers.

The store is opened lazily, once, on the first command that needs it; commands that work on
files alone (``graph validate``, ``drift``) never touch it. Tables are as wide as their
content (``format_table``): a long value widens its column, it is never cut.
"""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any


def acting_user(explicit: str | None) -> str:
    """The acting user: ``--user``, else ``$WORKBENCH_USER``, else the OS login."""
    if explicit:
        return explicit
    env = os.environ.get("WORKBENCH_USER")
    if env:
        return env
    try:
        return getpass.getuser()
    except Exception:  # no login name on this machine (some containers)
        return "unknown"


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
    user: str
    _stores: dict[bool, Any] = field(default_factory=dict)
    open_gui: Any = None  # set by the console script: opens the desktop workbench
    check_gui: Any = None  # set by the console script: raises when the desktop cannot start here

    @classmethod
    def from_args(cls, args: Any) -> CliContext:
        return cls(store_url=getattr(args, "store", None), user=acting_user(getattr(args, "user", None)))

    def store(self, *, read_only: bool = False, must_be_current: bool = True) -> Any:
        """The opened store (``workbench.store.Store``); raises a clear error when unusable."""
        if read_only not in self._stores:
            from workbench.store import open_store

            self._stores[read_only] = open_store(
                self.store_url, read_only=read_only, must_be_current=must_be_current
            )
        return self._stores[read_only]

    @staticmethod
    def print_table(header: list[str], rows: list[list[Any]], *, right: tuple[int, ...] = ()) -> None:
        print(format_table(header, rows, right=right))

    @staticmethod
    def print_json(obj: Any) -> None:
        json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
