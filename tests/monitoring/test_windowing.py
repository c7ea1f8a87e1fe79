"""Windowed monitoring: cutting the stream, and alerts that need K windows in a row."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InvalidInputError
from workbench.monitoring import WindowedMonitor, compare, fit_profile


def batch(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"x": rng.normal(shift, 1, n), "s": rng.choice(["a", "b"], n)})


@pytest.fixture(scope="module")
def profile():
    return fit_profile(batch(5000, 0))


def test_count_windows_cut_across_batches_and_match_compare(profile):
    monitor = WindowedMonitor(profile, size=300, methods="all")
    stream = batch(1000, 1)
    closed = []
    for start in range(0, 1000, 170):
        closed += monitor.update(stream.iloc[start : start + 170])
    assert [(w.index, w.start, w.end, w.n_rows) for w in closed] == [
        (0, 0, 300, 300),
        (1, 300, 600, 300),
        (2, 600, 900, 300),
    ]
    direct = compare(profile, stream.iloc[300:600].reset_index(drop=True), "all")
    pd.testing.assert_frame_equal(closed[1].report.to_frame(), direct.to_frame())
    last = monitor.flush()
    assert len(last) == 1 and last[0].n_rows == 100 and monitor.flush() == []


def test_alerts_raise_after_k_consecutive_windows_and_clear(profile):
    monitor = WindowedMonitor(profile, size=1000, methods=["wasserstein"], consecutive=3)
    shifts = [0, 2, 2, 0, 2, 2, 2, 2, 0, 0]
    results = []
    for i, shift in enumerate(shifts):
        results += monitor.update(batch(1000, 200 + i, shift))
    raised = [(w.index, a.column, a.method) for w in results for a in w.raised]
    cleared = [(w.index, a.column) for w in results for a in w.cleared]
    assert sorted(raised) == [(6, "*", "dataset"), (6, "x", "wasserstein")]
    assert sorted(cleared) == [(8, "*"), (8, "x")]
    assert results[7].active == (("*", "dataset"), ("x", "wasserstein"))
    assert results[9].active == ()
    alert = next(a for a in results[6].raised if a.column == "x")
    assert alert.state == "raised" and alert.statistic > alert.threshold == 0.1


def test_dataset_alert_and_clear_after(profile):
    monitor = WindowedMonitor(profile, size=200, methods="psi", consecutive=1, clear_after=2)
    out = []
    for shift in (3, 0, 0):
        out += monitor.update(batch(200, 30, shift))
    assert ("*", "dataset") in {(a.column, a.method) for a in out[0].raised}
    assert out[1].cleared == () and ("*", "dataset") in out[1].active
    assert ("*", "dataset") in {(a.column, a.method) for a in out[2].cleared}
    assert out[2].active == ()


def test_time_windows_and_late_rows(profile):
    monitor = WindowedMonitor(profile, every="1h", time_column="ts", methods="psi")
    frame = batch(600, 40).assign(ts=pd.date_range("2024-01-01", periods=600, freq="15s"))
    first = monitor.update(frame.iloc[:300])  # 00:00 - 01:15
    assert [(w.start, w.n_rows) for w in first] == [(pd.Timestamp("2024-01-01 00:00"), 240)]
    late = batch(5, 41).assign(ts=pd.Timestamp("2024-01-01 00:30"))
    assert monitor.update(late) == [] and monitor.late_rows == 5
    rest = monitor.update(frame.iloc[300:]) + monitor.flush()
    assert [w.n_rows for w in rest] == [240, 120] and rest[0].late_rows == 5
    assert rest[0].end == pd.Timestamp("2024-01-01 02:00")


def test_monitor_rejects_bad_settings(profile):
    with pytest.raises(InvalidInputError, match="exactly one"):
        WindowedMonitor(profile)
    with pytest.raises(InvalidInputError, match="time_column"):
        WindowedMonitor(profile, every="1h")
    with pytest.raises(InvalidInputError, match="fixed time span"):
        WindowedMonitor(profile, every="soon", time_column="ts")
    with pytest.raises(InvalidInputError, match="at least 1"):
        WindowedMonitor(profile, size=0)
    monitor = WindowedMonitor(profile, every="1h", time_column="ts")
    with pytest.raises(InvalidInputError, match="no time column"):
        monitor.update(batch(5, 1))
