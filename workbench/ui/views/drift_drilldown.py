"""The operator's drill-down from a drift alert: "How do the drifted features move predictions?"

One scatter plot per drifted feature (at most ``MAX_FEATURES``): the feature's value (x)
against its SHAP value for the champion (y), reference rows in blue and current rows in
orange, so a person sees whether the drifted values land where the model reacts strongly.
Text features are placed at one position per category (with a little jitter). The numbers come
from ``services.drift_explanations.drift_drilldown``, computed off the UI thread with
progress in the status bar; closing the dialog cancels it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QDialog, QGridLayout, QLabel, QVBoxLayout, QWidget

from workbench.ui.context import UiContext
from workbench.ui.views.plot_frame import PlotFrame

MAX_FEATURES = 6
REFERENCE, CURRENT = (60, 120, 200, 150), (230, 120, 30, 170)


def _positions(reference: list[Any], current: list[Any]) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """x positions of both sides; categories (as tick labels) when the values are not numbers."""
    try:
        return np.asarray(reference, dtype=float), np.asarray(current, dtype=float), None
    except (TypeError, ValueError):
        categories = sorted({str(v) for v in [*reference, *current]})
        where = {c: i for i, c in enumerate(categories)}
        rng = np.random.default_rng(0)

        def place(values: list[Any]) -> np.ndarray:
            return np.asarray([where[str(v)] for v in values], dtype=float) + rng.uniform(-0.15, 0.15, len(values))

        return place(reference), place(current), categories


class DriftDrilldownDialog(QDialog):
    def __init__(self, ctx: UiContext, alert: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx, self.alert = ctx, alert
        self.setWindowTitle(f"Alert {alert.id}: how do the drifted features move predictions?")
        self.setObjectName("drift_drilldown")
        screen = self.screen().availableGeometry()
        self.resize(min(980, screen.width() - 40), min(680, screen.height() - 60))
        layout = QVBoxLayout(self)
        self.note = QLabel(f"Explaining the champion on reference and current rows of {alert.source}…", self)
        self.note.setObjectName("drilldown_note")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        self.grid = QGridLayout()
        layout.addLayout(self.grid, 1)
        self.frames: dict[str, PlotFrame] = {}
        self.result: Any = None
        self.job = ctx.tasks.start(
            "Drift drill-down", lambda progress: _compute(ctx, alert.id, progress), self.show_result,
            lambda message: self.note.setText(f"The drill-down could not be computed: {message}"),
            lambda message: self.note.setText("Cancelled."))
        self.finished.connect(lambda *_: self.job.cancel())

    def show_result(self, result: Any) -> None:
        self.result = result
        shown = result.features[:MAX_FEATURES]
        columns = 2 if len(shown) > 1 else 1
        for i, feature in enumerate(shown):
            frame = PlotFrame(pg.PlotWidget(title=feature.feature), self, min_height=150)
            frame.setObjectName(f"dependence_{feature.feature}")
            plot = frame.plot
            plot.setBackground("w")
            ref_x, cur_x, categories = _positions(feature.reference_x, feature.current_x)
            plot.addItem(pg.ScatterPlotItem(ref_x, feature.reference_shap, size=5, pen=None,
                                            brush=pg.mkBrush(*REFERENCE), name="reference"))
            plot.addItem(pg.ScatterPlotItem(cur_x, feature.current_shap, size=5, pen=None,
                                            brush=pg.mkBrush(*CURRENT), name="current"))
            if categories is not None:
                plot.getAxis("bottom").setTicks([list(enumerate(categories))])
            plot.addLine(y=0, pen=pg.mkPen((120, 120, 120), style=pg.QtCore.Qt.PenStyle.DashLine))
            plot.setLabel("bottom", feature.feature)
            plot.setLabel("left", "SHAP")
            frame.set_title(f"{feature.feature}: mean |SHAP| {feature.mean_abs_reference:.3g} → "
                            f"{feature.mean_abs_current:.3g}")
            frame.show_data_or(f"{feature.feature}: no rows")
            self.frames[feature.feature] = frame
            self.grid.addWidget(frame, i // columns, i % columns)
        more = len(result.features) - len(shown)
        self.note.setText(
            f"<b>{result.model}</b> (the champion), SHAP values of the {result.output}: {result.n_reference} "
            f"reference rows (its hold-out rows, blue) and {result.n_current} current rows "
            f"({', '.join(result.current_from)}, orange); {result.method}. Each point is one row: where the "
            "feature's value puts it and how far that moves its prediction. "
            + (f"{more} more drifted feature(s) not shown. " if more > 0 else "")
            + (result.note + "." if result.note else ""))


def _compute(ctx: UiContext, alert_id: int, progress: Any) -> Any:
    from workbench.services.drift_explanations import drift_drilldown

    return drift_drilldown(ctx.store, ctx.user, alert_id, progress=progress)
