"""What every CLI command shares: the store it talks to, the acting user, and output helpers.

The store is opened lazily, once, on the first command that needs it; commands that work on
files alone (``graph validate``, ``drift``) never touch it.
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
    def print_json(obj: Any) -> None:
        json.dump(obj, sys.stdout, indent=2, sort_keys=True, default=str)
        sys.stdout.write("\n")

    def close(self) -> None:
        for store in self._stores.values():
            store.close()
        self._stores.clear()
