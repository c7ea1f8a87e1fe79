"""The process boundary: ``python -m workbench.engines.runtime SPEC``, its exit codes, its
stdout events and stderr; kinds the orchestrator keeps; what the runtime imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.engines.conftest import LOGREG
from tests.engines.support import Chain, Step
from workbench.engines.runtime import EXECUTORS, ORCHESTRATOR_KINDS
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError

ROOT = Path(__file__).resolve().parents[2]


def run_module(spec: dict, tmp_path: Path, env: dict | None = None
               ) -> subprocess.CompletedProcess:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return subprocess.run([sys.executable, "-m", "workbench.engines.runtime", str(path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env={**os.environ, **(env or {})})


def test_subprocess_run_streams_events_and_writes_the_result(chain: Chain, cancer: Step,
                                                             tmp_path: Path) -> None:
    spec = chain.spec("train_proc", "train_sklearn", LOGREG, {"data": [cancer.out("data")]})
    done = run_module(spec, tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads((Path(spec["output_dir"]) / "result.json").read_text())
    assert result["error"] is None and result["metrics"]["accuracy"] > 0.9
    assert (Path(spec["output_dir"]) / "model.skops").is_file()
    events = [json.loads(line.split(" ", 1)[1]) for line in done.stdout.splitlines()
              if line.startswith("@@workbench ")]
    metrics = {e["metric"]: e for e in events if "metric" in e}
    assert metrics["validation_accuracy"]["value"] == pytest.approx(
        result["metrics"]["accuracy"])
    assert any("progress" in e for e in events)
    assert any(not line.startswith("@@workbench") for line in done.stdout.splitlines())


def test_subprocess_workbench_error_is_one_line_and_exit_1(chain: Chain,
                                                           tmp_path: Path) -> None:
    spec = chain.spec("bad_proc", "train_sklearn",
                      {"estimator": "sklearn.linear_model.Nope"},
                      {"data": [{"path": str(tmp_path / "none.parquet"), "sha256": "0" * 64,
                                 "kind": "dataset", "meta": {"target": "target"}}]})
    done = run_module(spec, tmp_path)
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: node 'bad_proc'")
    result = json.loads((Path(spec["output_dir"]) / "result.json").read_text())
    assert result["error"] == lines[0][len("error: "):]


def test_subprocess_unexpected_exception_prints_a_traceback(chain: Chain, cancer: Step,
                                                            tmp_path: Path) -> None:
    (tmp_path / "boom_estimator.py").write_text(
        "class Boom:\n"
        "    def fit(self, X, y):\n"
        "        raise RuntimeError('the estimator blew up')\n"
        "    def predict(self, X):\n"
        "        return X\n")
    # an installed plug-in declares the class, which puts it on the estimator allow-list
    dist = tmp_path / "boom_plugin-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: boom-plugin\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[mlops_workbench.estimators]\n"
                                           "boom = boom_estimator:Boom\n")
    spec = chain.spec("boom", "train_sklearn", {"estimator": "boom_estimator.Boom"},
                      {"data": [cancer.out("data")]})
    done = run_module(spec, tmp_path, {"PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"})
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "RuntimeError: the estimator blew up" in done.stderr
    assert not (Path(spec["output_dir"]) / "result.json").exists()


@pytest.mark.parametrize("kind", sorted(ORCHESTRATOR_KINDS))
def test_orchestrator_kinds_are_not_executed(chain: Chain, kind: str) -> None:
    with pytest.raises(InvalidInputError, match=f"node 'g'.*{kind}.*orchestrator"):
        run_spec(chain.spec("g", kind))


def test_unknown_kind_is_named(chain: Chain) -> None:
    with pytest.raises(InvalidInputError, match="no executor for node kind 'teleport'"):
        run_spec(chain.spec("g", "teleport"))


def test_every_executable_builtin_kind_has_an_executor() -> None:
    from workbench.graph.builtin_kinds import BUILTIN_KINDS

    kinds = {k.kind for k in BUILTIN_KINDS}
    assert set(EXECUTORS) | ORCHESTRATOR_KINDS == kinds
    assert not set(EXECUTORS) & ORCHESTRATOR_KINDS


def test_runtime_imports_no_store_orchestrator_qt_or_heavy_library() -> None:
    code = (
        "import sys, runpy\n"
        "import workbench.engines.runtime as r, workbench.engines.runtime.__main__\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sklearn', 'torch', 'joblib', 'PySide6', 'pyqtgraph', 'sqlalchemy', 'scipy') "
        "or m.startswith(('workbench.store', 'workbench.orchestrator', 'workbench.graph', "
        "'workbench.services', 'workbench.ui', 'workbench.monitoring')))\n"
        "print(bad)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
