"""Issue 17: from the demo's drift alert the operator asks how the drifted features move
predictions, and sees the champion's SHAP dependence of each drifted feature, reference rows
beside current rows, computed off the UI thread."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt

from workbench.store import open_store


def test_the_drift_alert_opens_the_dependence_of_each_drifted_feature(qtbot, demo_store: str,  # noqa: ANN001
                                                                       tmp_path: Path) -> None:
    from workbench.ui.main_window import MainWindow

    store = open_store(demo_store)
    window = MainWindow(store, "newcomer", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.switch_role("operator")
    view = window.view("alerts")
    qtbot.waitUntil(lambda: len(view.alerts) > 0, timeout=30_000)
    canary = next(i for i, a in enumerate(view.alerts) if a.kind != "drift")
    view.table.selectRow(canary)
    assert not view.drilldown_button.isEnabled()  # only a drift alert has drifted features
    drift = next(i for i, a in enumerate(view.alerts) if a.kind == "drift")
    view.table.selectRow(drift)
    assert view.drilldown_button.isEnabled()
    qtbot.mouseClick(view.drilldown_button, Qt.MouseButton.LeftButton)
    dialog = view.drilldown
    assert "Explaining the champion" in dialog.note.text()  # said while it works
    qtbot.waitUntil(lambda: dialog.result is not None, timeout=180_000)
    result = dialog.result
    assert result.model.startswith("credit_default v") and result.n_reference == result.n_current == 150
    drifted = [f.feature for f in result.features]
    assert drifted and set(drifted) <= {"income", "debt_ratio", "age", "credit_lines", "late_payments",
                                        "employment_years", "channel"}
    assert set(dialog.frames) == set(drifted[:6])
    for feature in result.features:
        assert len(feature.reference_x) == len(feature.reference_shap) == 150
        assert feature.mean_abs_current == np.mean(np.abs(feature.current_shap))
        assert dialog.frames[feature.feature].has_data()
    if "debt_ratio" in drifted:  # more debt, more predicted default
        debt = next(f for f in result.features if f.feature == "debt_ratio")
        assert np.corrcoef(debt.reference_x, debt.reference_shap)[0, 1] > 0.5
    assert result.model in dialog.note.text() and "current rows" in dialog.note.text()
    dialog.close()
    window.close()
    store.close()
