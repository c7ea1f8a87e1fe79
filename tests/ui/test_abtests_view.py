"""Issue 17: the operator's A/B tests view shows a graph's A/B test result — the decision in
words and the effect's interval — after a real run of a graph with an ab_test node."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PySide6.QtCore import QSettings

from tests.support.store_setup import cast_store
from workbench.graph import Graph, save


def test_the_operator_sees_the_decision_of_an_ab_test(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.runs import start_run
    from workbench.ui.main_window import MainWindow

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    rng = np.random.default_rng(3)
    n = 3000
    variant = np.where(np.arange(n) % 2 == 0, "A", "B")
    pd.DataFrame({"variant": variant, "converted": (rng.random(n) < np.where(variant == "B", 0.2, 0.1)).astype(int)}
                 ).to_csv(tmp_path / "ab.csv", index=False)
    graph = Graph("checkout")
    graph.add_node("data_source", id="units", params={"format": "csv", "path": "ab.csv", "target": ""})
    graph.add_node("ab_test", id="new_checkout", params={"control": "A"})
    graph.connect("units", "data", "new_checkout", "data")
    save(graph, tmp_path / "checkout.yaml")
    run = start_run(store, "bob", tmp_path / "checkout.yaml", detach=False)
    assert RunDriver(store, run.id).drive() == "succeeded"

    window = MainWindow(store, "olga", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.switch_role("operator")
    window.role_window().docks["abtests"].raise_()
    view = window.view("abtests")
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=20_000)
    assert view.table.item(0, 0).text() == "B better"
    assert view.table.item(0, 0).toolTip() == "B is better than A"
    assert view.table.item(0, 2).text().startswith("+") and view.table.item(0, 2).text().endswith("(95%)")
    assert "checkout / new_checkout" in view.table.item(0, 4).text()
    # the newest result is selected and told in full below the table
    detail = view.detail.text()
    assert "B is better than A" in detail and f"run {run.id}" in detail
    assert "over 1500 rows" in detail and "with power 80%" in detail
    # at 1366x768 every column is in sight: no sideways scrolling
    qtbot.waitUntil(lambda: view.table.isVisible() and view.table.viewport().width() > 0, timeout=5_000)
    assert view.table.horizontalScrollBar().maximum() == 0
    window.close()
    store.close()
