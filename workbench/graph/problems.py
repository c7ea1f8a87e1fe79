"""A ``Problem``: one thing wrong with a graph, as data (validation returns them, and
``GraphValidationError`` carries them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["Problem", "Severity"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a graph. ``message`` names the node, port or parameter."""

    code: str
    message: str
    node_id: str | None = None
    port: str | None = None
    param: str | None = None
    severity: Severity = "error"
    edge_id: str | None = None
