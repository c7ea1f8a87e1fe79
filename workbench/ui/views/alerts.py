"""The operator's alerts: open alerts (or all) of every source, and Acknowledge.

Rules: one row per episode of a condition (repeats while it holds are counted, see
``store.repos.alerts``): how often it was raised, first and last seen in the person's local
time, whether the condition still holds. The message reads whole: it wraps at word
boundaries, a very long one is shortened at a word with "…", and the tooltip holds it all.
The list is re-read (through ``services.monitoring.list_alerts``) 100 ms after an ``alerts``
change in the feed — repeats and acknowledging change old rows, so it is not an
append-only read. Acknowledge is shown only to roles holding ``alerts.acknowledge`` on a
writable store, is enabled only for a selected open alert, and the service checks the
permission again. For a drift alert, "Explain drift…" (how the drifted features move
predictions) opens ``drift_drilldown`` (the champion's SHAP dependence of each drifted feature,
reference vs current).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from workbench.governance.permissions import allowed
from workbench.services.monitoring import Alert
from workbench.ui.context import UiContext
from workbench.ui.formatting import local_time
from workbench.ui.widgets import tables

COLUMNS = ["id", "message", "count", "last seen", "first seen", "condition", "source", "kind", "status",
           "acknowledged by"]
MESSAGE, LONGEST = COLUMNS.index("message"), 240


class AlertsView(QWidget):
    subject_changed = Signal(str, str)  # the chosen alert ("alert:ID") as a discussion target, its title

    def __init__(self, ctx: UiContext):
        super().__init__()
        self.ctx = ctx
        self.alerts: list[Alert] = []
        self.last_error = ""
        self.table = tables.table(COLUMNS, self)
        self.table.setObjectName("alerts_table")
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setSectionResizeMode(MESSAGE, QHeaderView.ResizeMode.Interactive)
        self.show_all = QCheckBox("Show acknowledged", self)
        self.count_label = QLabel("", self)
        self.acknowledge_button = QPushButton("Acknowledge", self)
        self.acknowledge_button.setObjectName("acknowledge_button")
        self.can_acknowledge = not ctx.read_only and allowed(ctx.roles, "alerts.acknowledge")
        self.acknowledge_button.setVisible(self.can_acknowledge)
        self.acknowledge_button.setEnabled(False)
        self.drilldown_button = QPushButton("Explain drift…", self)  # fits a docked view's width
        self.drilldown_button.setObjectName("drilldown_button")
        self.drilldown_button.setToolTip("How do the drifted features move predictions? For a drift alert: the "
                                         "champion's SHAP values of each drifted feature on reference and "
                                         "current rows")
        self.drilldown_button.setEnabled(False)
        self.drilldown: Any = None
        bar = QHBoxLayout()
        bar.addWidget(self.show_all)
        bar.addWidget(self.count_label, 1)
        bar.addWidget(self.drilldown_button)
        bar.addWidget(self.acknowledge_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        self._refresh_timer = QTimer(self, singleShot=True, interval=100)
        self._refresh_timer.timeout.connect(self.refresh)
        self.show_all.toggled.connect(lambda _: self.refresh())
        self.table.itemSelectionChanged.connect(self._on_selected)
        self.acknowledge_button.clicked.connect(self._on_acknowledge)
        self.drilldown_button.clicked.connect(self._on_drilldown)
        ctx.feed.changed.connect(self._on_changes)
        self.refresh()

    def _on_changes(self, changes: list) -> None:
        if any(c.topic == "alerts" for c in changes):
            self._refresh_timer.start()

    def refresh(self) -> None:
        from workbench.services.monitoring import list_alerts

        status = None if self.show_all.isChecked() else "open"
        self.ctx.tasks.run(lambda: list_alerts(self.ctx.store, self.ctx.user, status=status,
                                                     project=self.ctx.project), self._show,
                           lambda message: self.ctx.error(self, "Alerts", message))

    def _show(self, alerts: list[Alert]) -> None:
        self.alerts = sorted(alerts, key=lambda a: (a.last_seen_at or a.created_at, a.id), reverse=True)
        tables.fill(self.table, [row_values(a) for a in self.alerts])
        for row, alert in enumerate(self.alerts):
            for column in range(self.table.columnCount()):
                cell = self.table.item(row, column)
                if cell is not None:
                    cell.setToolTip(alert.message)
        self._fit_message()
        opened = sum(a.status == "open" for a in self.alerts)
        self.count_label.setText(f"{opened} open")
        self._on_selected()

    def _fit_message(self) -> None:
        """The message column takes the room that id, count and last seen leave (at least
        180 px, at most 520) and rows grow to its wrapped lines."""
        beside = sum(self.table.columnWidth(c) for c in (0, MESSAGE + 1, MESSAGE + 2))
        room = self.table.viewport().width() - beside
        self.table.setColumnWidth(MESSAGE, max(180, min(room, 520)))
        self.table.resizeRowsToContents()

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._fit_message()

    def selected(self) -> Alert | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        if item is None:
            return None
        return next((a for a in self.alerts if str(a.id) == item.text()), None)

    def select(self, alert_id: int) -> None:
        for row in range(self.table.rowCount()):
            cell = self.table.item(row, 0)
            if cell is not None and cell.text() == str(alert_id):
                self.table.selectRow(row)
                return

    def _on_selected(self) -> None:
        chosen = self.selected()
        self.acknowledge_button.setEnabled(self.can_acknowledge and chosen is not None and chosen.status == "open")
        self.drilldown_button.setEnabled(chosen is not None and chosen.kind == "drift")
        if chosen is not None:
            self.subject_changed.emit(f"alert:{chosen.id}", f"alert {chosen.id} ({chosen.kind}, {chosen.source})")

    def _on_drilldown(self) -> None:
        """Open the drift drill-down of the chosen drift alert (``drift_drilldown``)."""
        from workbench.ui.views.drift_drilldown import DriftDrilldownDialog

        chosen = self.selected()
        if chosen is not None and chosen.kind == "drift":
            self.drilldown = DriftDrilldownDialog(self.ctx, chosen, self)
            self.drilldown.show()

    def _on_acknowledge(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.acknowledge(chosen.id)

    def acknowledge(self, alert_id: int) -> None:
        """Acknowledge one alert as the signed-in user (the service checks the role)."""
        from workbench.services.monitoring import acknowledge_alert

        self.acknowledge_button.setEnabled(False)
        self.ctx.tasks.run(lambda: acknowledge_alert(self.ctx.store, self.ctx.user, alert_id),
                           self._acknowledged, self._on_refused)

    def _acknowledged(self, alert: Alert) -> None:
        self.ctx.status(f"alert {alert.id} acknowledged")
        self.refresh()

    def _on_refused(self, message: str) -> None:
        self.last_error = message
        self.ctx.error(self, "Acknowledge", message)
        self._on_selected()


def shorten(text: str, limit: int = LONGEST) -> str:
    """``text`` whole when short enough, else cut at the last word boundary before ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"


def row_values(alert: Alert) -> list[Any]:
    """What the table shows of one alert (a person reads these cells)."""
    condition = "holds" if alert.cleared_at is None else f"cleared {local_time(alert.cleared_at)}"
    return [alert.id, shorten(alert.message), alert.count, local_time(alert.last_seen_at or alert.created_at),
            local_time(alert.created_at), condition, alert.source, alert.kind,
            alert.status, alert.acknowledged_by]


def create(ctx: UiContext) -> QWidget:
    return AlertsView(ctx)
