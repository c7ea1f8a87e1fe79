"""How smooth the graph canvas stays on a big graph: frame times of pan and zoom.

Builds a 500-node / 700-edge graph (groups of data source -> train -> evaluate / promote ->
inference -> drift monitor -> trigger, with the trigger's feedback edge, auto-laid out left to
right), shows the ``GraphEditor`` (offscreen unless a display is set), then times repeated
operations, each followed by a synchronous repaint of the canvas (``viewport().repaint()``),
so one sample is one full frame:

* pan at 100 % zoom: scroll by small steps (a few dozen nodes visible);
* pan with the whole graph in view (every node and edge visible, simplified drawing);
* zoom: scale in and out by 10 % steps between the whole graph and 150 %.

Target (2-core machine, offscreen raster): p95 frame time under 16 ms. The last line printed
is one JSON object: ``frame_ms`` is the wall-clock p95 over all samples; ``frame_ms_mean``,
``frame_ms_p95`` and per-operation figures are given too, and the main thread's CPU time
per frame (``frame_cpu_ms_*``), which does not grow when other processes share the CPUs
(the load average is printed with the figures).

    python benchmarks/gui_canvas.py [--nodes 500] [--edges 700] [--steps 120] [--size 1600x1000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from workbench.graph import Graph  # noqa: E402

# one group: 7 nodes and 11 edges (the last, trigger -> train, is a feedback signal edge)
_GROUP_NODES = (
    ("data", "data_source"),
    ("train", "train_sklearn"),
    ("eval", "evaluate"),
    ("promote", "promote"),
    ("serve", "inference"),
    ("drift", "drift_monitor"),
    ("retrain", "trigger"),
)
_GROUP_EDGES = (
    ("data", "data", "train", "data"),
    ("train", "model", "eval", "model"),
    ("data", "data", "eval", "data"),
    ("train", "model", "promote", "model"),
    ("promote", "model", "serve", "model"),
    ("data", "data", "serve", "data"),
    ("serve", "predictions", "drift", "predictions"),
    ("data", "data", "drift", "reference"),
    ("data", "data", "drift", "current"),
    ("drift", "alert", "retrain", "alert"),
    ("retrain", "start", "train", "trigger"),
)


def build_graph(nodes: int, edges: int) -> Graph:
    """A graph of exactly ``nodes`` nodes and ``edges`` edges (edges <= 11/7 * nodes) that
    validates without errors when every group is complete."""
    graph = Graph("canvas benchmark")
    groups = -(-nodes // len(_GROUP_NODES))
    made = 0
    for g in range(groups):
        for name, kind in _GROUP_NODES:
            if made == nodes:
                break
            params = {"model_name": f"model_{g}"} if kind == "promote" else None
            graph.add_node(kind, f"{name}_{g}", params, position=(0.0, 0.0))
            made += 1
    added = 0
    for src, sp, dst, dp in _GROUP_EDGES:  # round-robin over groups, so edges spread evenly
        for g in range(groups):
            if added == edges:
                break
            a, b = f"{src}_{g}", f"{dst}_{g}"
            if a in graph.nodes and b in graph.nodes:
                graph.connect(a, sp, b, dp)
                added += 1
    if added < edges:
        raise SystemExit(f"cannot place {edges} edges on {nodes} nodes (placed {added})")
    return graph


CPU: dict[str, list[float]] = {}


def frames(app: QApplication, view, steps, name: str = "") -> list[float]:  # noqa: ANN001
    """Run each step, then repaint the viewport synchronously; wall-clock ms per frame (the
    main thread's CPU ms per frame go to ``CPU[name]``)."""
    out, cpu = [], []
    viewport = view.viewport()
    for step in steps:
        start, start_cpu = time.perf_counter(), time.thread_time()
        step()
        viewport.repaint()
        out.append((time.perf_counter() - start) * 1000.0)
        cpu.append((time.thread_time() - start_cpu) * 1000.0)
        app.processEvents()
    if name:
        CPU[name] = cpu
    return out


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--edges", type=int, default=700)
    parser.add_argument("--steps", type=int, default=120, help="frames per operation")
    parser.add_argument("--size", default="1600x1000", help="editor window size")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.lower().split("x"))

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from workbench.ui.graph_editor import GraphEditor

    t0 = time.perf_counter()
    graph = build_graph(args.nodes, args.edges)
    editor = GraphEditor()
    editor.resize(width, height)
    editor.show()
    app.processEvents()
    t1 = time.perf_counter()
    editor.controller.replace_graph(graph)
    t2 = time.perf_counter()
    editor.auto_layout()
    t3 = time.perf_counter()
    app.processEvents()
    view = editor.view
    print(
        f"platform {app.platformName()}, canvas {view.viewport().width()}x{view.viewport().height()} px, "
        f"{len(graph.nodes)} nodes, {len(graph.edges)} edges"
    )
    print(
        f"build scene {1000 * (t2 - t1):.0f} ms, auto-layout (one undo step) {1000 * (t3 - t2):.0f} ms, "
        f"graph {1000 * (t1 - t0):.0f} ms incl. window"
    )

    results: dict[str, list[float]] = {}
    # warm the item caches at 100 %
    view.set_zoom(1.0)
    content = editor.scene.content_rect()
    view.centre_on(content.center())
    frames(app, view, [lambda: None] * 5)

    bar_h, bar_v = view.horizontalScrollBar(), view.verticalScrollBar()

    def pan_steps(count: int, dx: int, dy: int):  # noqa: ANN202
        def step(i: int) -> None:
            sign = 1 if (i // 30) % 2 == 0 else -1  # back and forth, staying inside the graph
            bar_h.setValue(bar_h.value() + sign * dx)
            bar_v.setValue(bar_v.value() + sign * dy)

        return [lambda i=i: step(i) for i in range(count)]

    results["pan_100pct"] = frames(app, view, pan_steps(args.steps, 12, 6), "pan_100pct")
    view.fit_view(readable=False)  # the whole graph, however far out
    frames(app, view, [lambda: None] * 3)
    results["pan_whole_graph"] = frames(app, view, pan_steps(args.steps, 4, 2), "pan_whole_graph")

    fit = view.zoom()
    zoom_steps = []
    factor, level, direction = 1.1, fit, 1
    for _ in range(args.steps):
        nxt = level * (factor if direction > 0 else 1 / factor)
        if nxt > 1.5 or nxt < fit * 0.999:
            direction = -direction
            nxt = level * (factor if direction > 0 else 1 / factor)
        zoom_steps.append(lambda f=nxt / level: view.zoom_by(f))
        level = nxt
    view.centre_on(content.center())
    results["zoom"] = frames(app, view, zoom_steps, "zoom")

    all_frames = [v for values in results.values() for v in values]
    all_cpu = [v for values in CPU.values() for v in values]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else -1.0
    print(
        f"load average {load:.2f} on {os.cpu_count()} CPUs (wall-clock frames include waiting "
        "for the CPU; the main thread's CPU time per frame is shown beside them)"
    )
    for name, values in results.items():
        cpu = CPU[name]
        print(
            f"{name:16s} wall mean {statistics.fmean(values):6.2f} ms  p95 {p95(values):6.2f} ms"
            f"  max {max(values):6.2f} ms | cpu mean {statistics.fmean(cpu):6.2f} ms"
            f"  p95 {p95(cpu):6.2f} ms  ({len(values)} frames)"
        )
    summary = {
        "benchmark": "gui_canvas",
        "platform": app.platformName(),
        "nodes": len(graph.nodes),
        "edges": len(graph.edges),
        "viewport": [view.viewport().width(), view.viewport().height()],
        "frame_ms": round(p95(all_frames), 2),
        "frame_ms_stat": "p95",
        "frame_ms_mean": round(statistics.fmean(all_frames), 2),
        "frame_ms_p95": round(p95(all_frames), 2),
        "frame_cpu_ms_mean": round(statistics.fmean(all_cpu), 2),
        "frame_cpu_ms_p95": round(p95(all_cpu), 2),
        "load_average": round(load, 2),
        **{f"{name}_ms_mean": round(statistics.fmean(v), 2) for name, v in results.items()},
        **{f"{name}_ms_p95": round(p95(v), 2) for name, v in results.items()},
        **{f"{name}_cpu_ms_p95": round(p95(v), 2) for name, v in CPU.items()},
        "build_scene_ms": round(1000 * (t2 - t1), 1),
        "auto_layout_ms": round(1000 * (t3 - t2), 1),
        "target_ms": 16.0,
    }
    print(json.dumps(summary))
    editor.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
