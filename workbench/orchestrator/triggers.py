"""Triggers: the policies that start runs of part of a graph by themselves.

A ``trigger`` node's ``on`` says when: ``schedule`` (every ``interval_minutes``),
``model_promoted`` (an alias of a model moved), ``drift_alert`` (a node feeding the trigger's
``alert`` port raised an alert) or ``manual`` (``workbench triggers fire``). A fired trigger
starts a run of the part of the graph it starts (``plan.part_started_by``), and the run's
``trigger`` field records what fired it (``schedule:<node>``, ``model_promoted:<node>``,
``alert:<source>-><node>``, ``manual:<node>``). Alerts raised inside a run start their
follow-up run from the orchestrator itself (see ``runner``); the watcher here also catches
alerts raised outside runs (e.g. by the inference service's monitoring). It reacts to new
alert rows, i.e. to a new episode of a condition: a repeat while the condition still holds
only counts on the open alert (``store.repos.alerts``) and starts no second run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workbench.errors import InvalidInputError
from workbench.orchestrator.launch import create_run, spawn_worker
from workbench.orchestrator.plan import part_started_by
from workbench.store import Store, now_ms
from workbench.store.entities import Run


@dataclass
class TriggerWatcher:
    """Evaluates a saved graph version's triggers each ``tick``; starts the runs they call for."""

    store: Store
    actor: str
    graph_version_id: int
    target: str = "local"
    spawn: bool = True
    params: dict[str, Any] = field(default_factory=dict)
    _graph: Any = None
    _last_change: int = 0
    _last_alert: int = 0
    _last_scheduled: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from workbench.graph import loads

        with self.store.read() as uow:
            version = uow.graphs.get(self.graph_version_id)
            self._last_change = uow.changes.latest_id()
            alerts = uow.alerts.all()
            self._last_alert = alerts[-1].id if alerts else 0
        self._graph = loads(version.text, f"graph version {version.id}")
        started = now_ms()
        for node_id in self.triggers("schedule"):
            self._last_scheduled[node_id] = started

    def triggers(self, on: str) -> list[str]:
        return sorted(n for n, node in self._graph.nodes.items()
                      if node.kind == "trigger" and node.params.get("on") == on)

    def fire(self, node_id: str, cause: str) -> Run:
        node = self._graph.nodes.get(node_id)
        if node is None or node.kind != "trigger":
            raise InvalidInputError(f"{node_id!r} is not a trigger node of the graph {self._graph.name!r}")
        part = sorted(part_started_by(self._graph, node_id))
        if not part:
            raise InvalidInputError(f"trigger {node_id!r} starts nothing: connect its 'start' port to a node")
        run = create_run(self.store, self.actor, graph_version_id=self.graph_version_id, target=self.target,
                         trigger=cause, params={**self.params, "nodes": part})
        if self.spawn:
            spawn_worker(self.store.url, run.id)
        return run

    def tick(self, now: int | None = None) -> list[Run]:
        now = now_ms() if now is None else now
        started: list[Run] = []
        for node_id in self.triggers("schedule"):
            minutes = float(self._graph.nodes[node_id].params.get("interval_minutes") or 60)
            if now - self._last_scheduled.get(node_id, 0) >= minutes * 60_000:
                self._last_scheduled[node_id] = now
                started.append(self.fire(node_id, f"schedule:{node_id}"))
        with self.store.read() as uow:
            changes = uow.changes.since(self._last_change, topics=("models",), limit=10_000)
            alerts = uow.alerts.all(since_id=self._last_alert)
        if changes:
            self._last_change = changes[-1].id
            if any(c.action.startswith("alias:") for c in changes):
                started += [self.fire(n, f"model_promoted:{n}") for n in self.triggers("model_promoted")]
        if alerts:
            self._last_alert = alerts[-1].id
            prefix = f"{self._graph.name}/"
            raised_by = {a.source[len(prefix):] for a in alerts if a.source.startswith(prefix) and a.run_id is None}
            for node_id in self.triggers("drift_alert"):
                feeders = {e.src_node for e in self._graph.edges_into(node_id, "alert")}
                for source in sorted(feeders & raised_by):
                    started.append(self.fire(node_id, f"alert:{source}->{node_id}"))
        return started
