"""Models are untrusted input: the training step refuses estimators off the allow-list before
importing them, model files are skops files rebuilt only from trusted types, pickles are never
loaded, and torch checkpoints are read with ``weights_only``."""

from __future__ import annotations

import io
import json
import sys
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
import skops.io as sio

from tests.engines.conftest import LOGREG
from tests.engines.support import Chain, Step
from tests.engines.test_runtime_entrypoint import ROOT, run_module
from tests.support.planted import plant_module, skops_naming_planted_type
from workbench.engines.runtime.artifacts import sha256_bytes
from workbench.engines.runtime.models import SklearnPredictor, UntrustedModelError, load_model
from workbench.engines.runtime.sklearn_files import dump_estimator, load_estimator
from workbench.engines.runtime.step import run_spec
from workbench.errors import InvalidInputError, UnusableInputError


def write(tmp_path: Path, name: str, data: bytes) -> tuple[Path, str]:
    path = tmp_path / name
    path.write_bytes(data)
    return path, sha256_bytes(data)


# ---------------------------------------------------------------------- the estimator
def test_run_refuses_a_planted_estimator_without_importing_it(
        chain: Chain, cancer: Step, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported.marker"
    plant_module(tmp_path, marker)
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = chain.spec("evil_fit", "train_sklearn", {"estimator": "evilmod.Evil"},
                      {"data": [cancer.out("data")]})
    with pytest.raises(InvalidInputError) as caught:
        run_spec(spec)
    message = str(caught.value)
    assert "node 'evil_fit'" in message and "'evilmod.Evil'" in message
    assert "is not allowed" in message and "sklearn.linear_model.LogisticRegression" in message
    assert not marker.exists() and "evilmod" not in sys.modules
    assert not list(Path(spec["output_dir"]).glob("model*"))


def test_step_process_refuses_a_planted_estimator_beside_the_graph(
        chain: Chain, cancer: Step, tmp_path: Path) -> None:
    marker = tmp_path / "imported.marker"
    plant_module(tmp_path, marker)
    spec = chain.spec("evil_proc", "train_sklearn", {"estimator": "evilmod.Evil"},
                      {"data": [cancer.out("data")]})
    done = run_module(spec, tmp_path, {"PYTHONPATH": f"{tmp_path}:{ROOT}"})
    assert done.returncode == 1
    assert "'evilmod.Evil' is not allowed" in done.stderr
    assert not marker.exists()


# ---------------------------------------------------------------------- model files
def test_a_skops_file_naming_a_planted_type_is_refused_without_importing_it(
        logreg: Step, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "imported.marker"
    plant_module(tmp_path, marker)
    monkeypatch.syspath_prepend(str(tmp_path))
    path, sha = write(tmp_path, "crafted.skops", skops_naming_planted_type(logreg.file("model")))
    with pytest.raises(UntrustedModelError) as caught:
        load_model(path, sha, logreg.out("model")["meta"])
    assert "evilmod.Evil" in str(caught.value) and str(path) in str(caught.value)
    assert "was not loaded" in str(caught.value)
    assert not marker.exists() and "evilmod" not in sys.modules


def test_an_old_joblib_model_is_refused_and_the_message_says_retrain(
        logreg: Step, tmp_path: Path) -> None:
    honest = load_model(logreg.out("model")["path"], logreg.out("model")["sha256"],
                        logreg.out("model")["meta"])
    assert isinstance(honest, SklearnPredictor)
    buffer = io.BytesIO()
    joblib.dump(honest.estimator, buffer)
    path, sha = write(tmp_path, "old.joblib", buffer.getvalue())
    meta = {k: v for k, v in logreg.out("model")["meta"].items() if k != "format"}
    with pytest.raises(UntrustedModelError) as caught:
        load_model(path, sha, meta)
    assert "pickle (joblib)" in str(caught.value) and "not loaded" in str(caught.value)
    assert "training node again" in str(caught.value)


def test_the_model_meta_records_the_skops_format(logreg: Step) -> None:
    assert logreg.out("model")["meta"]["format"] == "skops"
    assert zipfile.ZipFile(logreg.file("model")).read("schema.json")


def test_tree_ensembles_the_templates_and_demo_use_load_and_predict_the_same(
        tmp_path: Path) -> None:
    from sklearn.ensemble import (
        GradientBoostingClassifier,
        HistGradientBoostingClassifier,
        RandomForestClassifier,
    )

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.random((120, 4)), columns=list("abcd"))
    y = (X["a"] + rng.normal(0, 0.2, 120) > 0.5).astype(int)
    for estimator in (RandomForestClassifier(n_estimators=5, random_state=0),
                      GradientBoostingClassifier(n_estimators=5, random_state=0),
                      HistGradientBoostingClassifier(max_iter=5, random_state=0)):
        estimator.fit(X, y)
        dump_estimator(estimator, tmp_path / "m.skops", "test")
        loaded = load_estimator((tmp_path / "m.skops").read_bytes(), "test")
        assert type(loaded) is type(estimator)
        np.testing.assert_allclose(loaded.predict_proba(X), estimator.predict_proba(X))


def test_a_tree_whose_children_point_backwards_is_refused(tmp_path: Path) -> None:
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.tree._tree import Tree

    rng = np.random.default_rng(4)
    X, y = rng.random((60, 3)), rng.integers(0, 2, 60)
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    state = model.tree_.__getstate__()
    nodes = state["nodes"].copy()
    inner = int(np.flatnonzero(nodes["left_child"] != -1)[-1])
    nodes["left_child"][inner] = 0  # a loop back to the root
    state["nodes"] = nodes
    bad = Tree(model.n_features_in_, np.array([model.n_classes_], dtype=np.intp),
               model.n_outputs_)
    bad.__setstate__(state)
    model.tree_ = bad
    with pytest.raises(UntrustedModelError, match="malformed decision tree"):
        load_estimator(sio.dumps(model), "test")
    state["nodes"] = model.tree_.__getstate__()["nodes"].copy()
    state["nodes"]["left_child"][inner] = inner + 1
    state["nodes"]["feature"][0] = 7  # a feature the model does not take
    bad.__setstate__(state)
    with pytest.raises(UntrustedModelError, match="malformed decision tree"):
        load_estimator(sio.dumps(model), "test")


def test_training_refuses_an_estimator_whose_model_file_could_not_be_loaded(
        chain: Chain, cancer: Step) -> None:
    spec = chain.spec("knn", "train_sklearn",
                      {"estimator": "sklearn.neighbors.KNeighborsClassifier",
                       "estimator_params": {"algorithm": "kd_tree"}},
                      {"data": [cancer.out("data")]})
    with pytest.raises(InvalidInputError) as caught:
        run_spec(spec)
    assert "node 'knn'" in str(caught.value) and "KDTree" in str(caught.value)
    assert not (Path(spec["output_dir"]) / "model.skops").exists()


def test_a_zip_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("schema.json", "{not json")
    path, sha = write(tmp_path, "junk.skops", buffer.getvalue())
    with pytest.raises(UnusableInputError, match="skops"):
        load_model(path, sha, {"framework": "sklearn", **{k: v for k, v in LOGREG.items()
                                                           if k == "model_name"}})


# ---------------------------------------------------------------------- torch
def test_a_torch_checkpoint_holding_code_is_refused_without_running_it(
        mlp: Step, tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "unpickled.marker"

    class Booby:
        def __reduce__(self):  # noqa: ANN204 - pickle protocol
            return (open, (str(marker), "w"))

    checkpoint = torch.load(mlp.file("model"), weights_only=True)
    checkpoint["manifest"]["hook"] = Booby()
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    path, sha = write(tmp_path, "evil.pt", buffer.getvalue())
    with pytest.raises(UnusableInputError, match="not a readable workbench torch checkpoint"):
        load_model(path, sha, mlp.out("model")["meta"])
    assert not marker.exists()


def _exported_checkpoint(mlp: Step, tmp_path: Path, craft) -> tuple[Path, str]:  # noqa: ANN001
    """The MLP's checkpoint with an exported program whose archive ``craft`` rewrites."""
    import torch

    from workbench.engines.runtime.torch_support import export_network

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.linear = torch.nn.Linear(30, 2)

        def forward(self, x):  # noqa: ANN001, ANN202 - torch.export names the input x
            return self.linear(x)

    checkpoint = torch.load(mlp.file("model"), weights_only=True)
    blob = export_network(Net(), torch.zeros(4, 30))
    source = zipfile.ZipFile(io.BytesIO(blob))
    crafted = io.BytesIO()
    with zipfile.ZipFile(crafted, "w") as out:
        for name in source.namelist():
            out.writestr(name, craft(name, source.read(name)))
    checkpoint["exported_program"] = crafted.getvalue()
    buffer = io.BytesIO()
    torch.save(checkpoint, buffer)
    return write(tmp_path, "exported.pt", buffer.getvalue())


def test_an_exported_network_holding_a_pickle_is_refused_without_unpickling(
        mlp: Step, tmp_path: Path) -> None:
    import torch

    marker = tmp_path / "unpickled.marker"

    class Booby:
        def __reduce__(self):  # noqa: ANN204 - pickle protocol
            return (open, (str(marker), "w"))

    def craft(name: str, data: bytes) -> bytes:
        if name.endswith("_weights_config.json"):
            config = json.loads(data)
            first = next(iter(config["config"].values()))
            first["use_pickle"] = True
            return json.dumps(config).encode()
        if name.endswith("/data/weights/weight_0"):
            buffer = io.BytesIO()
            torch.save(Booby(), buffer)
            return buffer.getvalue()
        return data

    honest_path, honest_sha = _exported_checkpoint(mlp, tmp_path, lambda name, data: data)
    honest = load_model(honest_path, honest_sha, mlp.out("model")["meta"])
    assert honest.predict(pd.DataFrame(np.zeros((3, 30)), columns=honest.features)).shape == (3,)
    path, sha = _exported_checkpoint(mlp, tmp_path, craft)
    with pytest.raises(UntrustedModelError, match="pickled or custom objects") as caught:
        load_model(path, sha, mlp.out("model")["meta"])
    assert "was not loaded" in str(caught.value)
    assert not marker.exists()


def test_an_exported_network_naming_a_module_to_import_is_refused(mlp: Step,
                                                                  tmp_path: Path) -> None:
    def craft(name: str, data: bytes) -> bytes:
        if name.endswith("models/model.json"):
            doc = json.loads(data)
            doc["note"] = json.dumps({"__enum__": True, "fqn": "evilmod:Evil", "name": "A"})
            return json.dumps(doc).encode()
        return data

    path, sha = _exported_checkpoint(mlp, tmp_path, craft)
    with pytest.raises(UntrustedModelError, match="names Python objects to import"):
        load_model(path, sha, mlp.out("model")["meta"])


def test_the_same_training_writes_the_same_model_bytes_in_any_process(
        chain: Chain, cancer: Step, logreg: Step, tmp_path: Path) -> None:
    params = {**LOGREG, "estimator": "sklearn.ensemble.RandomForestClassifier",
              "estimator_params": {"n_estimators": 3}}
    first = chain.run("forest_a", "train_sklearn", params, {"data": [cancer.out("data")]})
    again = chain.run("forest_b", "train_sklearn", params, {"data": [cancer.out("data")]})
    assert first.out("model")["sha256"] == again.out("model")["sha256"]
    spec = chain.spec("forest_proc", "train_sklearn", params, {"data": [cancer.out("data")]})
    done = run_module(spec, tmp_path)
    assert done.returncode == 0, done.stderr
    assert sha256_bytes((Path(spec["output_dir"]) / "model.skops").read_bytes()) == \
        first.out("model")["sha256"]
    names = zipfile.ZipFile(first.file("model")).namelist()
    assert names[0] == "schema.json" and all(len(n) < 12 for n in names)  # no memory addresses



def test_loading_a_model_leaves_pytorch_alone_and_skops_trusts_the_same_types(tmp_path: Path) -> None:
    """A scoring step or a service that loads a scikit-learn model does not import torch (skops'
    listing of estimators used to, through scikit-learn's array-API shim: 1.1 s per step), and
    what skops trusts is what it trusts when imported plainly."""
    import subprocess

    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), [0, 0, 1, 1])
    dump_estimator(model, tmp_path / "model.skops", "test")
    listing = ("from skops.io._trusted_types import SKLEARN_ESTIMATOR_TYPE_NAMES as names\n"
               "print(' '.join(sorted(names)))")

    def python(code: str) -> list[str]:
        done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip().splitlines()

    state, trusted = python(
        "import sys\nfrom pathlib import Path\n"
        "from workbench.engines.runtime.sklearn_files import load_estimator\n"
        f"model = load_estimator(Path({str(tmp_path / 'model.skops')!r}).read_bytes(), 'm')\n"
        f"print('torch' in sys.modules, model.predict([[3.0]])[0])\n{listing}")
    (plainly,) = python(f"import skops.io\n{listing}")
    assert state == "False 1"
    assert len(trusted.split()) > 100 and "sklearn.linear_model._logistic.LogisticRegression" in trusted
    assert trusted == plainly
