"""What every step of one run shares while the orchestrator drives it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from workbench.engines.base import Engine
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.orchestrator.sink import SinkFlusher
from workbench.store import Store
from workbench.store.entities import Artifact, Run


@dataclass
class RunContext:
    store: Store
    run: Run
    actor: str
    graph: Any  # workbench.graph.Graph
    graph_sha256: str
    artifacts: ArtifactStore
    engines: dict[str, Engine]
    flusher: SinkFlusher
    step_timeout_s: float | None = None
    retries: int = 0
    no_cache: bool = False
    poll_s: float = 0.5
    cancel: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    outputs: dict[str, dict[str, list[Artifact]]] = field(default_factory=dict)
    engine_errors: dict[str, str] = field(default_factory=dict)

    @property
    def source_prefix(self) -> str:
        """How nodes of this graph are named in monitoring sources and deployment events."""
        return self.graph.name

    def source(self, node_id: str) -> str:
        return f"{self.graph.name}/{node_id}"

    def engine_for(self, target: str) -> Engine:
        if target not in self.engines:
            raise KeyError(target)
        return self.engines[target]

    def params_of(self, node_id: str) -> dict[str, Any]:
        return dict(self.graph.nodes[node_id].params)

    @property
    def run_options(self) -> dict[str, Any]:
        return dict(self.run.params)
