"""Executor ``train_torch``: the built-in tabular MLP, or a user's training script.

Data, task, split and metrics follow ``training.py``. Features must be numeric or boolean and
complete (no missing values): encode and impute upstream, or use ``train_sklearn``, which
one-hot encodes text columns. Features are standardised with the train rows' mean and
standard deviation (stored in the checkpoint's manifest and applied again at prediction).

Built-in MLP (``script`` empty): Linear+ReLU per ``hidden_sizes``, Adam with
``learning_rate`` for ``epochs`` over shuffled mini-batches of ``batch_size`` (64) rows;
loss BCE-with-logits (2 classes, one logit), cross-entropy (more classes) or MSE on the
standardised target (regression). Emits ``loss`` and ``validation_loss`` per epoch.

User script (``script``: a ``.py`` path) — the contract:

    def train(X_train: np.ndarray, y_train: np.ndarray, params: dict, device: str)
        -> torch.nn.Module

``X_train`` is float32 ``(n, d)``, standardised; ``y_train`` holds class indices (int64, into
the sorted ``params["classes"]``) for classification and float32 values for regression;
``params`` are the node's parameters plus ``task``, ``classes``, ``features``, ``seed``;
``device`` is the resolved device, on which the script should train. The network's outputs
follow the rule in ``torch_support`` (one logit for two classes, one per class, or one value).
Optionally ``def predict(model, X: torch.Tensor) -> torch.Tensor`` maps a standardised batch
to those outputs (default ``model(X)``). The network (with ``predict``) is exported with
``torch.export`` (dynamic batch size) into ``model.pt``, so inference does not need the
script; its ``forward`` must therefore be exportable (no data-dependent Python control
flow). A script may emit curves with ``workbench.engines.runtime.events.emit_metric``.

Device: the node's ``device`` unless it is ``auto``, then the engine's ``options.device``;
``auto`` picks cuda, then mps, then cpu; a forced, unavailable device is an error. Seeds:
``random``, numpy and torch (CPU and CUDA) from ``options.seed``.

Rules: torch is imported inside the functions.
"""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import numpy as np

from workbench.engines.runtime.artifacts import non_numeric, sha256_file, write_json
from workbench.engines.runtime.events import emit_metric, emit_progress, log
from workbench.engines.runtime.metrics import scalar_metrics
from workbench.engines.runtime.models import TorchPredictor
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome
from workbench.engines.runtime.torch_support import (
    CHECKPOINT_FORMAT,
    build_mlp,
    export_network,
    gpu_info,
    load_exported,
    resolve_device,
)
from workbench.engines.runtime.training import (
    TrainingData,
    load_training_data,
    model_meta,
    training_metrics,
)
from workbench.errors import InvalidInputError, UnusableInputError

__all__ = ["run_train_torch", "seed_everything"]

BATCH_SIZE = 64


