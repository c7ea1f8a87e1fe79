"""The JSON-lines protocol between ``SparkEngine`` and its driver process.

Requests, one JSON object per line on the driver's stdin:

* ``{"op": "open", "target": {...}}`` — first, once: build the SparkSession for the target
  (``SparkTarget.to_params()``); answered ``ready`` or ``failed``;
* ``{"op": "run", "id": N, "spec": {...}}`` — run one step (the runtime's spec, with its
  ``output_dir``); answered ``result``;
* ``{"op": "cancel", "id": N}`` — cancel step N: its Spark job group is cancelled;
* ``{"op": "probe", "id": N}`` — describe the session and cluster; answered ``probe``;
* ``{"op": "close"}`` — stop the session and exit (so does end of input).

Replies travel on the driver's stdout, in the runtime's event form so they share the stream
with the step's log lines and ``@@workbench`` events: ``@@workbench {"spark_driver": KIND,
...}`` with KIND ``ready`` (``version``, ``master``, ``app_id``), ``failed`` (``error``),
``result`` (``id``, ``status`` ok|error|cancelled, ``exit_code``, ``error``) or ``probe``
(``id``, ``details`` or ``error``). Every other stdout line belongs to the running step (the
engine runs one step at a time per driver); the JVM's own output goes to stderr.

Rules: stdlib only; one line per message; unknown replies are ignored by the engine.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["KEY", "request", "reply_of"]

KEY = "spark_driver"


def request(op: str, **fields: Any) -> str:
    return json.dumps({"op": op, **fields}, separators=(",", ":")) + "\n"


def reply_of(event: dict[str, Any]) -> dict[str, Any] | None:
    """The driver reply carried by an ``@@workbench`` event, or ``None``."""
    if isinstance(event, dict) and isinstance(event.get(KEY), str):
        return event
    return None
