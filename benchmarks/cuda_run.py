"""One graph run through the orchestrator with a PyTorch step on the best device there is:
``auto`` picks CUDA when a GPU is present (then MPS, else the CPU), and the run records which,
with the GPU's name and memory. On a GPU machine this is the check of the CUDA path.

    python benchmarks/cuda_run.py [--epochs 200]

The last line is one JSON object: ``device``, ``gpu``, ``train_s``, ``accuracy``, ``status``.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=200)
    args = parser.parse_args()
    from workbench.graph import Graph, save
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.runs import start_run
    from workbench.services.users import add_user
    from workbench.store import init_store, open_store

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = f"sqlite:///{folder / 'store.db'}"
        init_store(url, "admin")
        store = open_store(url)
        add_user(store, "admin", "bob", ["scientist"])
        graph = Graph("cuda check")
        graph.add_node("data_source", id="data", params={"format": "builtin"})
        graph.add_node("train_torch", id="train", params={"epochs": args.epochs, "device": "auto",
                                                          "hidden_sizes": [256, 128], "model_name": "mlp"})
        graph.add_node("evaluate", id="evaluate")
        graph.connect("data", "data", "train", "data")
        graph.connect("train", "model", "evaluate", "model")
        graph.connect("data", "data", "evaluate", "data")
        save(graph, folder / "g.yaml")
        run = start_run(store, "bob", folder / "g.yaml", detach=False)
        status = RunDriver(store, run.id).drive()
        with store.read() as uow:
            steps = uow.runs.latest_steps(run.id)
            train = steps["train"]
            evaluate = steps.get("evaluate")
            logs = [line.line for line in uow.runs.logs(train.id)][-5:]
        store.close()
    figures = {"status": status, "device": train.info.get("device"), "gpu": train.info.get("gpu"),
               "train_s": round(((train.finished_at or 0) - (train.started_at or 0)) / 1000, 2),
               "accuracy": (evaluate.info.get("metrics", {}) if evaluate else {}).get("accuracy"),
               "epochs": args.epochs}
    print("\n".join(logs))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
