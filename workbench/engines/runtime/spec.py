"""The step spec the runtime is given and the outcome an executor hands back.

Owns: parsing the spec JSON (``StepSpec.from_dict``) into frozen dataclasses, the
``StepContext`` an executor works with (its node, inputs, output folder, options), the
``StepOutcome`` it returns, and ``jsonable`` (numpy scalars and arrays to plain JSON, NaN and
infinities to ``None``).

Rules: store-free and Qt-free (this package is shipped to remote hosts); plain data only; a
malformed spec is an ``UnusableInputError`` that names the field; a missing or ambiguous input
port is an ``InvalidInputError`` that names the node and the port.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from workbench.errors import InvalidInputError, UnusableInputError

__all__ = [
    "RECORD_KINDS",
    "InputArtifact",
    "OutputArtifact",
    "StepContext",
    "StepOptions",
    "StepOutcome",
    "StepSpec",
    "jsonable",
]

#: Keys of ``result["records"]``; every result carries all of them (empty lists when unused).
RECORD_KINDS = ("prediction_windows", "drift", "divergence", "alerts")


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON data: numpy to Python, NaN/inf to ``None``, tuples to lists."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def _mapping(value: Any, what: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise UnusableInputError(f"{what} must be a JSON object, not {type(value).__name__}",
                                 where="step spec")
    return dict(value)


@dataclass(frozen=True)
class InputArtifact:
    """One artifact on an input port: an absolute file path, its sha256, kind and meta."""

    path: Path
    sha256: str
    kind: str
    meta: Mapping[str, Any] = field(default_factory=dict)
    artifact_id: int | None = None

    @classmethod
    def from_dict(cls, data: Any, where: str) -> InputArtifact:
        data = _mapping(data, where)
        if not data.get("path"):
            raise UnusableInputError("an input artifact has no 'path'", where=where)
        return cls(
            path=Path(str(data["path"])),
            sha256=str(data.get("sha256") or ""),
            kind=str(data.get("kind") or ""),
            meta=_mapping(data.get("meta"), f"{where} meta"),
            artifact_id=data["artifact_id"] if isinstance(data.get("artifact_id"), int) else None,
        )


@dataclass(frozen=True)
class StepOptions:
    """Engine-level options: the seed, the engine's device choice, the artifact store root
    (to resolve ensemble members) and, for inference, which model version is served."""

    seed: int = 0
    device: str = "auto"
    artifact_root: Path | None = None
    model_version: Mapping[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> StepOptions:
        data = _mapping(data, "options")
        root = data.get("artifact_root")
        version = data.get("model_version")
        try:
            seed = int(data.get("seed", 0) or 0)
        except (TypeError, ValueError):
            raise UnusableInputError(f"options.seed {data.get('seed')!r} is not an integer",
                                     where="step spec") from None
        return cls(
            seed=seed,
            device=str(data.get("device") or "auto"),
            artifact_root=Path(str(root)) if root else None,
            model_version=_mapping(version, "options.model_version") if version else None,
        )

    @property
    def model_version_label(self) -> str:
        """``"name/version"`` of the served model version, or ``""`` when unknown."""
        mv = self.model_version
        if not mv or not mv.get("name") or mv.get("version") is None:
            return ""
        return f"{mv['name']}/{mv['version']}"


@dataclass(frozen=True)
class StepSpec:
    node_id: str
    kind: str
    params: Mapping[str, Any]
    inputs: Mapping[str, tuple[InputArtifact, ...]]
    output_dir: Path
    options: StepOptions
    run: Mapping[str, Any]

    @classmethod
    def from_dict(cls, spec: Any) -> StepSpec:
        spec = _mapping(spec, "the step spec")
        node = _mapping(spec.get("node"), "node")
        if not node.get("id") or not node.get("kind"):
            raise UnusableInputError("the spec's node needs an 'id' and a 'kind'",
                                     where="step spec")
        if not spec.get("output_dir"):
            raise UnusableInputError("the spec has no 'output_dir'", where="step spec")
        inputs: dict[str, tuple[InputArtifact, ...]] = {}
        for port, items in _mapping(spec.get("inputs"), "inputs").items():
            listed = items if isinstance(items, list) else [items]
            inputs[str(port)] = tuple(
                InputArtifact.from_dict(item, f"input {port!r} #{i}")
                for i, item in enumerate(listed)
            )
        return cls(
            node_id=str(node["id"]),
            kind=str(node["kind"]),
            params=_mapping(node.get("params"), "node.params"),
            inputs=inputs,
            output_dir=Path(str(spec["output_dir"])),
            options=StepOptions.from_dict(spec.get("options")),
            run=_mapping(spec.get("run"), "run"),
        )


@dataclass(frozen=True)
class StepContext:
    """What an executor sees: the parsed spec and the step's start time (epoch ms)."""

    spec: StepSpec
    started_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @property
    def node_id(self) -> str:
        return self.spec.node_id

    @property
    def where(self) -> str:
        """``node 'id' (kind)``: the ``where`` of every error this step raises."""
        return f"node {self.spec.node_id!r} ({self.spec.kind})"

    @property
    def options(self) -> StepOptions:
        return self.spec.options

    @property
    def output_dir(self) -> Path:
        return self.spec.output_dir

    def param(self, name: str, default: Any = None) -> Any:
        """The node parameter ``name``; ``default`` when it is absent or ``None``."""
        value = self.spec.params.get(name)
        return default if value is None else value

    def inputs(self, port: str) -> tuple[InputArtifact, ...]:
        return self.spec.inputs.get(port, ())

    def input(self, port: str, *, required: bool = True) -> InputArtifact | None:
        """The one artifact on ``port``; an error when it is required and missing, or when
        the port carries several."""
        items = self.inputs(port)
        if not items:
            if required:
                raise InvalidInputError(f"input port {port!r} has no artifact",
                                        where=self.where, hint="connect it in the graph")
            return None
        if len(items) > 1:
            raise InvalidInputError(
                f"input port {port!r} takes one artifact, got {len(items)}", where=self.where
            )
        return items[0]

    def require(self, port: str) -> InputArtifact:
        artifact = self.input(port, required=True)
        assert artifact is not None
        return artifact


@dataclass(frozen=True)
class OutputArtifact:
    """One file the step wrote: relative to the output folder, with its kind and meta."""

    file: str
    kind: str
    meta: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "kind": self.kind, "meta": jsonable(self.meta)}


@dataclass(frozen=True)
class StepOutcome:
    """What an executor returns; ``step.run_spec`` adds the common ``info`` and writes it."""

    outputs: Mapping[str, tuple[OutputArtifact, ...]] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    info: Mapping[str, Any] = field(default_factory=dict)
    records: Mapping[str, Any] = field(default_factory=dict)
    signals: Mapping[str, bool] = field(default_factory=dict)
