"""Running one graph node: ``run_spec(spec) -> result`` and the result JSON it writes.

``run_spec`` parses the spec, checks every input file against its sha256, runs the node
kind's executor, checks that every output file exists, adds the common ``info`` (device, GPU,
Python and library versions, host, duration) and writes ``<output_dir>/result.json``::

    {"outputs": {port: [{"file", "kind", "meta"}]}, "metrics": {name: number},
     "info": {...}, "records": {"prediction_windows": [], "drift": [], "divergence": [],
     "alerts": [], ...}, "signals": {"alert": bool}, "error": null}

On a ``WorkbenchError`` it writes the same shape with ``"error": "<message>"`` (and empty
outputs) and re-raises; running out of memory (``MemoryError``, or torch's CUDA out-of-memory
error) becomes an ``OutOfMemoryError`` that says so and quotes the step's peak resident memory
(``info["peak_rss_mb"]`` holds it for every step that had a sampler); any other exception propagates without a result file (the caller
logs the traceback). The output folder is created when missing.

Rules: store-free, Qt-free, heavy libraries only inside executors; ``result.json`` is written
atomically (temporary file, then rename).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from workbench.engines.runtime.artifacts import verify_inputs
from workbench.engines.runtime.metrics import scalar_metrics
from workbench.engines.runtime.registry import executor_for
from workbench.engines.runtime.resources import (
    OutOfMemoryError,
    current_peak_rss_mb,
    out_of_memory_message,
)
from workbench.engines.runtime.spec import (
    RECORD_KINDS,
    StepContext,
    StepOutcome,
    StepSpec,
    jsonable,
)
from workbench.errors import UnusableInputError, WorkbenchError

__all__ = ["RESULT_FILE", "run_spec", "runtime_info", "write_result"]

RESULT_FILE = "result.json"
_LIBRARIES = {"numpy": "numpy", "pandas": "pandas", "pyarrow": "pyarrow", "sklearn": "sklearn",
              "torch": "torch", "joblib": "joblib", "scipy": "scipy", "sqlalchemy": "sqlalchemy"}


def runtime_info() -> dict[str, Any]:
    """Python, platform and the versions of the libraries this process has imported."""
    libraries = {}
    for label, module in _LIBRARIES.items():
        loaded = sys.modules.get(module)
        if loaded is not None:
            libraries[label] = str(getattr(loaded, "__version__", "unknown"))
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "host": platform.node(),
        "libraries": libraries,
    }


def write_result(output_dir: Path, result: dict[str, Any]) -> Path:
    target = output_dir / RESULT_FILE
    partial = output_dir / (RESULT_FILE + ".partial")
    partial.write_text(json.dumps(jsonable(result), indent=2, allow_nan=False) + "\n",
                       encoding="utf-8")
    os.replace(partial, target)
    return target


def _empty_records() -> dict[str, Any]:
    return {kind: [] for kind in RECORD_KINDS}


def _result(ctx: StepContext, outcome: StepOutcome, started: float) -> dict[str, Any]:
    outputs: dict[str, list[dict[str, Any]]] = {}
    for port, artifacts in outcome.outputs.items():
        for artifact in artifacts:
            if not (ctx.output_dir / artifact.file).is_file():
                raise RuntimeError(f"executor of {ctx.where} declared {artifact.file!r} "
                                   "but did not write it")
        outputs[port] = [a.to_dict() for a in artifacts]
    info = {"device": "cpu", "gpu": None, "rows": None, **runtime_info(), **outcome.info}
    info["duration_ms"] = int((time.perf_counter() - started) * 1000)
    peak = current_peak_rss_mb()
    if peak is not None:
        info["peak_rss_mb"] = round(peak, 1)
    return {
        "outputs": outputs,
        "metrics": scalar_metrics(dict(outcome.metrics)),
        "info": info,
        "records": {**_empty_records(), **outcome.records},
        "signals": dict(outcome.signals),
        "error": None,
    }


def _detail(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"MemoryError: {text}" if text else "MemoryError"


def run_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the node described by ``spec``; return the result (also in ``result.json``)."""
    started = time.perf_counter()
    parsed = StepSpec.from_dict(spec)
    ctx = StepContext(parsed)
    output_dir = parsed.output_dir
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UnusableInputError(f"cannot create the output folder: {exc.strerror}",
                                 where=str(output_dir)) from None
    try:
        try:
            verify_inputs(parsed.inputs, ctx.where)
            outcome = executor_for(parsed.kind, ctx.where)(ctx)
            result = _result(ctx, outcome, started)
        except MemoryError as exc:
            raise OutOfMemoryError(out_of_memory_message(current_peak_rss_mb(), _detail(exc)),
                                   where=ctx.where) from None
        except RuntimeError as exc:
            if type(exc).__name__ != "OutOfMemoryError":  # torch.cuda.OutOfMemoryError
                raise
            raise OutOfMemoryError(out_of_memory_message(current_peak_rss_mb(), "GPU memory"),
                                   where=ctx.where) from None
    except WorkbenchError as exc:
        info = {"device": "cpu", "gpu": None, "rows": None, **runtime_info(),
                "duration_ms": int((time.perf_counter() - started) * 1000)}
        write_result(output_dir, {"outputs": {}, "metrics": {}, "info": info,
                                  "records": _empty_records(), "signals": {},
                                  "error": str(exc)})
        raise
    write_result(output_dir, result)
    return jsonable(result)
