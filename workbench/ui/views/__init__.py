"""The views a role can open, and each role's arrangement of them.

A view module exposes ``create(ctx: UiContext) -> QWidget``. Each role opens its views as
dock widgets; the first is the role's main view. Views whose module is missing are simply
not offered (a plain install without the optional plotting parts still starts).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class ViewSpec:
    id: str
    title: str
    module: str
    read_only_ok: bool = True

    def factory(self) -> Callable[..., QWidget] | None:
        try:
            return importlib.import_module(self.module).create
        except ModuleNotFoundError as exc:
            if exc.name == self.module:
                return None
            raise


VIEWS: dict[str, ViewSpec] = {spec.id: spec for spec in (
    ViewSpec("graph", "Graph editor", "workbench.ui.views.graph_view", read_only_ok=False),
    ViewSpec("runs", "Runs", "workbench.ui.views.runs"),
    ViewSpec("targets", "Targets", "workbench.ui.views.targets", read_only_ok=False),
    ViewSpec("models", "Models", "workbench.ui.views.models"),
    ViewSpec("approvals", "Approvals", "workbench.ui.views.approvals", read_only_ok=False),
    ViewSpec("monitoring", "Live monitoring", "workbench.ui.views.monitoring"),
    ViewSpec("alerts", "Alerts", "workbench.ui.views.alerts"),
    ViewSpec("kpis", "KPI review", "workbench.ui.views.kpis"),
    ViewSpec("abtests", "A/B tests", "workbench.ui.views.abtests"),
    ViewSpec("users", "Users and roles", "workbench.ui.views.users", read_only_ok=False),
    ViewSpec("audit", "Audit trail", "workbench.ui.views.audit"),
)}

ROLE_ORDER: tuple[str, ...] = ("scientist", "engineer", "operator", "analyst", "approver", "admin")
"""The order roles are offered in, and the one that picks a person's main role: the first of
theirs in this order (administration is rarely what a person opens the workbench for)."""

ROLE_VIEWS: dict[str, tuple[str, ...]] = {
    "scientist": ("graph", "runs", "models"),
    "engineer": ("graph", "runs", "targets", "models"),
    "operator": ("monitoring", "alerts", "runs", "kpis", "abtests"),
    "analyst": ("kpis", "models"),
    "approver": ("approvals", "models", "audit"),
    "admin": ("users", "audit"),
}

MAIN_SHARE: dict[str, float] = {"scientist": 0.7, "engineer": 0.7, "operator": 0.62, "analyst": 0.68,
                                 "approver": 0.5, "admin": 0.45}
"""Each role's main view's share of the window's width in the default layout: the canvas gets
the room; the operator's and the risk officer's side views (KPI review, audit trail) are tables
that need more of it; the administrator's audit trail is wider than the users list."""

START_HERE: dict[str, str] = {
    "scientist": "Start here: open a graph (Ctrl+O) or start one from a template (Ctrl+Shift+N), "
                 "press Run, and follow its steps in Runs. Double-click a node for its logs.",
    "engineer": "Start here: add a target (Targets › Add), check it, then choose it beside Run in "
                "the graph editor; Runs shows each step's timeline and logs.",
    "operator": "Start here: pick a source in Live monitoring to see drift per feature; open alerts "
                "are listed in Alerts — acknowledge what you have looked at.",
    "analyst": "Start here: pick a KPI in KPI review; deployments are marked on it and their impact "
               "is estimated below. This view is read-only.",
    "approver": "Start here: open a request in Approvals (double-click) to see the evidence, then "
                "approve or reject it with a reason; every decision goes to the Audit trail.",
    "admin": "Start here: add people and give them roles in Users and roles; Verify chain checks "
             "the audit trail.",
}
