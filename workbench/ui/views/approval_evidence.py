"""Two pages of the approval dialog that put the candidate and the champion side by side:

* ``FairnessPage`` — the gate's fairness policy and, per sensitive feature, each group's
  metrics with 95% bootstrap intervals: the candidate's as captured with the request and,
  right under it with the same columns, the champion's computed on the same rows
  (``services.approvals.champion_fairness``, a background task started by ``load``);
* ``ExplanationsPage`` — the global SHAP summary (mean |SHAP| per feature) of the candidate
  and the champion on the same hold-out rows (``services.approvals.explanations``), as two
  bar charts with the features in the candidate's order, and a table with each feature's
  direction (the correlation of its value with its SHAP value).

Rules: the pages read nothing themselves; ``load`` starts the slow work as a cancellable task
and returns its job (the dialog cancels it on close); every empty state says why.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from workbench.governance.evidence import Evidence, direction_words
from workbench.ui.context import UiContext
from workbench.ui.formatting import number
from workbench.ui.views.plot_frame import NoteLabel, PlotFrame
from workbench.ui.widgets import tables

METRICS = ("selection_rate", "tpr", "fpr", "precision", "accuracy")
TOP = 12  # features in each bar chart
RAISES, LOWERS, MIXED = (200, 80, 60, 220), (60, 120, 200, 220), (150, 150, 150, 220)


def _cell(entry: dict[str, Any]) -> str:
    value, low, high = entry.get("value"), entry.get("low"), entry.get("high")
    if value is None:
        return "–"
    return f"{value:.3f}" + (f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else "")


def fairness_rows(report: dict[str, Any]) -> list[list[str]]:
    """One row per group (rows, then each metric with its interval) and the largest differences."""
    rows = [[group, str(entry.get("n")), *(_cell(entry.get(m) or {}) for m in METRICS)]
            for group, entry in (report.get("groups") or {}).items()]
    between = report.get("between") or {}
    differences = [(between.get(m) or {}).get("difference") for m in METRICS]
    rows.append(["largest difference", "", *("–" if d is None else f"{d:.3f}" for d in differences)])
    return rows


class FairnessPage(QWidget):
    def __init__(self, evidence: Evidence, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        lines = []
        for policy in evidence.policies:
            mark = "✔ holds" if policy.holds else "✘ does not hold"
            colour = "#1b7f3b" if policy.holds else "#b3261e"
            lines.append(f"<b>Policy: {policy.name}</b> — <span style='color:{colour}'>{mark}</span> "
                         f"({policy.detail})")
        self.fairness = evidence.fairness
        champion = evidence.champion
        self.has_champion = champion is not None and not evidence.candidate_is_champion
        if not self.fairness:
            lines.append("No fairness figures were captured: name <i>sensitive_features</i> on the evaluate step "
                         "that feeds this gate.")
        self.note = QLabel("<br>".join(lines), self)
        self.note.setObjectName("fairness_note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.tables: dict[str, QTableWidget] = {}
        self.champion_tables: dict[str, QTableWidget] = {}
        self.champion_notes: dict[str, QLabel] = {}
        version = evidence.model.version
        for figure in self.fairness:
            column = figure.column
            title = QLabel(f"<b>{column}</b> · candidate v{version}: demographic-parity ratio "
                           f"{number(figure.parity_ratio)}, equalized-odds difference "
                           f"{number(figure.equalized_odds_difference)} (brackets: 95% bootstrap interval)",
                           self)
            title.setWordWrap(True)
            layout.addWidget(title)
            pair = QVBoxLayout()  # the same columns one above the other: each number under its peer
            table = self._table(f"fairness_{column}")
            tables.fill(table, fairness_rows(figure.report))
            pair.addWidget(self._titled(f"candidate v{version} (as captured)", table), 1)
            self.tables[column] = table
            if champion is not None and self.has_champion:
                other = self._table(f"fairness_champion_{column}")
                note = NoteLabel(f"champion v{champion.version}: computing on the same rows…", self)
                note.setObjectName(f"fairness_champion_note_{column}")
                self.champion_tables[column], self.champion_notes[column] = other, note
                pair.addWidget(self._titled("", other, note), 1)
            layout.addLayout(pair, 1)
        if not self.fairness:
            layout.addStretch(1)

    def _table(self, name: str) -> QTableWidget:
        table = tables.table(["group", "rows", "selection rate", "TPR", "FPR", "precision", "accuracy"], self)
        table.setObjectName(name)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        return table

    def _titled(self, text: str, table: QTableWidget, note: QLabel | None = None) -> QWidget:
        box = QWidget(self)
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(note if note is not None else QLabel(f"<i>{text}</i>", box))
        column.addWidget(table, 1)
        return box

    def show_champion(self, found: dict[str, Any], version: Any) -> None:
        for column, table in self.champion_tables.items():
            report = found.get(column)
            if not report:
                self.champion_notes[column].setText(f"champion v{version}: no figures (it is not a binary "
                                                    "classifier, or the rows lack this column)")
                continue
            tables.fill(table, fairness_rows(report))
            self.champion_notes[column].setText(
                f"<i>champion v{version} on the same rows</i>: parity ratio "
                f"{number(report.get('demographic_parity_ratio'))}, equalized-odds difference "
                f"{number(report.get('equalized_odds_difference'))}")

    def show_champion_error(self, message: str) -> None:
        for note in self.champion_notes.values():
            note.setText(f"champion's figures unavailable: {message}")

    def load(self, ctx: UiContext, request_id: int, champion_version: Any) -> Any:
        """Start computing the champion's figures (None when there is nothing to compute)."""
        from workbench.services.approvals import champion_fairness

        if not self.champion_tables:
            return None
        return ctx.tasks.start(
            "Champion's fairness", lambda progress: champion_fairness(ctx.store, ctx.user, request_id,
                                                                      progress=progress),
            lambda found: self.show_champion(found, champion_version), self.show_champion_error,
            lambda message: self.show_champion_error("cancelled"))


