"""How values read in every view: times in the person's local time, payloads as short
"key: value" lines, numbers as what they are (a count is never ``1738.0000``).

Pure functions (no widgets), so views and tests share one reading of a value.
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import Any

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def local_time(epoch_ms: int | float | None, *, seconds: bool = True) -> str:
    """Epoch milliseconds as local wall-clock time ('' for none)."""
    if epoch_ms is None:
        return ""
    moment = _dt.datetime.fromtimestamp(float(epoch_ms) / 1000.0).astimezone()
    return moment.strftime(TIME_FORMAT if seconds else "%Y-%m-%d %H:%M")


def number(value: Any, digits: int = 4) -> str:
    """Integers (and integral floats from counts) without decimals; other floats rounded."""
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ") if abs(value) >= 100_000 else str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.{digits}g}" if abs(value) < 1e-3 or abs(value) >= 1e6 else f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return str(value)


def _is_time_key(key: str) -> bool:
    return key.endswith(("_ms", "_at")) or key in ("ts", "time", "timestamp")


def payload_text(payload: Any, limit: int = 160) -> str:
    """A payload (dict, list, scalar) as one readable line: ``key: value · key: value``;
    epoch-millisecond fields as local times; long values shortened with "…"."""
    if payload in (None, {}, []):
        return ""
    if isinstance(payload, dict):
        parts = []
        for key, value in payload.items():
            name = str(key)
            if isinstance(value, int | float) and not isinstance(value, bool) and _is_time_key(name) and value > 1e11:
                shown, name = local_time(value), name.removesuffix("_ms")
            elif isinstance(value, dict | list):
                shown = json.dumps(value, default=str, separators=(", ", ": "))
                shown = shown if len(shown) <= 60 else shown[:59] + "…"
            else:
                shown = number(value) if isinstance(value, int | float) else str(value)
            parts.append(f"{name.replace('_', ' ')}: {shown}")
        text = " · ".join(parts)
    else:
        text = json.dumps(payload, default=str) if isinstance(payload, list) else str(payload)
    return text if len(text) <= limit else text[: limit - 1] + "…"
