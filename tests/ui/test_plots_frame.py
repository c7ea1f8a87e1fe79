"""The pieces every plot shares: a frame that shows data or says why not, a time axis whose
labels never overlap, buffers that hand out series in time order, a threshold label that
stays inside its plot, and a note label that does not make a scroll area scroll."""

from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QLabel, QScrollArea, QTextEdit, QVBoxLayout, QWidget

from workbench.ui.views.live_plots import (
    Buffer,
    Grid,
    TimeAxis,
    make_frame,
    set_threshold,
    threshold_items,
)
from workbench.ui.views.plot_frame import NoteLabel, PlotFrame

DAY = 86_400.0


def test_a_frame_says_why_it_is_empty_until_a_data_item_holds_a_value(qtbot) -> None:  # noqa: ANN001
    frame = make_frame(None, "Volume")
    qtbot.addWidget(frame)
    line, band = threshold_items(frame.plot)
    set_threshold(line, band, 0.3)  # decorations are not data
    curve = frame.plot.plot([], [])
    assert not frame.has_data()
    assert frame.show_data_or("No windows: run inference") is False
    assert frame.message() == "No windows: run inference"
    curve.setData([1.0, 2.0], [np.nan, np.nan])  # only gaps
    assert not frame.has_data()
    curve.setData([1.0, 2.0], [np.nan, 4.0])
    assert frame.has_data() and frame.show_data_or("unused") is True and frame.message() == ""
    frame.show_message("Reading…")
    assert frame.message() == "Reading…" and frame.has_data()  # the message says what is shown, not the data

    bars = PlotFrame(pg.PlotWidget())
    qtbot.addWidget(bars)
    item = pg.BarGraphItem(x0=[], y=[], height=0.7, width=[])
    bars.plot.addItem(item)
    assert not bars.has_data()
    item.setOpts(x0=[0.0], y=[0.0], height=0.7, width=[0.8])
    assert bars.has_data()
    image = PlotFrame(pg.PlotWidget())
    qtbot.addWidget(image)
    heat = pg.ImageItem()
    image.plot.addItem(heat)
    assert not image.has_data()
    heat.setImage(np.ones((3, 2)))
    assert image.has_data()


@pytest.mark.parametrize("span_s", [0.4, 50, 3_600, 2 * DAY, 80 * DAY, 3 * 365 * DAY, 40 * 365 * DAY])
@pytest.mark.parametrize("pixels", [180, 600, 1400])
def test_time_labels_are_dates_and_never_overlap(qtbot, span_s: float, pixels: int) -> None:  # noqa: ANN001
    axis = TimeAxis()
    start = 1_789_430_400.0  # 2026-09-15 00:00 UTC
    (step, values), = axis.tickValues(start, start + span_s, pixels)
    labels = axis.tickStrings(values, 1.0, step)
    assert len(values) >= 2 or span_s / step < 2
    assert values == sorted(values) and all(start <= v <= start + span_s for v in values)
    metrics = QFontMetrics(QFont())
    widest = max(metrics.horizontalAdvance(text) for text in labels)
    spacing_px = min(np.diff(values)) * pixels / span_s if len(values) > 1 else pixels
    assert spacing_px >= widest + 8, (labels, spacing_px)
    assert all(label.strip() for label in labels)
    if step >= DAY:  # days, months or years: never a clock time
        assert not any(":" in label for label in labels)


def test_day_labels_read_as_dates() -> None:
    axis = TimeAxis()
    start = 1_789_430_400.0  # 2026-09-15
    (step, values), = axis.tickValues(start, start + 80 * DAY, 900)
    labels = axis.tickStrings(values, 1.0, step)
    assert labels[0] == time.strftime("%d %b", time.localtime(values[0]))  # the person's own dates
    assert all(time.localtime(v).tm_hour == 0 for v in values)  # ticks on local midnights
    assert all(len(label.split()) == 2 for label in labels)  # "22 Sep", never "29Oct"


