"""Every change event of the graph package, declared in one place.

Rules: events are psygnal signals grouped per emitter (``Graph.events``, ``UndoStack.events``).
They fire after the change is made, exactly once per real change, and never for a no-op (a
value set to what it already was). Payloads are the frozen entities, so a listener can never
change the model behind its back; views update themselves from these events only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psygnal import Signal, SignalGroup

__all__ = ["GraphEvents", "NodeChange", "UndoStackEvents"]


@dataclass(frozen=True)
class NodeChange:
    """What ``node_changed`` reports: ``field`` is ``params``, ``title`` or ``target``;
    ``name`` is the parameter name for ``params`` (else None); ``old``/``new`` are the values
    (``old`` or ``new`` is ``MISSING`` when a parameter was added or removed)."""

    field: str
    name: str | None
    old: Any
    new: Any


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class GraphEvents(SignalGroup):
    """Signals of one ``Graph``.

    * ``node_added(node)``, ``node_removed(node)``
    * ``node_moved(node, old_position)``
    * ``node_changed(node, change: NodeChange)`` — parameter, title or target
    * ``edge_added(edge)``, ``edge_removed(edge)``
    * ``annotation_added(annotation)``, ``annotation_removed(annotation)``,
      ``annotation_changed(annotation, old_annotation)``
    * ``info_changed(field, old, new)`` — the graph's ``name`` or ``description``
    """

    node_added = Signal(object)
    node_removed = Signal(object)
    node_moved = Signal(object, object)
    node_changed = Signal(object, object)
    edge_added = Signal(object)
    edge_removed = Signal(object)
    annotation_added = Signal(object)
    annotation_removed = Signal(object)
    annotation_changed = Signal(object, object)
    info_changed = Signal(str, object, object)


class UndoStackEvents(SignalGroup):
    """Signals of one ``UndoStack``.

    * ``changed()`` — after every push, undo, redo or clear
    * ``index_changed(index)``
    * ``clean_changed(is_clean)`` — only when cleanliness flips
    """

    changed = Signal()
    index_changed = Signal(int)
    clean_changed = Signal(bool)
