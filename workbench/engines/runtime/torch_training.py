"""Executor ``train_torch``: the built-in tabular MLP, or a user's training script.

Data, task, split and metrics follow ``training.py``. Features must be numeric or boolean and
complete (no missing values): encode and impute upstream, or use ``train_sklearn``, which
one-hot encodes text columns. Features are standardised with the train rows' mean and
standard deviation (stored in the checkpoint's manifest and applied again at prediction).

Built-in MLP (``script`` empty): Linear+ReLU per ``hidden_sizes``, Adam with
``learning_rate`` for ``epochs`` over shuffled mini-batches of ``batch_size`` rows (0, the
default: 64 on the CPU; on a GPU the largest power of two up to 4096 that leaves about 200
steps an epoch, see ``batch_size_for``); loss BCE-with-logits (2 classes, one logit),
cross-entropy (more classes) or MSE on the standardised target (regression). Emits ``loss``
and ``validation_loss`` per epoch. The data stays on the device for the whole loop and the
host reads the device once per epoch (``fit_mlp``); ``precision`` (auto, fp32, bf16, fp16)
selects autocast as ``torch_support.resolve_precision`` says. The step's ``info`` records
``batch_size``, ``precision`` and ``fit_s`` (the loop's seconds); hold-out metrics are scored
on the training device.

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

import contextlib
import importlib.util
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from workbench.engines.runtime.artifacts import non_numeric, sha256_file, write_json
from workbench.engines.runtime.events import emit_metric, emit_progress, log
from workbench.engines.runtime.metrics import scalar_metrics
from workbench.engines.runtime.models import TorchPredictor
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome
from workbench.engines.runtime.torch_support import (
    AUTOCAST_DTYPES,
    CHECKPOINT_FORMAT,
    build_mlp,
    export_network,
    gpu_info,
    load_exported,
    resolve_device,
    resolve_precision,
)
from workbench.engines.runtime.training import (
    TrainingData,
    load_training_data,
    model_meta,
    training_metrics,
)
from workbench.errors import InvalidInputError, UnusableInputError

__all__ = ["FitResult", "batch_size_for", "default_batch_size", "fit_mlp", "run_train_torch", "seed_everything"]

CPU_BATCH = 64
GPU_BATCH = 4096
# 2 epochs on 240,000 rows (benchmarks/torch_train.py): 1024-row batches kept the hold-out
# accuracy of 64-row ones, 2048-row batches lost up to 1.4 points
MIN_STEPS = 200
VALIDATION_BATCH = 65_536


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


def default_batch_size(device: str, n_rows: int) -> int:
    """Rows per mini-batch when the node leaves ``batch_size`` at 0: ``CPU_BATCH`` on the CPU;
    on a GPU the largest power of two up to ``GPU_BATCH`` that still gives about ``MIN_STEPS``
    optimiser steps an epoch (never under ``CPU_BATCH``), so the GPU gets large batches
    without a small dataset losing most of its steps."""
    if not device.startswith(("cuda", "mps")):
        return CPU_BATCH
    target = max(1, n_rows // MIN_STEPS)
    return int(min(GPU_BATCH, max(CPU_BATCH, 1 << (target.bit_length() - 1))))


def batch_size_for(ctx: StepContext, device: str, n_rows: int) -> int:
    """The node's ``batch_size``, or the device's default when it is 0 (or absent)."""
    raw = ctx.param("batch_size", 0)
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0 or raw != int(raw):
        raise InvalidInputError(
            f"parameter 'batch_size': expected a whole number of rows >= 0, got {raw!r}",
            where=ctx.where, hint="give rows per mini-batch, or 0 to let the device choose")
    return int(raw) if raw else default_batch_size(device, n_rows)


@dataclass(frozen=True)
class FitResult:
    """A trained network (left on its device), the settings used and the loop's wall time."""

    network: Any
    batch_size: int
    precision: str
    fit_s: float