class ExplanationsPage(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.note = QLabel("Explaining the candidate and the champion on the same hold-out rows…", self)
        self.note.setObjectName("explanations_note")
        self.note.setWordWrap(True)
        self.note.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        layout.addWidget(self.note, 0)
        charts = QHBoxLayout()
        self.frames: dict[str, PlotFrame] = {}
        for role in ("candidate", "champion"):
            frame = PlotFrame(pg.PlotWidget(title=role), self, min_height=160)
            frame.setObjectName(f"explanations_{role}")
            frame.plot.setBackground("w")
            frame.plot.setMouseEnabled(x=False, y=False)
            frame.plot.getPlotItem().setMenuEnabled(False)
            frame.plot.setLabel("bottom", "mean |SHAP|")
            frame.show_message("Computing…")
            self.frames[role] = frame
            charts.addWidget(frame, 1)
        layout.addLayout(charts, 3)
        self.table = tables.table(["feature", "candidate mean |SHAP|", "direction", "champion mean |SHAP|",
                                   "direction"], self)
        self.table.setObjectName("explanations_table")
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 2)

    def show_result(self, result: Any) -> None:
        by_role = {m.role: m for m in result.models}
        candidate = by_role.get("candidate")
        order = [s["feature"] for s in (candidate.summary if candidate else ())][:TOP]
        for role, frame in self.frames.items():
            model = by_role.get(role)
            if model is None:
                frame.show_message("No champion when this request was made." if role == "champion" else "No candidate.")
                continue
            if not model.summary:
                frame.show_message(f"{role} v{model.version}: {model.note or 'no explanation'}")
                continue
            self._draw(frame, f"{role} v{model.version}", model, order or [s["feature"] for s in model.summary][:TOP])
        features = list(dict.fromkeys([*order, *(s["feature"] for m in result.models for s in m.summary)]))
        rows = []
        for feature in features:
            row = [feature]
            for role in ("candidate", "champion"):
                entry = next((s for s in (by_role[role].summary if role in by_role else ()) if s["feature"] == feature),
                             None)
                row += ([number(entry["mean_abs"]), direction_words(entry.get("direction"))] if entry else ["", ""])
            rows.append(row)
        tables.fill(self.table, rows)
        parts = [f"{m.role} v{m.version}: {m.method or m.note}" + (f"; explains the {', '.join(m.outputs)}"
                                                                   if m.outputs else "") for m in result.models]
        self.note.setText(f"SHAP values on {min(200, max(result.n_rows - 50, 0)):,} of the candidate's "
                          f"{result.n_rows:,} hold-out rows against 50 others, the same rows for both models. "
                          "Bars: mean |SHAP| (how far a feature moves predictions on average); red: higher values "
                          "raise the output, blue: lower it. " + " · ".join(parts))

    def _draw(self, frame: PlotFrame, title: str, model: Any, order: list[str]) -> None:
        by_feature = {s["feature"]: s for s in model.summary}
        shown = [f for f in order if f in by_feature]
        n = len(shown)
        rows = np.arange(n - 1, -1, -1, dtype=float)
        widths = np.asarray([by_feature[f]["mean_abs"] for f in shown], dtype=float)
        brushes = [pg.mkBrush(*_colour(by_feature[f].get("direction"))) for f in shown]
        plot = frame.plot
        plot.clear()
        plot.addItem(pg.BarGraphItem(x0=np.zeros(n), y=rows, height=0.7, width=widths, brushes=brushes, pen=None))
        plot.getAxis("left").setTicks([[(row, feature) for feature, row in zip(shown, rows, strict=True)]])
        plot.setXRange(0, float(widths.max() if n else 1) * 1.1 or 1, padding=0)
        plot.setYRange(-0.6, n - 0.4, padding=0)
        frame.set_title(title)
        plot.setLabel("bottom", f"mean |SHAP| · {', '.join(model.outputs)}")
        frame.show_data_or(f"{title}: no features")

    def show_error(self, message: str) -> None:
        self.note.setText(f"Explanations unavailable: {message}")
        for frame in self.frames.values():
            frame.show_message("No explanation.")

    def load(self, ctx: UiContext, request_id: int) -> Any:
        from workbench.services.approvals import explanations

        return ctx.tasks.start(
            "Explanations", lambda progress: explanations(ctx.store, ctx.user, request_id, progress=progress),
            self.show_result, self.show_error, lambda message: self.show_error("cancelled"))


def _colour(direction: Any) -> tuple[int, int, int, int]:
    if direction is None or direction != direction:
        return MIXED
    return RAISES if direction > 0.2 else LOWERS if direction < -0.2 else MIXED
