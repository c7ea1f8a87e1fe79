"""What every step of one run shares while the orchestrator drives it.

Rules: a node's parameters are read through ``params_of``, which resolves relative ``path``
values against the folder of the graph file the run was started from (``graph_path``)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.engines.base import Engine
from workbench.governance.code_trust import code_refusal
from workbench.graph.param_safety import climbs_out, resolve_path
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.orchestrator.sink import SinkFlusher
from workbench.store import Store
from workbench.store.entities import Artifact, Run

CODE_PARAM = "__code__"  # {parameter: the text of the code file it names}, added by params_of


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

    @property
    def graph_folder(self) -> Path | None:
        """The folder of the graph file the run was started from (where relative paths start)."""
        raw = self.run.params.get("graph_path")
        return Path(raw).parent if raw else None

    def params_of(self, node_id: str) -> dict[str, Any]:
        """The node's parameters, relative ``path`` values resolved against the graph's folder."""
        node = self.graph.nodes[node_id]
        params = dict(node.params)
        kind = self.graph.catalog.find(node.kind)
        code: dict[str, str] = {}
        for spec in kind.params if kind is not None else ():
            if spec.type == "path" and spec.name in params:
                params[spec.name] = resolve_path(params[spec.name], self.graph_folder)
            if spec.code and isinstance(params.get(spec.name), str) and params[spec.name].strip():
                try:  # the code travels with the step (to SSH hosts and Spark tasks) and keys its cache
                    code[spec.name] = Path(params[spec.name]).expanduser().read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    pass  # the step says the file cannot be read
        if code:
            params[CODE_PARAM] = code
        return params

    def path_refusal(self, node_id: str) -> str:
        """Why the node's paths cannot be used (outside the graph's folder, or relative to a
        folder that is not known), or ``""``."""
        node = self.graph.nodes[node_id]
        kind = self.graph.catalog.find(node.kind)
        for spec in kind.params if kind is not None else ():
            value = node.params.get(spec.name)
            if spec.type != "path" or not isinstance(value, str) or not value.strip():
                continue
            if climbs_out(value):
                return (f"node {node_id!r}, parameter {spec.name!r}: the relative path {value!r} climbs out "
                        "of the graph's folder; keep the data under that folder or give an absolute path")
            if self.graph_folder is None and resolve_path(value, Path("/")) != value:
                return (f"node {node_id!r}, parameter {spec.name!r}: the relative path {value!r} has no "
                        "folder to start from (the run does not record its graph file); give an absolute path")
        return ""

    def code_refusal(self, node_id: str) -> str:
        """Why a Python file the node names (a ``code`` parameter) may not run — outside every
        code folder the store declares now — or ``""``."""
        node = self.graph.nodes[node_id]
        kind = self.graph.catalog.find(node.kind)
        specs = [spec for spec in (kind.params if kind is not None else ())
                 if spec.code and isinstance(node.params.get(spec.name), str)
                 and node.params[spec.name].strip()]
        if not specs:
            return ""
        with self.store.read() as uow:
            folders = [f.path for f in uow.code_folders.declared()]
        params = self.params_of(node_id)
        for spec in specs:
            refusal = code_refusal(params[spec.name], folders,
                                   f"node {node_id!r}, parameter {spec.name!r}")
            if refusal:
                return refusal
        return ""

    @property
    def run_options(self) -> dict[str, Any]:
        return dict(self.run.params)
