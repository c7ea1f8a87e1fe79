"""Planning graphs into steps: order, dependencies, parts started by triggers."""

from __future__ import annotations

import pytest

from workbench.errors import InvalidInputError
from workbench.graph import load_template
from workbench.orchestrator.plan import part_started_by, plan


def test_every_template_plans_in_dependency_order() -> None:
    for name in ("inference", "retrain", "approval", "ensemble", "canary"):
        graph = load_template(name)
        the_plan = plan(graph)
        position = {s.node_id: i for i, s in enumerate(the_plan.steps)}
        for step in the_plan.steps:
            assert all(position[d] < position[step.node_id] for d in step.deps), name
        assert all(s.kind != "trigger" for s in the_plan.steps)


def test_approval_gate_and_promote_are_control_steps() -> None:
    the_plan = plan(load_template("approval"))
    control = {s.node_id for s in the_plan.steps if s.control}
    assert control == {"approve", "promote"}
    assert the_plan.get("score").deps == ("data", "promote")


def test_alias_bound_scoring_waits_for_the_runs_promotion() -> None:
    the_plan = plan(load_template("canary"))
    assert "promote" in the_plan.get("champion").deps
    assert "promote" in the_plan.get("challenger").deps


def test_a_trigger_starts_its_downstream_part_with_what_it_needs() -> None:
    graph = load_template("retrain")
    part = part_started_by(graph, "retrain")
    # retraining re-scores and re-checks drift on the new predictions; the trigger is no step
    assert {"train", "promote", "score", "drift"} == part
    partial = plan(graph, sorted(part))
    assert {"reference", "live", "train", "promote"} <= set(partial.node_ids)
    assert "retrain" not in partial.node_ids


def test_unknown_nodes_are_refused() -> None:
    with pytest.raises(InvalidInputError, match="'nope' is not in the graph"):
        plan(load_template("approval"), ["nope"])


def test_node_targets_override_the_run_target() -> None:
    graph = load_template("approval")
    graph.set_target("train", "gpu-box")
    the_plan = plan(graph, default_target="local")
    assert the_plan.get("train").target == "gpu-box" and the_plan.get("data").target == "local"
