"""Time to load and validate a valid 10,000-node graph file (target: under 2 s on a 2-core
machine), and the same for the CLI command a Git hook would run.

    python benchmarks/graph_validate.py [--repeat 5]

The last line is one JSON object: ``load_validate_s`` (median, in-process), ``cli_validate_s``
(median wall time of ``workbench graph validate FILE``), ``nodes``, ``edges``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.graph.test_graph_validate import _big_graph_text  # noqa: E402
from workbench.graph import loads, validate  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    text = _big_graph_text()
    timings = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        graph = loads(text, "big.yaml")
        problems = validate(graph)
        timings.append(time.perf_counter() - start)
    assert not [p for p in problems if p.severity == "error"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.yaml"
        path.write_text(text)
        cli = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "workbench", "graph", "validate", str(path)],
                                  capture_output=True, text=True, check=False, cwd=ROOT)
            cli.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr
    figures = {"load_validate_s": round(statistics.median(timings), 3), "cli_validate_s": round(statistics.median(cli), 3),
               "nodes": len(graph.nodes), "edges": len(graph.edges)}
    print(f"load + validate: {figures['load_validate_s']} s (median of {args.repeat}); "
          f"workbench graph validate: {figures['cli_validate_s']} s")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
