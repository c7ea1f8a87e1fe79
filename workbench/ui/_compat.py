"""Work-arounds for defects of the Qt binding that this package would otherwise trip over.

Rules: each work-around checks for its defect at run time and does nothing where the defect is
absent, so upgrading the binding needs no change here; each says what it guards against.

* PySide6 6.12 returns ``None`` from every ``void`` method, and ``True`` from a signal's
  ``emit``, without taking a reference to it. On Python 3.12+ these objects are immortal and
  nothing happens; on Python 3.11 each call lowers their reference count by one, and after a
  few thousand calls (a canvas makes that many per second) the interpreter aborts with
  "none_dealloc: deallocating None" (or "bool_dealloc"). Where the leak is seen, the counts of
  ``None``, ``True`` and ``False`` are raised by 2**40 once, which keeps them alive for any
  realistic session (about 10**12 calls), as the interpreter itself does for immortal objects.
"""

from __future__ import annotations

import ctypes
import sys

__all__ = ["guard_none_refcount", "void_call_leaks_none"]

_BOOST = 1 << 40
_applied = False


def void_call_leaks_none() -> bool:
    """Whether a ``void`` PySide6 call lowers ``None``'s reference count."""
    from PySide6.QtCore import QPointF

    point = QPointF()
    before = sys.getrefcount(None)
    for _ in range(16):
        point.setX(1.0)
    return sys.getrefcount(None) < before - 8


def guard_none_refcount() -> bool:
    """Apply the ``None`` work-around where needed (once); True if it is in force."""
    global _applied
    if _applied:
        return True
    if sys.version_info >= (3, 12) or sys.implementation.name != "cpython":
        return False
    if not void_call_leaks_none():
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BOOST
    _applied = True
    return True
