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
    window.show()
    view = window.view("abtests")
    qtbot.waitUntil(lambda: view.table.rowCount() == 1, timeout=20_000)
    assert view.table.item(0, 0).text() == "B better"
    assert view.table.item(0, 0).toolTip() == "B is better than A"
    assert view.table.item(0, 2).text().startswith("95%: +")
    assert "checkout / new_checkout" in view.table.item(0, 8).text()
    window.close()
    store.close()
