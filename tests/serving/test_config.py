"""From a graph file and a node id to what is served: bindings, split, sources."""

from __future__ import annotations

from pathlib import Path

import pytest

from workbench.errors import InvalidInputError
from workbench.graph import load_template, save
from workbench.serving.config import resolve_config


def _template(tmp_path: Path, name: str, **changes: dict) -> Path:
    graph = load_template(name)
    for node_id, params in changes.items():
        for key, value in params.items():
            graph.set_param(node_id, key, value)
    path = tmp_path / f"{name}.yaml"
    save(graph, path)
    return path


def test_a_comparator_serves_the_inference_nodes_feeding_it(tmp_path: Path) -> None:
    config = resolve_config(_template(tmp_path, "canary"), "canary")
    assert config.mode == "canary" and config.traffic_split == pytest.approx(0.1)
    champion, challenger = config.binding("champion"), config.binding("challenger")
    assert (champion.node_id, champion.model_name, champion.alias) == ("champion", "breast_cancer",
                                                                       "champion")
    # the challenger node is fed by the promote node, whose alias it serves
    assert (challenger.node_id, challenger.alias) == ("challenger", "challenger")
    assert champion.deployment_source == "Champion/challenger canary/champion"
    assert champion.log_source == "Champion/challenger canary/canary/champion"
    assert challenger.log_source == "Champion/challenger canary/canary/challenger"


def test_shadow_mode_comes_from_the_comparator(tmp_path: Path) -> None:
    path = _template(tmp_path, "canary", canary={"shadow": True, "traffic_split": 0.25})
    config = resolve_config(path, "canary")
    assert config.mode == "shadow" and config.shadow and config.traffic_split == 0.25


def test_one_inference_node_logs_under_its_own_name(tmp_path: Path) -> None:
    config = resolve_config(_template(tmp_path, "canary"), "champion")
    (binding,) = config.bindings
    assert config.mode == "single" and binding.variant == "champion"
    assert binding.log_source == binding.deployment_source == "Champion/challenger canary/champion"


def test_a_node_fed_by_a_promote_node_follows_that_alias(tmp_path: Path) -> None:
    # the approval template's scoring node has no alias of its own: promote makes the champion
    config = resolve_config(_template(tmp_path, "approval"), "score")
    (binding,) = config.bindings
    assert (binding.model_name, binding.alias) == ("breast_cancer", "champion")


def test_nodes_that_cannot_be_served_are_named(tmp_path: Path) -> None:
    path = _template(tmp_path, "canary")
    with pytest.raises(InvalidInputError, match="a data_source node cannot be served"):
        resolve_config(path, "data")
    with pytest.raises(InvalidInputError, match="no node 'nope'.*canary, challenger, champion"):
        resolve_config(path, "nope")


def test_an_inference_node_without_an_alias_is_refused(tmp_path: Path) -> None:
    graph = load_template("approval")
    edge = next(e for e in graph.edges_into("score", "model"))
    graph.disconnect(edge)
    graph.connect("train", "model", "score", "model")
    path = tmp_path / "unbound.yaml"
    save(graph, path)
    with pytest.raises(InvalidInputError, match="'score'.*not bound to a registered model alias.*'train'"):
        resolve_config(path, "score")
