"""train_torch: the built-in MLP on the CPU, devices, seeds, a user script and its contract."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from tests.engines.conftest import MLP
from tests.engines.support import Chain, Step
from workbench.engines.runtime.models import TorchPredictor, load_model
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError, UnusableInputError


def test_mlp_trains_on_the_cpu_and_records_it(mlp: Step) -> None:
    info = mlp.result["info"]
    assert info["device"] == "cpu" and info["gpu"] is None
    assert "torch" in info["libraries"]
    assert mlp.result["metrics"]["accuracy"] > 0.85
    model = mlp.result["outputs"]["model"][0]
    assert model["file"] == "model.pt" and model["meta"]["framework"] == "torch"
    checkpoint = torch.load(mlp.file("model"), weights_only=True)
    manifest = checkpoint["manifest"]
    assert manifest["hidden_sizes"] == [16] and manifest["in_features"] == 30
    assert len(manifest["feature_mean"]) == 30 and manifest["classes"] == [0, 1]
    assert set(checkpoint["state_dict"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}


def test_mlp_emits_a_loss_per_epoch_and_is_reproducible(
        chain: Chain, cancer: Step, capsys: pytest.CaptureFixture) -> None:
    runs = []
    for name in ("seeded_a", "seeded_b"):
        step = chain.run(name, "train_torch", MLP, {"data": [cancer.out("data")]})
        out = capsys.readouterr().out
        losses = [json.loads(line.split(" ", 1)[1]) for line in out.splitlines()
                  if line.startswith("@@workbench ") and '"metric":"loss"' in line]
        assert [e["step"] for e in losses] == [1, 2, 3, 4]
        assert '"progress":1.0' in out
        runs.append((losses, step.out("model")["sha256"]))
    assert runs[0][0] == runs[1][0]
    assert runs[0][1] == runs[1][1]  # the same seed gives the same weights, byte for byte


def test_forcing_cuda_without_a_gpu_is_a_clear_error(chain: Chain, cancer: Step) -> None:
    if torch.cuda.is_available():
        pytest.skip("this host has a CUDA GPU")
    spec = chain.spec("gpu_fit", "train_torch", {**MLP, "device": "cuda"},
                      {"data": [cancer.out("data")]})
    with pytest.raises(InvalidInputError) as caught:
        run_spec(spec)
    message = str(caught.value)
    assert "node 'gpu_fit'" in message and "'cuda'" in message and "no CUDA GPU" in message
    assert not (Path(spec["output_dir"]) / "model.pt").exists()


@pytest.mark.gpu  # not collected by default; `pytest -m gpu tests/engines` on a GPU machine
def test_auto_picks_cuda_and_records_the_gpu(chain: Chain, cancer: Step,
                                             tmp_path: Path) -> None:
    data = {"data": [cancer.out("data")]}
    auto = chain.run("cuda_auto", "train_torch", {**MLP, "device": "auto"}, data)
    info = auto.result["info"]
    assert info["device"] == "cuda"
    assert info["gpu"]["name"] == torch.cuda.get_device_name(0)
    assert info["gpu"]["memory_total_mb"] > 1000
    assert auto.result["metrics"]["accuracy"] > 0.85
    forced = chain.run("cuda_0", "train_torch", {**MLP, "device": "cuda:0"}, data)
    assert forced.result["info"]["device"] == "cuda:0"
    with pytest.raises(InvalidInputError, match="cuda:99"):
        run_spec(chain.spec("cuda_99", "train_torch", {**MLP, "device": "cuda:99"}, data))
    # a GPU-trained model is saved for, and served on, the CPU
    predictor = load_model(auto.out("model")["path"], auto.out("model")["sha256"],
                           auto.out("model")["meta"])
    frame = pd.read_parquet(cancer.file("data"))
    assert (predictor.predict(frame) == frame["target"]).mean() > 0.85
    script = tmp_path / "on_gpu.py"
    script.write_text(SCRIPT)
    scripted = chain.run("cuda_script", "train_torch", {"script": str(script)}, data)
    assert scripted.result["info"]["device"] == "cuda"
    assert scripted.result["metrics"]["accuracy"] > 0.9


def test_engine_device_option_applies_when_the_node_says_auto(chain: Chain,
                                                              cancer: Step) -> None:
    step = chain.run("auto_fit", "train_torch", {**MLP, "device": "auto", "epochs": 1},
                     {"data": [cancer.out("data")]}, options={"device": "cpu"})
    assert step.result["info"]["device"] == "cpu"


def test_mlp_regression_de_standardises_its_outputs(chain: Chain) -> None:
    data = chain.run("diabetes_t", "data_source", {"builtin": "diabetes"})
    step = chain.run("mlp_reg", "train_torch", {**MLP, "epochs": 30, "hidden_sizes": [8]},
                     {"data": [data.out("data")]})
    assert step.result["outputs"]["model"][0]["meta"]["task"] == "regression"
    predictor = load_model(step.out("model")["path"], step.out("model")["sha256"],
                           step.out("model")["meta"])
    frame = pd.read_parquet(data.file("data"))
    predicted = predictor.predict(frame)
    assert abs(predicted.mean() - frame["target"].mean()) < 30  # target mean is ~152
    assert step.result["metrics"]["r2"] > 0.2


def test_text_features_are_rejected_with_a_hint(chain: Chain, tmp_path: Path) -> None:
    pd.DataFrame({"colour": ["a", "b"] * 20, "x": np.arange(40.0), "target": [0, 1] * 20}
                 ).to_csv(tmp_path / "t.csv", index=False)
    data = chain.run("text", "data_source", {"format": "csv", "path": str(tmp_path / "t.csv")})
    with pytest.raises(InvalidInputError, match="node 'mlp_text'.*non-numeric column.*colour"):
        run_spec(chain.spec("mlp_text", "train_torch", MLP, {"data": [data.out("data")]}))


SCRIPT = '''
import numpy as np
import torch
from torch import nn


def train(X_train, y_train, params, device):
    assert X_train.dtype == np.float32 and y_train.dtype == np.int64
    assert params["task"] == "classification" and params["classes"] == [0, 1]
    torch.manual_seed(params["seed"])
    net = nn.Sequential(nn.Linear(X_train.shape[1], 2)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    X = torch.from_numpy(X_train).to(device)
    y = torch.from_numpy(y_train).to(device)
    for _ in range(60):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(X), y)
        loss.backward()
        opt.step()
    return net


def predict(model, X):
    return model(X) * 2.0
'''


def test_user_script_is_trained_and_saved_as_an_exported_program(chain: Chain, cancer: Step,
                                                         tmp_path: Path) -> None:
    script = tmp_path / "my_model.py"
    script.write_text(SCRIPT)
    step = chain.run("scripted", "train_torch", {"script": str(script), "device": "cpu"},
                     {"data": [cancer.out("data")]})
    assert step.result["metrics"]["accuracy"] > 0.9
    checkpoint = torch.load(step.file("model"), weights_only=True)
    assert checkpoint["state_dict"] == {} and isinstance(checkpoint["exported_program"], bytes)
    assert checkpoint["manifest"]["architecture"] == "script"
    script.unlink()  # inference must not need the script
    predictor = load_model(step.out("model")["path"], step.out("model")["sha256"],
                           step.out("model")["meta"])
    assert isinstance(predictor, TorchPredictor)
    proba = predictor.predict_proba(pd.read_parquet(cancer.file("data")))
    assert proba is not None and proba.shape == (569,) and ((proba >= 0) & (proba <= 1)).all()


def test_script_without_train_function_is_named(chain: Chain, cancer: Step,
                                                tmp_path: Path) -> None:
    script = tmp_path / "empty.py"
    script.write_text("x = 1\n")
    with pytest.raises(InvalidInputError, match=r"node 'scripted'.*defines no train\("):
        run_spec(chain.spec("scripted", "train_torch", {"script": str(script)},
                            {"data": [cancer.out("data")]}))
    with pytest.raises(UnusableInputError, match="node 'scripted'.*does not exist"):
        run_spec(chain.spec("scripted", "train_torch", {"script": str(tmp_path / "no.py")},
                            {"data": [cancer.out("data")]}))
