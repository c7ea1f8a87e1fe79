"""Test support: run runtime steps the way the orchestrator will, chaining their artifacts.

``Chain.run`` gives a node a fresh, empty output folder, calls ``run_spec``, then stores every
output file in a content-addressed artifact store (``<root>/<sha[:2]>/<sha>``, no suffix) and
hands out input descriptors pointing there, as the orchestrator does.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.engines.runtime.artifacts import sha256_file
from workbench.engines.runtime.step import run_spec


@dataclass(frozen=True)
class Step:
    result: dict[str, Any]
    output_dir: Path
    artifacts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def out(self, port: str, index: int = 0) -> dict[str, Any]:
        """The input descriptor of an output artifact, for a downstream node."""
        return self.artifacts[port][index]

    def file(self, port: str, index: int = 0) -> Path:
        return self.output_dir / self.result["outputs"][port][index]["file"]


@dataclass
class Chain:
    root: Path
    seed: int = 0

    @property
    def artifact_root(self) -> Path:
        return self.root / "artifacts"

    def spec(self, node_id: str, kind: str, params: dict[str, Any] | None = None,
             inputs: dict[str, list[dict[str, Any]]] | None = None,
             options: dict[str, Any] | None = None) -> dict[str, Any]:
        out = self.root / "steps" / node_id
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        return {
            "node": {"id": node_id, "kind": kind, "params": params or {}},
            "inputs": inputs or {},
            "output_dir": str(out),
            "options": {"seed": self.seed, "device": "auto",
                        "artifact_root": str(self.artifact_root), **(options or {})},
            "run": {"run_id": 1, "step_id": 1},
        }

    def store(self, spec: dict[str, Any], result: dict[str, Any]) -> Step:
        out = Path(spec["output_dir"])
        artifacts: dict[str, list[dict[str, Any]]] = {}
        for port, items in result["outputs"].items():
            for item in items:
                source = out / item["file"]
                sha = sha256_file(source)
                target = self.artifact_root / sha[:2] / sha
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                artifacts.setdefault(port, []).append(
                    {"path": str(target), "sha256": sha, "kind": item["kind"],
                     "meta": item["meta"]})
        return Step(result, out, artifacts)

    def run(self, node_id: str, kind: str, params: dict[str, Any] | None = None,
            inputs: dict[str, list[dict[str, Any]]] | None = None,
            options: dict[str, Any] | None = None) -> Step:
        spec = self.spec(node_id, kind, params, inputs, options)
        return self.store(spec, run_spec(spec))
