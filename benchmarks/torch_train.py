"""The ``train_torch`` step on the GPU and on the CPU, in one run, on the same generated data.

The data: ``--rows`` (300,000) rows x 32 standard-normal features, seeded, with a binary label
from a non-linear rule plus noise (a hold-out accuracy near 0.9 is the ceiling). It is read by
a ``data_source`` step, then the real ``train_torch`` step (``run_spec``, the code a graph run
executes: loading, standardising, the training loop, hold-out metrics, the checkpoint) trains
the built-in MLP (hidden sizes [256, 128], ``--epochs`` 2, the node's defaults otherwise) on
``cuda`` and then on ``cpu``. A third run trains on the CPU with the GPU's default batch size,
so the speed-up of the device can be told apart from that of the batch size.

Figures per run: ``*_s`` the step's wall time (what a graph run waits for; on ``cuda`` it
includes starting CUDA in the process, as a step's own process does), ``*_fit_s`` the training
loop alone, ``process_cpu_s`` the CPU seconds this process spent in the step (steadier than
wall time on a machine busy with other work), ``rows_per_s`` training rows x epochs per second of the loop, the hold-out
``accuracy``, and the batch size and precision the step chose. ``ratio`` is ``cpu_s / cuda_s``.
On a machine without a CUDA GPU the CPU figures are printed, the CUDA ones are ``null``, and
a line says so. Target on a GPU machine: ``ratio >= 10`` at equal or better accuracy.

    python benchmarks/torch_train.py [--rows 300000] [--epochs 2] [--seed 0]

The last line is one JSON object: ``cuda_s``, ``cpu_s``, ``ratio``, ``rows_per_s``,
``accuracy`` (each per device), and more.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workbench.engines.runtime.artifacts import sha256_file  # noqa: E402
from workbench.engines.runtime.step import run_spec  # noqa: E402
from workbench.engines.runtime.torch_training import default_batch_size  # noqa: E402

FEATURES = 32
HIDDEN = [256, 128]


def generate(rows: int, seed: int) -> pd.DataFrame:
    """``rows`` x 32 features and a binary ``target`` from a seeded non-linear rule."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((rows, FEATURES)).astype(np.float32)
    w = rng.standard_normal(FEATURES) / np.sqrt(FEATURES)
    v = rng.standard_normal(FEATURES) / np.sqrt(FEATURES)
    logit = 2.0 * (X @ w) + 1.5 * np.tanh(2.0 * (X @ v)) + X[:, 0] * X[:, 1]
    noisy = logit + 0.4 * rng.logistic(size=rows)
    frame = pd.DataFrame(X, columns=[f"f{i:02d}" for i in range(FEATURES)])
    frame["target"] = (noisy > 0).astype(np.int64)
    return frame


def _spec(folder: Path, node_id: str, kind: str, params: dict[str, Any],
          inputs: dict[str, Any], seed: int) -> dict[str, Any]:
    return {"node": {"id": node_id, "kind": kind, "params": params}, "inputs": inputs,
            "output_dir": str(folder / node_id),
            "options": {"seed": seed, "device": "auto", "artifact_root": str(folder / "store")},
            "run": {"run_id": 1, "step_id": 1}}


def _quiet(spec: dict[str, Any]) -> tuple[dict[str, Any], float, float, str]:
    """Run one step with its event lines captured: ``(result, wall seconds, this process's
    CPU seconds, output)``."""
    buffer = io.StringIO()
    started, cpu = time.perf_counter(), time.process_time()
    with contextlib.redirect_stdout(buffer):
        result = run_spec(spec)
    return (result, time.perf_counter() - started, time.process_time() - cpu,
            buffer.getvalue())


def prepare(folder: Path, rows: int, seed: int) -> dict[str, Any]:
    """The dataset as the ``data`` input a ``train_torch`` step receives."""
    source = folder / "generated.parquet"
    generate(rows, seed).to_parquet(source, index=False)
    spec = _spec(folder, "data", "data_source", {"format": "parquet", "path": str(source)},
                 {}, seed)
    result = _quiet(spec)[0]
    item = result["outputs"]["data"][0]
    path = folder / "data" / item["file"]
    return {"path": str(path), "sha256": sha256_file(path), "kind": item["kind"],
            "meta": item["meta"]}


