"""PyTorch pieces shared by ``train_torch`` and model loading: devices, the built-in MLP, the
checkpoint format and how network outputs become predictions.

Device rule: ``auto`` picks ``cuda`` when ``torch.cuda.is_available()``, then ``mps`` when
``torch.backends.mps.is_available()``, else ``cpu``; ``cuda:N`` picks one GPU; asking for
``cuda`` (``cuda:N``) or ``mps`` where it is not available is an ``InvalidInputError`` (never a
silent fall-back to the CPU).

Checkpoint (``model.pt``, one file, read with ``torch.load(..., weights_only=True)``):
``{"state_dict": {...}, "manifest": {...}}`` for the built-in MLP, rebuilt from the manifest
(``in_features``, ``hidden_sizes``, ``out_features``); a user script's network is stored as a
``torch.export`` program (bytes under ``"exported_program"``, ``state_dict`` empty; batch size
dynamic), so loading never needs the script. Every file is sha256-verified before any of it
is deserialised (``models.load_model``). The manifest also holds ``task``, ``classes``,
``features``, ``feature_mean``/``feature_std`` (train-set standardisation, applied before the
network) and ``target_mean``/``target_std`` (regression outputs are de-standardised with them).

Output rule: classification with 2 classes — one logit (sigmoid) or two logits (softmax);
more classes — one logit per class (softmax); regression — one value per row.

Precision rule (``train_torch``'s ``precision``): ``auto`` is ``bf16`` on a CUDA GPU that
supports it, else ``fp32``; ``bf16`` runs under autocast on a CUDA GPU with bf16 support or on
the CPU; ``fp16`` (autocast with a gradient scaler) only on a CUDA GPU; weights stay float32.

Scoring on a device (``place_network``): the built-in MLP moves to the device; an exported
program is moved and tried on two rows, and stays on the CPU (with the reason) when that fails.

Rules: torch is imported inside the functions only (this module is imported without torch).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from workbench.engines.runtime.events import log
from workbench.errors import InvalidInputError

__all__ = [
    "AUTOCAST_DTYPES",
    "CHECKPOINT_FORMAT",
    "PRECISIONS",
    "build_mlp",
    "gpu_info",
    "export_network",
    "load_exported",
    "outputs_to_proba",
    "place_network",
    "resolve_device",
    "resolve_precision",
]

CHECKPOINT_FORMAT = "workbench.torch/1"
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
#: torch dtype name of each mixed precision (``fp32`` runs without autocast)
AUTOCAST_DTYPES = {"bf16": "bfloat16", "fp16": "float16"}


def _mps_available(torch: Any) -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def resolve_device(requested: str, where: str) -> str:
    """The device to run on for ``requested`` (auto, cpu, cuda or mps)."""
    import torch

    choice = (requested or "auto").strip().lower()
    if choice.startswith("cuda:") and choice[5:].isdigit():
        index = int(choice[5:])
        if torch.cuda.is_available() and index < torch.cuda.device_count():
            return choice
        raise InvalidInputError(
            f"device {choice!r} was asked for, but this host has "
            f"{torch.cuda.device_count() if torch.cuda.is_available() else 'no'} CUDA GPU(s)",
            where=where, hint="set device to auto, cuda or cpu")
    if choice not in DEVICES:
        raise InvalidInputError(f"unknown device {requested!r}", where=where,
                                hint=f"use one of {', '.join(DEVICES)}")
    if choice == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if _mps_available(torch) else "cpu"
    if choice == "cuda" and not torch.cuda.is_available():
        build = "a CPU-only build" if torch.version.cuda is None else f"CUDA {torch.version.cuda}"
        raise InvalidInputError(
            f"device 'cuda' was asked for, but no CUDA GPU is available on this host "
            f"(torch {torch.__version__}, {build})",
            where=where,
            hint="set device to auto or cpu, or run the step on an engine with a GPU",
        )
    if choice == "mps" and not _mps_available(torch):
        raise InvalidInputError(
            "device 'mps' was asked for, but Apple MPS is not available on this host",
            where=where, hint="set device to auto or cpu",
        )
    return choice


def resolve_precision(requested: str, device: str, where: str) -> str:
    """``fp32``, ``bf16`` or ``fp16`` for ``requested`` on the resolved ``device``."""
    import torch

    choice = str(requested or "auto").strip().lower()
    if choice not in PRECISIONS:
        raise InvalidInputError(f"parameter 'precision': unknown precision {requested!r}",
                                where=where, hint=f"use one of {', '.join(PRECISIONS)}")
    cuda = device.startswith("cuda")
    bf16_ok = cuda and torch.cuda.is_bf16_supported()
    if choice == "auto":
        return "bf16" if bf16_ok else "fp32"
    if choice == "fp16" and not cuda:
        raise InvalidInputError(
            f"parameter 'precision': fp16 needs a CUDA GPU, and this step trains on {device}",
            where=where, hint="use auto, fp32 or bf16 here, or train on a CUDA device")
    if choice == "bf16" and not (bf16_ok or device == "cpu"):
        raise InvalidInputError(
            f"parameter 'precision': bf16 is not supported on {device}"
            + (f" ({torch.cuda.get_device_name(torch.device(device))})" if cuda else ""),
            where=where, hint="use auto or fp32 (or fp16 on a CUDA GPU)")
    return choice


def place_network(network: Any, device: str, exported: bool, width: int) -> tuple[Any, str]:
    """``(network, device it runs on)``: ``network`` moved to ``device`` for scoring. An
    exported program that cannot run there stays on the CPU, and a log line says why."""
    import torch

    if device == "cpu":
        return network, "cpu"
    if not exported:
        return network.to(device), device
    try:
        moved = network.to(device)
        with torch.inference_mode():
            moved(torch.zeros((2, width), dtype=torch.float32, device=device))
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        log(f"the exported network cannot run on {device} ({first}); it is scored on the CPU")
        return network.to("cpu"), "cpu"
    return moved, device


def gpu_info(device: str) -> dict[str, Any] | None:
    """``{"name", "memory_total_mb"}`` of the CUDA GPU in use, else ``None``."""
    if not device.startswith("cuda"):
        return None
    import torch

    index = torch.device(device).index
    index = torch.cuda.current_device() if index is None else index
    props = torch.cuda.get_device_properties(index)
    return {
        "name": str(props.name),
        "memory_total_mb": int(props.total_memory // (1024 * 1024)),
        "index": int(index),
        "cuda": torch.version.cuda,
    }


def build_mlp(in_features: int, hidden_sizes: Sequence[int], out_features: int) -> Any:
    """The built-in tabular MLP: Linear → ReLU per hidden size, then a Linear head."""
    from torch import nn

    layers: list[Any] = []
    width = int(in_features)
    for size in hidden_sizes:
        layers += [nn.Linear(width, int(size)), nn.ReLU()]
        width = int(size)
    layers.append(nn.Linear(width, int(out_features)))
    return nn.Sequential(*layers)


def export_network(module: Any, example: Any, predict_fn: Any = None) -> bytes:
    """``torch.export`` bytes of a user network in eval mode, with a dynamic batch size; a
    script's ``predict(model, X)`` is exported together with the network."""
    import torch
    from torch import nn

    module = module.eval()
    if predict_fn is not None:

        class _WithPredict(nn.Module):
            def __init__(self, net: Any):
                super().__init__()
                self.net = net

            def forward(self, x: Any) -> Any:
                return predict_fn(self.net, x)

        module = _WithPredict(module).eval()
    batch = torch.export.Dim("batch")
    with torch.no_grad():
        program = torch.export.export(module, (example,), dynamic_shapes=({0: batch},))  # by position: forward may call it anything
    buffer = io.BytesIO()
    torch.export.save(program, buffer)
    return buffer.getvalue()


