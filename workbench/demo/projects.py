"""The demo's second project: "marketing", beside the credit models of the default project.

It holds a graph of its own (the campaign-response scoring graph, saved by the demo's
scientist) and a person, ``demo-marketing-officer``, who is a risk officer in marketing only:
in the credit project they hold no role, so the desktop's project switcher offers them
marketing alone, and a credit approval request refuses them. Nothing here runs, so the demo
takes no longer. Only an admin adds projects: on a store where the invoking person is not
one, the second project is left out and the demo says so.
"""

from __future__ import annotations

from collections.abc import Callable

from workbench.errors import PermissionDeniedError
from workbench.store import Store

PROJECT = "marketing"
MARKETING_OFFICER = "demo-marketing-officer"
GRAPH_NAME = "Campaign response demo"


def add_marketing(store: Store, user: str, scientist: str, progress: Callable[[str], None]) -> None:
    """The marketing project, its risk officer and its graph (once per store)."""
    from workbench.graph import load_template
    from workbench.services.graph_history import save_graph
    from workbench.services.projects import add_person, add_project, list_projects

    if PROJECT in {p.name for p in list_projects(store, user)}:
        return
    try:
        add_project(store, user, PROJECT, "campaign response models (demo)")
    except PermissionDeniedError:
        progress(f"{user} is not an admin here: the demo's second project ({PROJECT}) is left out")
        return
    add_person(store, user, MARKETING_OFFICER, PROJECT, ["approver"], f"{MARKETING_OFFICER} (demo)")
    graph = load_template("inference")
    graph.name = GRAPH_NAME
    save_graph(store, scientist, graph, message="campaign response scoring (demo)", project=PROJECT)
    progress(f"project {PROJECT}: graph {GRAPH_NAME!r}, and {MARKETING_OFFICER}, a risk officer there only")
