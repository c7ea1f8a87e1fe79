"""The store's clock: every time it keeps is an integer count of epoch milliseconds."""

from __future__ import annotations

import time

__all__ = ["now_ms"]


def now_ms() -> int:
    """Now, in integer epoch milliseconds (how the store keeps every time)."""
    return time.time_ns() // 1_000_000