def load_exported(data: bytes) -> Any:
    """The callable module of ``export_network`` bytes (already in eval mode)."""
    import torch

    return torch.export.load(io.BytesIO(data)).module()


def outputs_to_proba(outputs: np.ndarray, n_classes: int) -> np.ndarray:
    """``(n, K)`` class probabilities from the network's outputs (see the output rule)."""
    out = np.asarray(outputs, dtype=np.float64)
    if out.ndim == 1:
        out = out[:, None]
    if n_classes == 2 and out.shape[1] == 1:
        p = 1.0 / (1.0 + np.exp(-np.clip(out[:, 0], -60, 60)))
        return np.column_stack([1.0 - p, p])
    if out.shape[1] != n_classes:
        raise InvalidInputError(
            f"the network gives {out.shape[1]} output(s) per row for {n_classes} classes",
            hint="give one logit per class (or one logit for two classes)",
        )
    shifted = out - out.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def manifest_standardise(manifest: Mapping[str, Any], X: np.ndarray) -> np.ndarray:
    mean = np.asarray(manifest.get("feature_mean") or np.zeros(X.shape[1]), dtype=np.float32)
    std = np.asarray(manifest.get("feature_std") or np.ones(X.shape[1]), dtype=np.float32)
    return ((X - mean) / std).astype(np.float32)
