"""Time from launching ``workbench`` to its first window, and to an interactive window.

Starts the real command in a fresh process (offscreen unless a display is set) on an
embedded store with users and a finished run, reads the two time stamps the application
prints when ``WORKBENCH_UI_TIMINGS=1``, and repeats. Target: the first window in under
1.5 s (median) on an idle 2-core machine. It also says where the time goes: the application
stamps the end of each stage (Python and imports, Qt, opening the store, importing and building
the window, showing it). The last line is one JSON object: ``first_window_s``,
``interactive_s`` (medians) and ``stages_s`` (median seconds per stage).

    python benchmarks/gui_startup.py [--repeat 5]
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


def prepare(folder: Path, demo: bool) -> str:
    url = f"sqlite:///{folder / 'store.db'}"
    if demo:  # the store a newcomer has after the README's first command
        from workbench.demo import run_demo

        run_demo(url, "bob", folder / "demo", progress=lambda line: None)
        return url
    from tests.support.store_setup import cast_store

    cast_store(url).close()
    return url


STAGES = ("imported", "qt_ready", "store_open", "window_imported", "window_built", "first_window")


def launch(url: str, user: str) -> tuple[float, float, dict[str, float]]:
    env = {**os.environ, "WORKBENCH_UI_TIMINGS": "1", "WORKBENCH_UI_QUIT_AFTER_MS": "1500",
           "WORKBENCH_USER": user, "PYTHONPATH": str(ROOT)}
    env.setdefault("QT_QPA_PLATFORM", "offscreen" if not os.environ.get("DISPLAY") else "xcb")
    started = time.time()
    done = subprocess.run([sys.executable, "-m", "workbench", "--store", url], capture_output=True, text=True,
                          env=env, timeout=120, check=False)
    stamps = {name: float(at) for name, at in (line.split() for line in done.stdout.splitlines()
                                                 if line.split()[:1] and line.split()[0] in (*STAGES, "interactive"))}
    if done.returncode != 0 or "first_window" not in stamps or "interactive" not in stamps:
        raise RuntimeError(f"the workbench did not start: {done.stderr[-2000:]}")
    stages, before = {}, started
    for name in STAGES:
        if name in stamps:
            stages[name] = stamps[name] - before
            before = stamps[name]
    return stamps["first_window"] - started, stamps["interactive"] - started, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--user", default="bob", help="bob opens the graph editor; rita the approvals")
    parser.add_argument("--demo", action="store_true", help="start on a store the demo built (bob holds every role)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = prepare(Path(tmp), args.demo)
        launch(url, args.user)  # warm the file cache once, as a second start would be
        samples = [launch(url, args.user) for _ in range(args.repeat)]
    first = statistics.median(s[0] for s in samples)
    interactive = statistics.median(s[1] for s in samples)
    for i, (a, b, _) in enumerate(samples):
        print(f"start {i + 1}: first window {a:.3f} s, interactive {b:.3f} s")
    stages = {name: round(statistics.median(s[2].get(name, 0.0) for s in samples), 3) for name in STAGES}
    labels = {"imported": "Python, imports and the desktop check", "qt_ready": "QApplication",
              "store_open": "opening the store (schema check)", "window_imported": "importing the window's views",
              "window_built": "building the window and its role's views", "first_window": "showing it"}
    for name in STAGES:
        print(f"  {labels[name]:<42} {stages[name]:.3f} s (median)")
    print(json.dumps({"first_window_s": round(first, 3), "interactive_s": round(interactive, 3),
                      "stages_s": stages, "repeat": args.repeat, "user": args.user,
                      "store": "demo" if args.demo else "cast"}))


if __name__ == "__main__":
    main()
