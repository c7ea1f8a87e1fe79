"""How the operator's live monitoring view behaves: long series and live latency.

* A 1,000,000-point drift series: the time of its first draw (``setData`` + a synchronous
  repaint) and of pan/zoom frames over it (each step moves or scales the x range, then
  repaints), with the number of points actually drawn (peak downsampling, clip to view).
* Live latency: a ``MonitoringView`` is open on a source; another process writes one drift row
  every ``--interval`` seconds and prints the time right after each commit; the latency is
  the time from that commit to the frame that drew the row (``MonitoringView.draw_log``).
  On SQLite always; on a private PostgreSQL too with ``--postgres`` (needs the binaries).

The last line printed is one JSON object with every figure (milliseconds).

    python benchmarks/monitoring_plots.py [--points 1000000] [--writes 20] [--interval 0.3] [--postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

T0 = 1_700_000_000_000
DAY_MS = 86_400_000
SOURCE = "bench/drift"
WRITER = f"""
import sys, time
from workbench.store import open_store
store = open_store(sys.argv[1])
for i in range(int(sys.argv[2])):
    time.sleep(float(sys.argv[3]))
    start = {T0} + (10 + i) * {DAY_MS}
    with store.write("bob") as uow:
        uow.results.add_drift("{SOURCE}", start, start + {DAY_MS},
                              [{{"column": "age", "method": "psi", "statistic": 0.1, "p_value": None,
                                 "threshold": 0.2, "drifted": False}}])
    print(time.time(), flush=True)
time.sleep(1.0)
store.close()
"""


def pump(app: QApplication, seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.002)


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def open_view(url: str):  # noqa: ANN201
    from tests.support.store_setup import cast_store
    from workbench.ui.context import UiContext
    from workbench.ui.feed import ChangeFeedThread
    from workbench.ui.tasks import TaskRunner
    from workbench.ui.views.monitoring import MonitoringView

    store = cast_store(url)
    feed = ChangeFeedThread(store)
    feed.start()
    view = MonitoringView(UiContext(store, "olga", ("operator",), feed, TaskRunner()))
    view.resize(1400, 900)
    view.show()
    return store, feed, view


def long_series(app: QApplication, points: int, steps: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        store, feed, view = open_view(f"sqlite:///{folder}/store.db")
        x = T0 / 1000 + np.arange(points, dtype=float)
        y = np.sin(np.arange(points) / 5000.0) + np.random.default_rng(0).normal(0, 0.1, points)
        started = time.perf_counter()
        view.add_drift_points("psi", "big", x, y, threshold=0.5)
        view._on_frame()
        view.drift_plot.repaint()
        app.processEvents()
        first = (time.perf_counter() - started) * 1000
        curve = view.drift_curve("big")
        frames, drawn = [], []
        span = points // 10
        for i in range(steps):
            lo = int((i / steps) * (points - span))
            width = span if i % 2 == 0 else span // 4
            started = time.perf_counter()
            view.drift_plot.setXRange(x[lo], x[lo + width], padding=0)
            view.drift_plot.repaint()
            app.processEvents()
            frames.append((time.perf_counter() - started) * 1000)
            drawn.append(curve.getData()[0].size)
        feed.stop()
        store.close()
    print(f"{points:,} points: first draw {first:.0f} ms; pan/zoom frames p50 {statistics.median(frames):.1f} ms, "
          f"p95 {percentile(frames, 95):.1f} ms; points drawn per frame ≤ {max(drawn):,}")
    return {"points": points, "first_draw_ms": first, "frame_ms_p50": statistics.median(frames),
            "frame_ms_p95": percentile(frames, 95), "points_drawn_max": max(drawn)}


def live_latency(app: QApplication, url: str, writes: int, interval: float, name: str) -> dict[str, float]:
    store, feed, view = open_view(url)
    with store.write("bob") as uow:
        uow.results.add_drift(SOURCE, T0, T0 + DAY_MS, [{"column": "age", "method": "psi", "statistic": 0.1,
                                                         "p_value": None, "threshold": 0.2, "drifted": False}])
    deadline = time.monotonic() + 30
    while view.source != SOURCE and time.monotonic() < deadline:
        pump(app, 0.1)
    pump(app, 1.0)
    base = view.rows_drawn
    writer = subprocess.Popen([sys.executable, "-c", WRITER, url, str(writes), str(interval)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + writes * interval + 60
    while view.rows_drawn < base + writes and time.monotonic() < deadline:
        pump(app, 0.05)
    out, _ = writer.communicate(timeout=60)
    committed = [float(v) for v in out.split()]
    latencies = []
    for i, at in enumerate(committed, start=1):
        drawn = next((wall for wall, total in view.draw_log if total >= base + i), None)
        if drawn is not None:
            latencies.append((drawn - at) * 1000)
    pump(app, 0.5)
    feed.stop()
    store.close()
    if not latencies:
        print(f"{name}: no row was drawn")
        return {}
    print(f"{name}: commit → drawn over {len(latencies)} writes: median {statistics.median(latencies):.0f} ms, "
          f"p95 {percentile(latencies, 95):.0f} ms, max {max(latencies):.0f} ms")
    return {f"{name}_latency_ms_median": statistics.median(latencies),
            f"{name}_latency_ms_p95": percentile(latencies, 95), f"{name}_latency_ms_max": max(latencies)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--interval", type=float, default=0.3)
    parser.add_argument("--postgres", action="store_true", help="also measure on a private PostgreSQL")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    figures = long_series(app, args.points, args.steps)
    with tempfile.TemporaryDirectory() as folder:
        figures |= live_latency(app, f"sqlite:///{folder}/store.db", args.writes, args.interval, "sqlite")
    if args.postgres:
        from tests.support import postgres

        ok, why = postgres.available()
        if not ok:
            print(f"postgresql skipped: {why}")
        else:
            server = postgres.start()
            try:
                figures |= live_latency(app, server.create_database(), args.writes, args.interval, "postgresql")
            finally:
                server.stop()
    print(f"load average {os.getloadavg()[0]:.2f}")
    print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in figures.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
