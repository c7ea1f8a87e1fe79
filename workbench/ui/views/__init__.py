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
    ViewSpec("users", "Users and roles", "workbench.ui.views.users", read_only_ok=False),
    ViewSpec("audit", "Audit trail", "workbench.ui.views.audit"),
)}

ROLE_VIEWS: dict[str, tuple[str, ...]] = {
    "scientist": ("graph", "runs", "models"),
    "engineer": ("graph", "runs", "targets", "models"),
    "operator": ("monitoring", "alerts", "runs", "kpis"),
    "analyst": ("kpis", "models"),
    "approver": ("approvals", "models", "audit"),
    "admin": ("users", "audit"),
}
