"""The demo's data and graph: the generator shipped in ``resources/demo/`` and the canary
template adapted to it (CSV data sources for training and live applications). An evaluate step
measures the candidate's fairness across application channels for the approval. The daily
drift, canary and expectation monitoring (``LIVE_EXPECTATIONS``) of the simulated calendar is done
by ``run`` itself.

The simulated calendar puts day 0 at ``start_ms``; all monitoring windows, KPI points and
deployment events of the demo use that calendar.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from workbench.resources import resource_path

MODEL = "credit_default"
DAY_MS = 86_400_000
# What the lender expects of a live application, checked on each simulated day's applications
# (as an inference step's ``expectations`` checks each scored window): the change brings a channel
# nobody planned for ('partner') and debt ratios above 1 (more debt than income), which the
# operator finds in the Findings tab as deviation findings and alerts. Not declared on the graph's
# scoring steps: there a row rule refuses the row, and the demo's service keeps answering.
LIVE_EXPECTATIONS = {"columns": {"channel": {"allowed": ["online", "branch"]},
                                 "debt_ratio": {"min": 0.0, "max": 1.0},
                                 "age": {"min": 18, "max": 100}}}


def generator() -> ModuleType:
    path = resource_path("demo", "credit_generator.py")
    spec = importlib.util.spec_from_file_location("workbench_demo_credit_generator", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def build_graph(folder: Path, train_csv: Path, live_csv: Path, estimator: str, params: dict) -> Path:
    """The canary template, fed by the demo's files; returns the saved graph's path."""
    from workbench.graph import load_template, save

    graph = load_template("canary")
    graph.name = "Credit default demo"
    graph.description = ("SIMULATION. A lender scores credit applications; a challenger is trained, "
                         "approved by the risk officer, and compared with the champion on live traffic.")
    graph.set_param("data", "format", "csv")
    graph.set_param("data", "path", str(train_csv))
    graph.set_param("data", "target", "default")
    graph.set_title("data", "Labelled applications")
    graph.set_param("train", "estimator", estimator)
    graph.set_param("train", "estimator_params", params)
    graph.set_param("train", "model_name", MODEL)
    graph.set_title("train", "Train default model")
    for node in ("promote", "champion", "challenger"):
        graph.set_param(node, "model_name", MODEL)
    # the risk officer sees the candidate's fairness across application channels and its
    # explanations next to the champion's: an evaluate step feeds the gate its evidence
    graph.add_node("evaluate", id="evaluate", title="Evaluate with fairness by channel",
                   params={"sensitive_features": ["channel"]}, position=(260.0, 160.0))
    graph.connect("train", "model", "evaluate", "model")
    graph.connect("data", "data", "evaluate", "data")
    graph.connect("evaluate", "metrics", "approve", "metrics")
    graph.add_node("data_source", id="live", title="Live applications",
                   params={"format": "csv", "path": str(live_csv), "target": ""}, position=(0.0, 320.0))
    for node in ("champion", "challenger"):
        for edge in list(graph.edges_into(node, "data")):
            graph.disconnect(edge)
        graph.connect("live", "data", node, "data")
    path = folder / "credit_demo.yaml"
    save(graph, path)
    return path
