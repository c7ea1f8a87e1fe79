"""The graph editor of the desktop workbench: a self-contained widget package.

``GraphEditor`` is the one widget the main window embeds (palette, canvas, minimap,
properties, problems), with its document API and a dict of ``QAction``s for menus.

Rules: the package edits a ``workbench.graph.Graph`` only through undo commands
(``controller``/``undo``); the canvas (``scene``, ``view`` and the items) only listens to the
graph's events. Modules: ``editor`` (the widget and its document) with ``editing``
(clipboard, delete, layout, align), ``actions``, ``controller`` (edits as commands), ``undo``
(the ``QUndoCommand`` bridge), ``scene``/``view``/``connection_drag`` (the canvas),
``node_item``/``edge_item``/``annotation_item`` (what is drawn), ``title_text`` (titles and
notes in screen pixels when zoomed out), ``badge`` (run-state marks), ``overview`` (far-out
drawing), ``minimap``, ``columns`` (palette | canvas | details), ``palette``,
``properties``/``param_editors``, ``problems``,
``templates_dialog``, ``layout`` (auto-layout and alignment geometry), ``style`` (colours and
sizes); the binding work-arounds live in ``workbench.ui._compat``.
"""

from __future__ import annotations

from workbench.ui.graph_editor.actions import ACTION_KEYS
from workbench.ui.graph_editor.editor import GraphEditor
from workbench.ui.graph_editor.style import RUN_STATES

__all__ = ["ACTION_KEYS", "RUN_STATES", "GraphEditor"]
