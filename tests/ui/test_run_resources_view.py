"""The run page plots what each step used: resident memory and CPU over the run's time, one
curve per step named by its node, the selected step drawn thicker; a run without figures says
why its plots are empty."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from tests.support.store_setup import cast_store, run_to_end, training_graph


@pytest.fixture
def store(tmp_path: Path):  # noqa: ANN201
    opened = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    yield opened
    opened.close()


def _curves(frame) -> dict[str, tuple[np.ndarray, np.ndarray, float]]:  # noqa: ANN001
    out = {}
    for item in frame.plot.getPlotItem().listDataItems():
        x, y = item.getData()
        out[item.name()] = (x, y, item.opts["pen"].widthF())
    return out


def test_the_run_page_plots_each_steps_memory_and_cpu(qtbot, store, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.ui.main_window import MainWindow

    assert run_to_end(store, "bob", training_graph(tmp_path / "g.yaml", "resources_model")) == "succeeded"
    window = MainWindow(store, "bob", settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    window.switch_role("engineer")
    view = window.view("runs")
    memory, cpu = view.resources.frames["memory"], view.resources.frames["cpu"]
    assert "Select a run" in memory.message()
    qtbot.waitUntil(lambda: view.runs.rowCount() == 1, timeout=20_000)
    view.runs.selectRow(0)
    qtbot.waitUntil(lambda: memory.has_data() and cpu.has_data(), timeout=20_000)
    rss, used = _curves(memory), _curves(cpu)
    assert set(rss) == set(used) == {"data", "train"}
    for x, y, _ in rss.values():
        assert len(y) >= 2 and 20 < y.max() < 4000 and np.all(np.diff(x) >= 0)
    assert rss["train"][0].min() >= rss["data"][0].min()  # train ran after data on the run's clock
    assert all(y.min() >= 0 for _, y, _ in used.values())
    assert memory.plot.getAxis("left").labelText == "memory, MB" and cpu.plot.getAxis("left").labelText == "CPU %"
    view_range = memory.plot.getViewBox().viewRange()[1]
    assert view_range[0] == 0 and view_range[1] >= rss["train"][1].max()  # read from zero, nothing cut off
    assert [view.plots.tabText(i) for i in range(view.plots.count())] == ["Metrics", "Resources"]
    # the metrics plot beside it keeps the training metrics only
    assert not any(name.startswith("resources/") for name in view._curves)

    view.steps.selectRow([view.steps.item(r, 1).text() for r in range(view.steps.rowCount())].index("train"))
    qtbot.waitUntil(lambda: _curves(memory)["train"][2] > _curves(memory)["data"][2], timeout=20_000)
    window.close()


def test_a_run_without_figures_says_why(qtbot) -> None:  # noqa: ANN001
    from workbench.ui.views.run_resources import ResourcePlots

    plots = ResourcePlots()
    qtbot.addWidget(plots)
    plots.show_run(7, {}, {})
    for frame in plots.frames.values():
        assert not frame.has_data() and "No step of run 7 has reported" in frame.message()
