"""Shared fixtures of the graph tests: a small pipeline and an event recorder."""

from __future__ import annotations

from typing import Any

import pytest

from workbench.graph import Graph
from workbench.graph.events import GraphEvents, UndoStackEvents


class Recorder:
    """Records every signal of an events group as ``(signal_name, args)``."""

    def __init__(self, events: GraphEvents | UndoStackEvents):
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        for name in events:
            events[name].connect(self._make(name))

    def _make(self, name: str):
        def record(*args: Any) -> None:
            self.calls.append((name, args))

        return record

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def clear(self) -> None:
        self.calls.clear()


@pytest.fixture
def pipeline() -> Graph:
    """data -> train -> promote -> score (with data -> score)."""
    g = Graph("pipeline", "a small pipeline")
    g.add_node("data_source", id="data", position=(0, 0))
    g.add_node("train_sklearn", id="train", position=(200, 0))
    g.add_node("promote", id="promote", position=(400, 0), params={"model_name": "m"})
    g.add_node("inference", id="score", position=(600, 0))
    g.connect("data", "data", "train", "data")
    g.connect("train", "model", "promote", "model")
    g.connect("promote", "model", "score", "model")
    g.connect("data", "data", "score", "data")
    return g


@pytest.fixture
def recorder():
    return Recorder
