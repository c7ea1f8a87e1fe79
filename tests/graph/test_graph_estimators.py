"""The estimator allow-list: a graph names only scikit-learn estimators and classes installed
plug-ins declare; anything else is a validation error, decided without importing the name."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.planted import plant_module
from workbench.estimators import ENTRY_POINT_GROUP, estimator_refusal, plugin_estimators
from workbench.graph import Graph, save
from workbench.graph.validate import errors_of, validate

ROOT = Path(__file__).resolve().parents[2]


def declare_plugin(folder: Path, value: str) -> None:
    """An installed plug-in (a dist-info folder on the path) declaring one estimator."""
    dist = folder / "fancy_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fancy-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\nfancy = {value}\n")


def train_graph(estimator: str) -> Graph:
    g = Graph("estimators", "one training node")
    g.add_node("data_source", id="data", position=(0, 0))
    g.add_node("train_sklearn", id="train", position=(200, 0),
               params={"estimator": estimator, "model_name": "m"})
    g.connect("data", "data", "train", "data")
    return g


def test_a_planted_estimator_is_refused_naming_node_param_name_and_allowed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported.marker"
    plant_module(tmp_path, marker, "evilmod")
    monkeypatch.syspath_prepend(str(tmp_path))  # importable: proof that it is not imported
    problems = errors_of(validate(train_graph("evilmod.Evil")))
    assert [p.code for p in problems] == ["estimator_not_allowed"]
    problem = problems[0]
    assert problem.node_id == "train" and problem.param == "estimator"
    assert "node 'train'" in problem.message and "'estimator'" in problem.message
    assert "'evilmod.Evil'" in problem.message
    assert "sklearn.linear_model.LogisticRegression" in problem.message  # what is allowed
    assert ENTRY_POINT_GROUP in problem.message
    assert not marker.exists() and "evilmod" not in sys.modules


def test_cli_validate_exits_1_and_names_the_estimator_without_importing_it(
        tmp_path: Path) -> None:
    marker = tmp_path / "imported.marker"
    plant_module(tmp_path, marker, "evilmod")
    graph_file = tmp_path / "graph.yaml"
    save(train_graph("evilmod.Evil"), graph_file)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    done = subprocess.run([sys.executable, "-m", "workbench", "--store",
                           f"sqlite:///{tmp_path / 'store.db'}", "graph", "validate",
                           str(graph_file)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "'train'" in done.stderr and "evilmod.Evil" in done.stderr
    assert "estimator_not_allowed" in done.stderr
    assert not marker.exists()


@pytest.mark.parametrize("name", [
    "sklearn.linear_model.LogisticRegression",
    "sklearn.ensemble.RandomForestClassifier",
    "sklearn.ensemble.HistGradientBoostingClassifier",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.neural_network.MLPClassifier",
])
def test_scikit_learn_estimators_are_allowed(name: str) -> None:
    assert estimator_refusal(name) is None
    assert not errors_of(validate(train_graph(name)))


@pytest.mark.parametrize(("name", "why"), [
    ("sklearn.utils.Bunch", "not a scikit-learn estimator with fit() and predict()"),
    ("sklearn.preprocessing.StandardScaler", "not a scikit-learn estimator with fit()"),
    ("sklearn.no_such_module.Model", "scikit-learn has no module"),
    ("sklearn.linear_model.NoSuchModel", "has no 'NoSuchModel'"),
    ("os.system", "is not allowed"),
    ("builtins.eval", "is not allowed"),
    ("sklearnx.Model", "is not allowed"),
])
def test_other_names_are_refused_with_the_reason(name: str, why: str) -> None:
    problems = errors_of(validate(train_graph(name)))
    assert [p.code for p in problems] == ["estimator_not_allowed"]
    assert why in problems[0].message and repr(name) in problems[0].message


def test_a_plugin_declared_estimator_is_allowed_without_importing_the_plugin(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "plugin.marker"
    package = tmp_path / "fancypkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    plant_module(package, marker, "models")
    assert estimator_refusal("fancypkg.models.Evil") is not None  # not declared yet
    declare_plugin(tmp_path, "fancypkg.models:Evil")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "fancypkg.models.Evil" in plugin_estimators()
    assert estimator_refusal("fancypkg.models.Evil") is None
    assert not errors_of(validate(train_graph("fancypkg.models.Evil")))
    assert "fancypkg.models.Evil" in (estimator_refusal("evilmod.Evil") or "")
    assert not marker.exists()


def test_the_live_check_applies_the_rules_that_need_no_import() -> None:
    """The editor validates on every open and edit: it must not import scikit-learn to do so
    (a second and more); the full check still runs for Validate, `graph validate` and a run."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from workbench.graph import Graph\n"
            "from workbench.graph.validate import validate\n"
            "g = Graph('x')\n"
            "g.add_node('data_source', id='data', params={'format': 'builtin'})\n"
            "g.add_node('train_sklearn', id='t', params={'model_name': 'm', "
            "'estimator': 'sklearn.linear_model.NoSuchModel'})\n"
            "g.connect('data', 'data', 't', 'data')\n"
            "live = [p.code for p in validate(g, import_estimators=False)]\n"
            "print('sklearn' in sys.modules, 'estimator_not_allowed' in live)\n"
            "full = [p.code for p in validate(g)]\n"
            "print('estimator_not_allowed' in full)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "False", "True"]