def fit_mlp(X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
            *, loss_fn: Any, hidden: list[int], n_out: int, epochs: int, lr: float,
            batch_size: int, precision: str, device: str, seed: int) -> FitResult:
    """Train the built-in MLP with the data resident on ``device`` for the whole loop.

    ``X``/``y`` are moved once; each epoch's shuffle is a ``randperm`` on the device (on the
    CPU with the same seeded generator as always, so CPU results do not change); batches
    are indexed there. The epoch's loss is summed as a device tensor and read once per
    epoch together with the validation loss (batched the same way), so the host never waits
    on the device inside an epoch. ``precision`` (already resolved) selects autocast:
    ``bf16``, or ``fp16`` with a gradient scaler; the weights stay float32.
    """
    import torch

    started = time.perf_counter()
    kind = torch.device(device).type
    net = build_mlp(X_train.shape[1], hidden, n_out).to(device)
    fused = {"fused": True} if kind == "cuda" else {}
    optimiser = torch.optim.Adam(net.parameters(), lr=lr, **fused)
    amp = AUTOCAST_DTYPES.get(precision)
    scaler = torch.amp.GradScaler(kind) if precision == "fp16" else None
    Xt = torch.from_numpy(X_train).to(device)
    yt = torch.from_numpy(y_train).to(device)
    Xv = torch.from_numpy(X_val).to(device)
    yv = torch.from_numpy(y_val).to(device)
    if yt.dtype == torch.float32:  # regression targets (class indices are int64)
        yt, yv = yt[:, None], yv[:, None]
    if kind == "cpu":
        generator = torch.Generator().manual_seed(seed)
    else:
        generator = torch.Generator(device=device).manual_seed(seed)
    n = Xt.shape[0]
    zero = torch.zeros((), dtype=torch.float32, device=device)

    def autocast() -> Any:
        if amp is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=kind, dtype=getattr(torch, amp))

    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(n, generator=generator, device=generator.device)
        total = zero.clone()
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            optimiser.zero_grad(set_to_none=True)
            with autocast():
                loss = loss_fn(net(Xt[idx]), yt[idx])
            if scaler is None:
                loss.backward()
                optimiser.step()
            else:  # fp16: scaled gradients; fused Adam skips a step with inf/nan on device
                scaler.scale(loss).backward()
                scaler.step(optimiser)
                scaler.update()
            total += loss.detach().float() * idx.shape[0]
        net.eval()
        val = zero.clone()
        with torch.no_grad(), autocast():
            for start in range(0, Xv.shape[0], max(batch_size, VALIDATION_BATCH)):
                stop = start + max(batch_size, VALIDATION_BATCH)
                val += loss_fn(net(Xv[start:stop]), yv[start:stop]).float() * (
                    Xv[start:stop].shape[0])
        train_loss, val_loss = torch.stack([total / n, val / max(1, Xv.shape[0])]).tolist()
        emit_metric("loss", epoch, train_loss)
        emit_metric("validation_loss", epoch, val_loss)
        emit_progress(epoch / epochs, f"epoch {epoch}/{epochs}")
    net.eval()
    return FitResult(net, batch_size, precision, time.perf_counter() - started)


def _train_mlp(ctx: StepContext, data: TrainingData, m: dict[str, Any], device: str
               ) -> tuple[Any, dict[str, Any]]:
    hidden = [int(h) for h in ctx.param("hidden_sizes", [32, 16])]
    epochs = int(ctx.param("epochs", 20))
    lr = float(ctx.param("learning_rate", 0.01))
    if epochs < 1 or lr <= 0 or any(h < 1 for h in hidden):
        raise InvalidInputError("epochs, learning_rate and hidden_sizes must be positive",
                                where=ctx.where)
    batch = batch_size_for(ctx, device, len(m["X_train"]))
    precision = resolve_precision(str(ctx.param("precision", "auto")), device, ctx.where)
    loss_fn, n_out = _loss_fn(data.task, len(data.classes))
    y_mean, y_std = 0.0, 1.0
    y_train, y_test = m["y_train"], m["y_test"]
    if data.task == "regression":
        y_mean, y_std = float(y_train.mean()), float(y_train.std() or 1.0)
        y_train = ((y_train - y_mean) / y_std).astype(np.float32)
        y_test = ((y_test - y_mean) / y_std).astype(np.float32)
    log(f"mini-batches of {batch} rows, {precision}"
        + ("" if ctx.param("batch_size", 0) else " (batch size chosen for the device)"))
    fit = fit_mlp(m["X_train"], y_train, m["X_test"], y_test, loss_fn=loss_fn, hidden=hidden,
                  n_out=n_out, epochs=epochs, lr=lr, batch_size=batch, precision=precision,
                  device=device, seed=ctx.options.seed)
    manifest = {"architecture": "mlp", "in_features": int(m["X_train"].shape[1]),
                "hidden_sizes": hidden, "out_features": n_out,
                "target_mean": y_mean, "target_std": y_std, "epochs": epochs,
                "learning_rate": lr, "batch_size": batch, "precision": precision,
                "_fit_s": fit.fit_s}
    return fit.network, manifest


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
    fit_s = manifest.pop("_fit_s", None)
    manifest.update({
        "format": CHECKPOINT_FORMAT, "task": data.task, "classes": list(data.classes),
        "features": list(data.features), "target": data.target,
        "feature_mean": [float(v) for v in m["mean"]],
        "feature_std": [float(v) for v in m["std"]],
    })
    model_name = str(ctx.param("model_name", "") or ctx.node_id)
    predictor = TorchPredictor(framework="torch", task=data.task, features=data.features,
                               classes=data.classes, target=data.target,
                               model_name=model_name, network=net, manifest=manifest,
                               device="cpu" if blob else device)
    metrics = training_metrics(predictor, data)  # scored where the network is
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
        info={"device": device, "gpu": gpu, "rows": len(data.frame),
              "batch_size": manifest.get("batch_size"), "precision": manifest.get("precision"),
              "fit_s": round(fit_s, 4) if fit_s is not None else None},
    )
