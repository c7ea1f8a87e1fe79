"""Structured events and log lines a running step writes to stdout.

Owns the ``@@workbench {json}`` line protocol: the engine that started the step reads its
stdout line by line; a line that starts with ``@@workbench `` is a structured event, any other
line is the step's log. Events:

* ``{"metric": "loss", "step": 3, "value": 0.41}`` — a point of a training curve;
* ``{"progress": 0.5, "message": "epoch 10/20"}`` — progress in [0, 1].

Rules: one event per line, compact JSON, non-finite numbers as ``null``; stdout is flushed
after every line so the engine sees events as they happen; lines are written whole under a
lock (the resource sampler's thread emits alongside the step). User training scripts may call
``emit_metric`` and ``emit_progress`` too.
"""

from __future__ import annotations

import json
import sys
import threading
from typing import Any

from workbench.engines.runtime.spec import jsonable

__all__ = ["EVENT_PREFIX", "emit", "emit_metric", "emit_progress", "log"]

EVENT_PREFIX = "@@workbench "
_LOCK = threading.Lock()


def emit(event: dict[str, Any]) -> None:
    """Write one structured event line and flush."""
    line = EVENT_PREFIX + json.dumps(jsonable(event), separators=(",", ":")) + "\n"
    with _LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()


def emit_metric(name: str, step: int, value: float) -> None:
    emit({"metric": name, "step": int(step), "value": float(value)})


def emit_progress(fraction: float, message: str = "") -> None:
    emit({"progress": min(max(float(fraction), 0.0), 1.0), "message": message})


def log(message: str) -> None:
    """One ordinary log line (never starts with the event prefix)."""
    text = str(message)
    if text.startswith(EVENT_PREFIX.strip()):
        text = " " + text
    with _LOCK:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
