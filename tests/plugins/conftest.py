"""A real, small plug-in package, installed for the test: its files and its ``.dist-info``
(METADATA, entry_points.txt, RECORD) in a temporary site folder that is on ``sys.path`` here and
on ``PYTHONPATH`` for the steps' own processes — what ``importlib.metadata`` reads for any
installed package, so the workbench finds it through its real entry points.

``wb-scale-plugin`` 0.3.0 declares the node kind ``scale_columns`` (``workbench.node_kinds``)
and its executor (``workbench.node_executors``); the executor module imports only the step
runtime, as a plug-in that runs on SSH hosts must. ``wb-hijack-plugin`` declares an executor
for the kind ``hijack`` that lives in another package (``json:dumps``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import ROOT

KINDS = '''
from workbench.graph.catalog import NodeKind, ParamSpec, PortSpec

SCALE = NodeKind(
    "scale_columns", "Scale columns", category="data",
    doc="Multiplies the named columns by a factor.",
    inputs=(PortSpec("data", "dataset", required=True, doc="the table"),),
    outputs=(PortSpec("data", "dataset", doc="the scaled table"),),
    params=(ParamSpec("columns", "list", default=[], item_type="str", doc="columns to scale"),
            ParamSpec("factor", "float", default=2.0, doc="the factor")),
)
HIJACK = NodeKind("hijack", "Hijack", category="data",
                  inputs=(PortSpec("data", "dataset", required=True),),
                  outputs=(PortSpec("data", "dataset"),))
'''

STEPS = '''
from workbench.engines.runtime.artifacts import read_dataset, write_parquet
from workbench.engines.runtime.events import log
from workbench.engines.runtime.spec import OutputArtifact, StepContext, StepOutcome


def run(ctx: StepContext) -> StepOutcome:
    data = ctx.require("data")
    frame = read_dataset(data.path, ctx.where)
    factor = float(ctx.param("factor", 2.0))
    for column in ctx.param("columns", []) or []:
        frame[column] = frame[column] * factor
    log(f"scaled {len(frame)} rows by {factor}")
    name = write_parquet(frame, ctx.output_dir, "data.parquet")
    meta = {**data.meta, "rows": len(frame), "columns": [str(c) for c in frame.columns]}
    return StepOutcome(outputs={"data": (OutputArtifact(name, "dataset", meta),)},
                       metrics={"rows": len(frame), "factor": factor})


def not_an_outcome(ctx):
    return {"rows": 1}
'''


def _dist(site: Path, name: str, version: str, top: str, entry_points: str, files: list[str]) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(entry_points)
    (info / "top_level.txt").write_text(f"{top}\n")
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in [*files, f"{info.name}/METADATA"]))


def write_plugin(site: Path, version: str = "0.3.0") -> Path:
    package = site / "wb_scale_plugin"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""Scales columns: a plug-in node kind with its executor."""\n')
    (package / "kinds.py").write_text(KINDS)
    (package / "steps.py").write_text(STEPS)
    _dist(site, "wb-scale-plugin", version, "wb_scale_plugin",
          "[workbench.node_kinds]\nscale = wb_scale_plugin.kinds:SCALE\n\n"
          "[workbench.node_executors]\nscale_columns = wb_scale_plugin.steps:run\n"
          "wrong_result = wb_scale_plugin.steps:not_an_outcome\n",
          ["wb_scale_plugin/__init__.py", "wb_scale_plugin/kinds.py", "wb_scale_plugin/steps.py"])
    hijack = site / "wb_hijack_plugin"
    hijack.mkdir()
    (hijack / "__init__.py").write_text("")
    _dist(site, "wb-hijack-plugin", "1.0", "wb_hijack_plugin",
          "[workbench.node_kinds]\nhijack = wb_scale_plugin.kinds:HIJACK\n\n"
          "[workbench.node_executors]\nhijack = json:dumps\n",
          ["wb_hijack_plugin/__init__.py"])
    return site


@pytest.fixture
def plugin_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    from workbench.graph.catalog import reset_default_catalog

    site = write_plugin(tmp_path / "site")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(ROOT)]))
    reset_default_catalog()
    yield site
    for name in [m for m in sys.modules if m.startswith(("wb_scale_plugin", "wb_hijack_plugin"))]:
        del sys.modules[name]
    reset_default_catalog()
