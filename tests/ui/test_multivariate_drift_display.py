"""The multivariate drift series ('*all') in Live monitoring: its legend says it is the
columns tested together."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.support.store_setup import cast_store


def _legend_names(view) -> list[str]:  # noqa: ANN001
    legend = view.drift_plot.plotItem.legend
    return [label.text for _, label in legend.items]


def test_the_multivariate_series_is_named_for_what_it_is(qtbot, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.context import UiContext
    from workbench.ui.feed import ChangeFeedThread
    from workbench.ui.tasks import TaskRunner
    from workbench.ui.views.monitoring import MULTIVARIATE_LABEL, MonitoringView

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    feed = ChangeFeedThread(store)
    view = MonitoringView(UiContext(store, "olga", ("operator",), feed, TaskRunner()))
    qtbot.addWidget(view)
    view.show()
    x = 1_790_000_000 + np.arange(4, dtype=float) * 3600
    view.add_drift_points("pca_reconstruction", "*all", x, np.array([0.5, 0.55, 0.86, 0.88]), threshold=0.687)
    qtbot.waitUntil(lambda: view.drift_curve("*all", "pca_reconstruction") is not None)
    assert "columns together" in MULTIVARIATE_LABEL
    qtbot.waitUntil(lambda: MULTIVARIATE_LABEL in _legend_names(view))
    assert "*all" not in _legend_names(view)
    feed.stop()
    store.close()