def test_buffers_and_grids_hand_out_time_order() -> None:
    buffer = Buffer(capacity=2)
    buffer.extend(np.array([5.0, 6.0]), np.array([50.0, 60.0]))
    buffer.extend(np.array([1.0]), np.array([10.0]))  # an older window read later
    buffer.extend(np.array([7.0, 3.0]), np.array([70.0, 30.0]))
    assert buffer.x.tolist() == [1.0, 3.0, 5.0, 6.0, 7.0]
    assert buffer.y.tolist() == [10.0, 30.0, 50.0, 60.0, 70.0]
    buffer.extend(np.array([8.0]), np.array([80.0]))
    assert buffer.x.tolist()[-2:] == [7.0, 8.0] and buffer.y.tolist()[-1] == 80.0

    grid = Grid()
    grid.put((20, 30), "age", 2.0)
    grid.put((0, 10), "age", 1.0)
    assert grid.ordered_windows() == [(0, 10), (20, 30)]
    assert grid.image()[:, 0].tolist() == [1.0, 2.0]


def test_the_threshold_label_stays_inside_the_plot(qtbot) -> None:  # noqa: ANN001
    frame = make_frame(None, "Drift per feature")
    qtbot.addWidget(frame)
    frame.resize(420, 260)
    frame.show()
    frame.plot.plot([0.0, 10.0], [0.1, 0.2])
    line, band = threshold_items(frame.plot)
    for value in (0.15, 0.3):  # in the middle, and at the top of the view
        set_threshold(line, band, value)
        frame.plot.setYRange(0.0, 0.3, padding=0)
        qtbot.wait(50)
        view = frame.plot.getPlotItem().getViewBox().sceneBoundingRect()
        label = line.label.sceneBoundingRect()
        assert line.label.toPlainText() == f"threshold {value:.3g}"
        assert view.contains(label), (view, label)


def _in_scroll_area(qtbot, note: QLabel) -> QScrollArea:  # noqa: ANN001
    view = QWidget()
    box = QVBoxLayout(view)
    for _ in range(2):
        editor = QTextEdit()  # prefers more height than it needs
        editor.setMinimumHeight(100)
        box.addWidget(editor)
    box.addWidget(note)
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(view)
    qtbot.addWidget(scroll)
    scroll.resize(500, 360)
    scroll.show()
    qtbot.wait(50)
    return scroll


def test_a_note_grows_to_its_lines_without_making_a_scroll_area_scroll(qtbot) -> None:  # noqa: ANN001
    text = "a long note " * 15
    plain = QLabel(text)
    plain.setWordWrap(True)
    scroll = _in_scroll_area(qtbot, plain)  # what a plain word-wrapped label does to a view in a scroll area
    assert scroll.verticalScrollBar().isVisible()
    note = NoteLabel(text)
    scroll = _in_scroll_area(qtbot, note)
    assert not scroll.verticalScrollBar().isVisible()
    assert note.height() >= note.heightForWidth(note.width()) > QFontMetrics(note.font()).height() * 1.5


def test_the_band_under_a_threshold_does_not_stretch_the_range(qtbot) -> None:  # noqa: ANN001
    frame = make_frame(None, "Canary divergence")
    qtbot.addWidget(frame)
    frame.resize(420, 260)
    frame.show()
    frame.plot.plot([0.0, 10.0], [0.06, 0.11])
    line, band = threshold_items(frame.plot)
    set_threshold(line, band, 0.09)
    frame.plot.getPlotItem().getViewBox().autoRange(padding=0)
    low, high = frame.plot.getPlotItem().getViewBox().viewRange()[1]
    assert low == pytest.approx(0.06, abs=0.005) and high == pytest.approx(0.11, abs=0.005)


def test_a_long_title_is_shortened_to_the_plot_and_kept_whole_in_the_tooltip(qtbot) -> None:  # noqa: ANN001
    frame = make_frame(None, "KPI")
    qtbot.addWidget(frame)
    frame.resize(260, 200)
    frame.show()
    title = "profit per application and deployments of credit_default"
    frame.set_title(title)
    qtbot.wait(50)
    shown = frame.plot.getPlotItem().titleLabel.text
    assert shown.endswith("…") and title.startswith(shown[:-1]) and frame.plot.toolTip() == title
    assert frame.plot.getPlotItem().sceneBoundingRect().width() <= frame.plot.width() + 1
    frame.resize(900, 200)
    qtbot.wait(50)
    assert frame.plot.getPlotItem().titleLabel.text == title