def seed_everything(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


def _matrices(ctx: StepContext, data: TrainingData) -> dict[str, Any]:
    features = list(data.features)
    text = non_numeric(data.frame, features)
    if text:
        raise InvalidInputError(
            f"train_torch needs numeric features; non-numeric column(s): {', '.join(text[:10])}",
            where=ctx.where, hint="encode them upstream, or use train_sklearn (it one-hot encodes)")
    X = data.frame.loc[:, features].to_numpy(dtype=np.float32, na_value=np.nan)
    holes = np.isnan(X).any(axis=0)
    if holes.any():
        names = [f for f, h in zip(features, holes, strict=True) if h]
        raise InvalidInputError(f"feature column(s) with missing values: {', '.join(names[:10])}",
                                where=ctx.where, hint="impute them upstream")
    train = ~data.test
    mean = X[train].mean(axis=0)
    std = X[train].std(axis=0)
    std = np.where(std > 0, std, 1.0).astype(np.float32)
    Xs = ((X - mean) / std).astype(np.float32)
    raw_y = data.frame[data.target].to_numpy()
    if data.task == "classification":
        index = {c: i for i, c in enumerate(data.classes)}
        y = np.array([index[v] for v in raw_y.tolist()], dtype=np.int64)
    else:
        y = raw_y.astype(np.float32)
    return {"X_train": Xs[train], "X_test": Xs[data.test], "y_train": y[train],
            "y_test": y[data.test], "mean": mean, "std": std}


def _loss_fn(task: str, n_classes: int) -> tuple[Any, int]:
    from torch import nn

    if task == "regression":
        return nn.MSELoss(), 1
    if n_classes == 2:
        bce = nn.BCEWithLogitsLoss()
        return (lambda out, y: bce(out[:, 0], y.float())), 1
    return nn.CrossEntropyLoss(), n_classes


def _train_mlp(ctx: StepContext, data: TrainingData, m: dict[str, Any], device: str
               ) -> tuple[Any, dict[str, Any]]:
    import torch

    hidden = [int(h) for h in ctx.param("hidden_sizes", [32, 16])]
    epochs = int(ctx.param("epochs", 20))
    lr = float(ctx.param("learning_rate", 0.01))
    batch = max(1, int(ctx.param("batch_size", BATCH_SIZE)))
    if epochs < 1 or lr <= 0 or any(h < 1 for h in hidden):
        raise InvalidInputError("epochs, learning_rate and hidden_sizes must be positive",
                                where=ctx.where)
    loss_fn, n_out = _loss_fn(data.task, len(data.classes))
    y_mean, y_std = 0.0, 1.0
    y_train, y_test = m["y_train"], m["y_test"]
    if data.task == "regression":
        y_mean, y_std = float(y_train.mean()), float(y_train.std() or 1.0)
        y_train = ((y_train - y_mean) / y_std).astype(np.float32)
        y_test = ((y_test - y_mean) / y_std).astype(np.float32)
    net = build_mlp(m["X_train"].shape[1], hidden, n_out).to(device)
    optimiser = torch.optim.Adam(net.parameters(), lr=lr)
    Xt = torch.from_numpy(m["X_train"]).to(device)
    yt = torch.from_numpy(y_train).to(device)
    Xv = torch.from_numpy(m["X_test"]).to(device)
    yv = torch.from_numpy(y_test).to(device)
    if data.task == "regression":
        yt, yv = yt[:, None], yv[:, None]
    generator = torch.Generator().manual_seed(ctx.options.seed)
    n = Xt.shape[0]
    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(n, generator=generator).to(device)
        total = 0.0
        for start in range(0, n, batch):
            idx = order[start:start + batch]
            optimiser.zero_grad()
            loss = loss_fn(net(Xt[idx]), yt[idx])
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(idx)
        net.eval()
        with torch.no_grad():
            val = float(loss_fn(net(Xv), yv))
        emit_metric("loss", epoch, total / n)
        emit_metric("validation_loss", epoch, val)
        emit_progress(epoch / epochs, f"epoch {epoch}/{epochs}")
    net = net.cpu().eval()
    manifest = {"architecture": "mlp", "in_features": int(m["X_train"].shape[1]),
                "hidden_sizes": hidden, "out_features": n_out,
                "target_mean": y_mean, "target_std": y_std, "epochs": epochs,
                "learning_rate": lr, "batch_size": batch}
    return net, manifest


def _load_script(ctx: StepContext, raw: str) -> Any:
    path = Path(raw).expanduser()
    if not path.is_file():
        raise UnusableInputError(f"training script {str(path)!r} does not exist",
                                 where=ctx.where, hint="check the node's 'script' parameter")
    spec = importlib.util.spec_from_file_location(f"workbench_user_script_{ctx.node_id}", path)
    if spec is None or spec.loader is None:
        raise UnusableInputError(f"cannot load training script {str(path)!r}", where=ctx.where)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise InvalidInputError(f"training script {str(path)!r} failed to import: "
                                f"{type(exc).__name__}: {exc}", where=ctx.where) from exc
    if not callable(getattr(module, "train", None)):
        raise InvalidInputError(
            f"training script {str(path)!r} defines no train(X_train, y_train, params, device)",
            where=ctx.where)
    return module


def _train_script(ctx: StepContext, data: TrainingData, m: dict[str, Any], device: str,
                  raw: str) -> tuple[Any, dict[str, Any]]:
    import torch

    module = _load_script(ctx, raw)
    params = {**dict(ctx.spec.params), "task": data.task, "classes": list(data.classes),
              "features": list(data.features), "seed": ctx.options.seed}
    net = module.train(m["X_train"].copy(), m["y_train"].copy(), params, device)
    if not isinstance(net, torch.nn.Module):
        raise InvalidInputError(f"train() in {raw!r} returned a {type(net).__name__}, "
                                "not a torch.nn.Module", where=ctx.where)
    net = net.cpu().eval()
    example = torch.from_numpy(m["X_train"][: min(8, len(m["X_train"]))])
    try:
        blob = export_network(net, example, getattr(module, "predict", None))
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(
            f"the network from {raw!r} cannot be exported with torch.export: {first}",
            where=ctx.where, hint="keep forward() free of data-dependent Python control flow",
        ) from None
    script = Path(raw).expanduser()
    manifest = {"architecture": "script", "script": str(script.resolve()),
                "script_sha256": sha256_file(script), "in_features": int(m["X_train"].shape[1]),
                "target_mean": 0.0, "target_std": 1.0}
    return load_exported(blob), {**manifest, "_exported": blob}


def run_train_torch(ctx: StepContext) -> StepOutcome:
    import torch

    requested = str(ctx.param("device", "auto"))
    if requested == "auto":
        requested = ctx.options.device or "auto"
    device = resolve_device(requested, ctx.where)
    seed_everything(ctx.options.seed)
    data = load_training_data(ctx)
    m = _matrices(ctx, data)
    gpu = gpu_info(device)
    log(f"training on {device}" + (f" ({gpu['name']}, {gpu['memory_total_mb']} MiB)"
                                   if gpu else ""))
    script = str(ctx.param("script", "") or "").strip()
    if script:
        net, manifest = _train_script(ctx, data, m, device, script)
    else:
        net, manifest = _train_mlp(ctx, data, m, device)
    blob = manifest.pop("_exported", None)
    manifest.update({
        "format": CHECKPOINT_FORMAT, "task": data.task, "classes": list(data.classes),
        "features": list(data.features), "target": data.target,
        "feature_mean": [float(v) for v in m["mean"]],
        "feature_std": [float(v) for v in m["std"]],
    })
    model_name = str(ctx.param("model_name", "") or ctx.node_id)
    predictor = TorchPredictor(framework="torch", task=data.task, features=data.features,
                               classes=data.classes, target=data.target,
                               model_name=model_name, network=net, manifest=manifest)
    metrics = training_metrics(predictor, data)
    checkpoint: dict[str, Any] = {
        "state_dict": {} if blob else {k: v.detach().cpu() for k, v in net.state_dict().items()},
        "manifest": manifest,
    }
    if blob:
        checkpoint["exported_program"] = blob
    torch.save(checkpoint, ctx.output_dir / "model.pt")
    meta = model_meta("torch", data, model_name, architecture=manifest["architecture"],
                      device=device)
    metrics_file = write_json(metrics, ctx.output_dir, "metrics.json")
    log("trained torch " + manifest["architecture"] + ": " + ", ".join(
        f"{k}={v:.4g}" for k, v in scalar_metrics(metrics).items() if not k.startswith("n_")))
    return StepOutcome(
        outputs={"model": (OutputArtifact("model.pt", "model", meta),),
                 "metrics": (OutputArtifact(metrics_file, "metrics", {"model_name": model_name}),)},
        metrics=scalar_metrics(metrics),
        info={"device": device, "gpu": gpu, "rows": len(data.frame)},
    )
