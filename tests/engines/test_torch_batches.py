"""train_torch's device-resident loop: batch sizes by device, precision, the same CPU results
as a plain per-batch loop, scoring on the step's device, and the GPU benchmark script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.engines.conftest import MLP
from tests.engines.support import Chain, Step
from workbench.engines.runtime.models import TorchPredictor, load_model
from workbench.engines.runtime.step import run_spec
from workbench.engines.runtime.torch_support import build_mlp
from workbench.engines.runtime.torch_training import (
    _loss_fn,
    default_batch_size,
    fit_mlp,
)
from workbench.errors import InvalidInputError
from workbench.graph import Graph
from workbench.graph.errors import InvalidParameterError

ROOT = Path(__file__).resolve().parents[2]
BENCHMARK = ROOT / "benchmarks" / "torch_train.py"


def test_the_default_batch_size_depends_on_the_device() -> None:
    assert default_batch_size("cpu", 240_000) == 64
    assert default_batch_size("cpu", 10) == 64
    # a GPU gets large batches, but keeps about 200 steps an epoch on smaller data
    assert default_batch_size("cuda", 240_000) == 1024
    assert default_batch_size("cuda:1", 10_000_000) == 4096
    assert default_batch_size("cuda", 455) == 64


def test_cpu_step_records_its_batch_and_precision_and_keeps_its_quality(mlp: Step) -> None:
    info = mlp.result["info"]
    assert info["batch_size"] == 64 and info["precision"] == "fp32"
    assert 0 < info["fit_s"] < info["duration_ms"] / 1000
    assert mlp.result["metrics"]["accuracy"] > 0.85
    manifest = torch.load(mlp.file("model"), weights_only=True)["manifest"]
    assert manifest["batch_size"] == 64 and manifest["precision"] == "fp32"


def _plain_loop(X: np.ndarray, y: np.ndarray, hidden: list[int], epochs: int, lr: float,
                batch: int, seed: int) -> dict[str, torch.Tensor]:
    """The straightforward loop: a shuffle per epoch, one host read of the loss per batch."""
    loss_fn, n_out = _loss_fn("classification", 2)
    net = build_mlp(X.shape[1], hidden, n_out)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        order = torch.randperm(len(X), generator=generator)
        total = 0.0
        for start in range(0, len(X), batch):
            idx = order[start:start + batch]
            optimiser.zero_grad()
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
    return net.state_dict()


def test_the_device_resident_loop_gives_the_plain_loops_weights_on_the_cpu() -> None:
    rng = np.random.default_rng(3)
    X = rng.standard_normal((700, 6)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(np.int64)
    loss_fn, n_out = _loss_fn("classification", 2)
    torch.manual_seed(11)
    fit = fit_mlp(X[:600], y[:600], X[600:], y[600:], loss_fn=loss_fn, hidden=[16, 8],
                  n_out=n_out, epochs=3, lr=0.01, batch_size=64, precision="fp32",
                  device="cpu", seed=5)
    torch.manual_seed(11)
    expected = _plain_loop(X[:600], y[:600], [16, 8], 3, 0.01, 64, 5)
    got = fit.network.state_dict()
    assert set(got) == set(expected)
    for name, tensor in expected.items():
        assert torch.equal(got[name], tensor), name
    assert fit.batch_size == 64 and fit.precision == "fp32" and fit.fit_s > 0


def test_an_explicit_batch_size_and_bf16_on_the_cpu_are_used(chain: Chain,
                                                           cancer: Step) -> None:
    step = chain.run("bf16_fit", "train_torch",
                     {**MLP, "epochs": 20, "batch_size": 128, "precision": "bf16"},
                     {"data": [cancer.out("data")]})
    assert step.result["info"]["batch_size"] == 128
    assert step.result["info"]["precision"] == "bf16"
    assert step.result["metrics"]["accuracy"] > 0.85
    predictor = load_model(step.out("model")["path"], step.out("model")["sha256"],
                           step.out("model")["meta"])
    frame = pd.read_parquet(cancer.file("data"))
    assert (predictor.predict(frame) == frame["target"]).mean() > 0.85


def test_bad_batch_size_and_precision_are_named_in_the_graph_and_at_run_time(
        chain: Chain, cancer: Step) -> None:
    graph = Graph("checks")
    with pytest.raises(InvalidParameterError,
                       match=r"node 'fit', parameter 'batch_size': must be at least 0"):
        graph.add_node("train_torch", id="fit", params={"batch_size": -8})
    with pytest.raises(InvalidParameterError,
                       match=r"node 'fit', parameter 'precision': 'fp8' is not one of"):
        graph.add_node("train_torch", id="fit", params={"precision": "fp8"})
    node = graph.add_node("train_torch", id="fit", params={"batch_size": 512,
                                                           "precision": "bf16"})
    assert node.params["batch_size"] == 512 and node.params["precision"] == "bf16"
    data = {"data": [cancer.out("data")]}
    cases = [({"batch_size": 2.5}, r"node 'bad' \(train_torch\).*parameter 'batch_size'"),
             ({"batch_size": "big"}, r"node 'bad' \(train_torch\).*parameter 'batch_size'"),
             ({"precision": "fp8"}, r"node 'bad' \(train_torch\).*parameter 'precision'.*fp8"),
             ({"precision": "fp16"}, r"parameter 'precision': fp16 needs a CUDA GPU.*on cpu")]
    for params, message in cases:
        with pytest.raises(InvalidInputError, match=message):
            run_spec(chain.spec("bad", "train_torch", {**MLP, **params}, data))


def test_batch_inference_of_a_torch_model_records_where_it_scored(chain: Chain, cancer: Step,
                                                                  mlp: Step) -> None:
    step = chain.run("score_mlp", "inference", {"mode": "batch"},
                     {"model": [mlp.out("model")], "data": [cancer.out("data")]})
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert step.result["info"]["device"] == expected
    predictor = load_model(mlp.out("model")["path"], mlp.out("model")["sha256"],
                           mlp.out("model")["meta"])
    assert isinstance(predictor, TorchPredictor) and predictor.device == "cpu"
    assert predictor.on_device("cpu") is predictor
    scored = pd.read_parquet(step.file("predictions"))
    frame = pd.read_parquet(cancer.file("data"))
    labels, scores = predictor.predict_and_score(frame)
    assert (scored["prediction"].to_numpy() == labels).all()
    assert np.allclose(scored["score"].to_numpy(), scores, atol=1e-4)


def _benchmark(rows: int) -> tuple[str, dict]:
    done = subprocess.run([sys.executable, str(BENCHMARK), "--rows", str(rows)],
                          capture_output=True, text=True, timeout=600, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return done.stdout, json.loads(lines[-1])


def test_the_benchmark_script_runs_small_and_ends_with_its_figures() -> None:
    output, figures = _benchmark(3000)
    for key in ("cuda_s", "cpu_s", "ratio", "rows_per_s", "accuracy", "batch_size"):
        assert key in figures, key
    assert figures["rows"] == 3000 and figures["epochs"] == 2
    assert figures["cpu_s"] > 0 and figures["rows_per_s"]["cpu"] > 0
    assert 0.5 < figures["accuracy"]["cpu"] <= 1.0
    assert figures["batch_size"]["cpu"] == 64
    if torch.cuda.is_available():
        assert figures["cuda_s"] > 0 and figures["ratio"] > 0
    else:
        assert "no CUDA GPU" in output
        assert figures["cuda_s"] is None and figures["ratio"] is None
        assert figures["accuracy"]["cuda"] is None and figures["rows_per_s"]["cuda"] is None


@pytest.mark.gpu  # not collected by default; `pytest -m gpu tests/engines` on a GPU machine
def test_cuda_training_in_bf16_beats_the_cpu_at_equal_quality(chain: Chain,
                                                             cancer: Step) -> None:
    assert torch.cuda.is_available(), "the gpu tests need a CUDA GPU"
    output, figures = _benchmark(300_000)  # the shape of the benchmark's README figure
    print(output)
    assert figures["precision"]["cuda"] == "bf16" and figures["batch_size"]["cuda"] == 1024
    assert figures["cuda_s"] < figures["cpu_s"]
    assert figures["cuda_fit_s"] * 3 < figures["cpu_fit_s"]
    assert figures["accuracy"]["cuda"] >= figures["accuracy"]["cpu"] - 0.01
    for precision in ("bf16", "fp16", "fp32"):
        step = chain.run(f"cuda_{precision}", "train_torch",
                         {**MLP, "device": "cuda", "epochs": 20, "precision": precision},
                         {"data": [cancer.out("data")]})
        assert step.result["info"]["precision"] == precision
        assert step.result["metrics"]["accuracy"] > 0.85
    scored = chain.run("cuda_score", "inference", {"mode": "batch"},
                       {"model": [step.out("model")], "data": [cancer.out("data")]})
    assert scored.result["info"]["device"] == "cuda"
    assert scored.result["info"]["gpu"]["name"] == torch.cuda.get_device_name(0)