def train(folder: Path, data: dict[str, Any], name: str, device: str, epochs: int, seed: int,
          **extra: Any) -> dict[str, Any]:
    params = {"hidden_sizes": HIDDEN, "epochs": epochs, "device": device,
              "model_name": f"bench_{name}", **extra}
    result, wall, cpu_time, output = _quiet(_spec(folder, name, "train_torch", params,
                                        {"data": [data]}, seed))
    info, metrics = result["info"], result["metrics"]
    fit_s = info.get("fit_s")
    train_rows = int(metrics.get("n_train") or 0)
    loop = fit_s if fit_s else wall
    figures = {"s": round(wall, 3), "fit_s": round(fit_s, 3) if fit_s else None,
               "process_cpu_s": round(cpu_time, 3),
               "rows_per_s": round(train_rows * epochs / loop) if loop else None,
               "accuracy": round(float(metrics["accuracy"]), 4),
               "batch_size": info.get("batch_size"), "precision": info.get("precision"),
               "device": info.get("device"), "gpu": (info.get("gpu") or {}).get("name"),
               "train_rows": train_rows}
    print(f"{name:>16}: {figures['s']:8.2f} s step ({cpu_time:.2f} s CPU time), "
          + (f"{figures['fit_s']:.2f} s loop, " if figures["fit_s"] else "")
          + f"{figures['rows_per_s']:,} rows/s, accuracy {figures['accuracy']:.4f}, "
          f"batch {figures['batch_size']}, {figures['precision']}"
          + (f" on {figures['gpu']}" if figures["gpu"] else ""))
    losses = [line for line in output.splitlines() if '"metric":"loss"' in line]
    if losses:
        print(" " * 18 + "last loss event: " + losses[-1].split(" ", 1)[1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    import torch

    has_cuda = torch.cuda.is_available()
    print(f"train_torch: {args.rows:,} rows x {FEATURES} features, {args.epochs} epoch(s), "
          f"hidden {HIDDEN}, torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")
    if not has_cuda:
        print("no CUDA GPU on this machine: CPU figures only (the cuda figures are null)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = prepare(folder, args.rows, args.seed)
        cuda = train(folder, data, "cuda", "cuda", args.epochs, args.seed) if has_cuda else None
        cpu = train(folder, data, "cpu", "cpu", args.epochs, args.seed)
        large = cuda["batch_size"] if cuda else default_batch_size("cuda", cpu["train_rows"])
        cpu_large = train(folder, data, "cpu_large_batch", "cpu", args.epochs, args.seed,
                          batch_size=large)

    def pick(run: dict[str, Any] | None, key: str) -> Any:
        return run[key] if run else None

    ratio = round(cpu["s"] / cuda["s"], 2) if cuda else None
    figures = {
        "rows": args.rows, "epochs": args.epochs, "hidden_sizes": HIDDEN, "gpu": pick(cuda, "gpu"),
        "cuda_s": pick(cuda, "s"), "cpu_s": cpu["s"], "ratio": ratio,
        "cuda_fit_s": pick(cuda, "fit_s"), "cpu_fit_s": cpu["fit_s"],
        "rows_per_s": {"cuda": pick(cuda, "rows_per_s"), "cpu": cpu["rows_per_s"],
                       "cpu_large_batch": cpu_large["rows_per_s"]},
        "accuracy": {"cuda": pick(cuda, "accuracy"), "cpu": cpu["accuracy"],
                     "cpu_large_batch": cpu_large["accuracy"]},
        "batch_size": {"cuda": pick(cuda, "batch_size"), "cpu": cpu["batch_size"],
                       "cpu_large_batch": cpu_large["batch_size"]},
        "precision": {"cuda": pick(cuda, "precision"), "cpu": cpu["precision"]},
        "cpu_large_batch_s": cpu_large["s"],
        "process_cpu_s": {"cuda": pick(cuda, "process_cpu_s"), "cpu": cpu["process_cpu_s"],
                          "cpu_large_batch": cpu_large["process_cpu_s"]},
    }
    if ratio is not None:
        print(f"cuda is {ratio}x faster than cpu (target >= 10 at equal or better accuracy)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
