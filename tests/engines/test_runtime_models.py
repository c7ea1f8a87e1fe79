"""load_model: the sha256 is checked before anything is deserialised; predictors agree."""

from __future__ import annotations

import shutil
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest

from tests.engines.support import Chain, Step
from workbench.engines.runtime.artifacts import sha256_file
from workbench.engines.runtime.models import (
    EnsemblePredictor,
    ModelIntegrityError,
    SklearnPredictor,
    UntrustedModelError,
    load_model,
)
from workbench.errors import InvalidInputError, UnusableInputError


class Booby:
    """Unpickling this creates ``marker``: proof that a file was (or was not) unpickled."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def copy_of(step: Step, tmp_path: Path, port: str = "model") -> Path:
    target = tmp_path / Path(step.out(port)["path"]).name
    shutil.copyfile(step.out(port)["path"], target)
    return target


def test_a_flipped_byte_is_refused_naming_the_file_and_both_hashes(logreg: Step,
                                                                   tmp_path: Path) -> None:
    path = copy_of(logreg, tmp_path)
    expected = logreg.out("model")["sha256"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError) as caught:
        load_model(path, expected, logreg.out("model")["meta"])
    message = str(caught.value)
    assert str(path) in message and expected in message and sha256_file(path) in message


def test_a_swapped_pickle_is_never_unpickled(logreg: Step, tmp_path: Path) -> None:
    marker = tmp_path / "unpickled.marker"
    evil = tmp_path / "evil.joblib"
    joblib.dump(Booby(marker), evil)
    # registered under the honest model's hash it is refused before anything is read ...
    with pytest.raises(ModelIntegrityError, match="sha256 mismatch"):
        load_model(evil, logreg.out("model")["sha256"], logreg.out("model")["meta"])
    # ... and under its own hash it is refused as a pickle: a model file is never unpickled
    with pytest.raises(UntrustedModelError, match="pickle") as caught:
        load_model(evil, sha256_file(evil), {"framework": "sklearn"})
    assert "retrain" in (caught.value.hint or "") or "training node" in str(caught.value)
    assert not marker.exists()


def test_no_expected_hash_means_no_loading(logreg: Step) -> None:
    with pytest.raises(ModelIntegrityError, match="no expected sha256"):
        load_model(logreg.out("model")["path"], "", logreg.out("model")["meta"])


def test_tampered_torch_checkpoint_is_refused(mlp: Step, tmp_path: Path) -> None:
    path = copy_of(mlp, tmp_path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError):
        load_model(path, mlp.out("model")["sha256"], mlp.out("model")["meta"])


def test_ensemble_members_are_verified_in_the_store(chain: Chain, logreg: Step, mlp: Step,
                                                    tmp_path: Path) -> None:
    ens = chain.run("ens_verify", "ensemble", {},
                    {"models": [logreg.out("model"), mlp.out("model")]})
    root = tmp_path / "store"
    shutil.copytree(chain.artifact_root, root)
    predictor = load_model(ens.out("model")["path"], ens.out("model")["sha256"],
                           ens.out("model")["meta"], artifact_root=root)
    assert isinstance(predictor, EnsemblePredictor) and len(predictor.members) == 2
    member = root / logreg.out("model")["sha256"][:2] / logreg.out("model")["sha256"]
    joblib.dump(Booby(tmp_path / "member.marker"), member)
    with pytest.raises(ModelIntegrityError, match=logreg.out("model")["sha256"]):
        load_model(ens.out("model")["path"], ens.out("model")["sha256"],
                   ens.out("model")["meta"], artifact_root=root)
    assert not (tmp_path / "member.marker").exists()
    with pytest.raises(UnusableInputError, match="artifact root"):
        load_model(ens.out("model")["path"], ens.out("model")["sha256"],
                   ens.out("model")["meta"])


def test_predictor_interface_and_soft_vote(chain: Chain, cancer: Step, logreg: Step,
                                           mlp: Step) -> None:
    frame = pd.read_parquet(cancer.file("data")).iloc[:50]
    lr = load_model(logreg.out("model")["path"], logreg.out("model")["sha256"],
                    logreg.out("model")["meta"])
    nn = load_model(mlp.out("model")["path"], mlp.out("model")["sha256"],
                    mlp.out("model")["meta"])
    assert isinstance(lr, SklearnPredictor)
    assert lr.features == nn.features and lr.task == nn.task == "classification"
    assert lr.classes == nn.classes == (0, 1)
    p_lr, p_nn = lr.predict_proba(frame), nn.predict_proba(frame)
    assert p_lr.shape == p_nn.shape == (50,)
    np.testing.assert_allclose(lr.score(frame), p_lr)
    assert set(np.unique(lr.predict(frame))) <= {0, 1}
    ens = chain.run("ens_vote", "ensemble", {},
                    {"models": [logreg.out("model"), mlp.out("model")]})
    both = load_model(ens.out("model")["path"], ens.out("model")["sha256"],
                      ens.out("model")["meta"], artifact_root=chain.artifact_root)
    np.testing.assert_allclose(both.predict_proba(frame), (p_lr + p_nn) / 2)
    np.testing.assert_array_equal(both.predict(frame), (both.predict_proba(frame) >= 0.5))


def test_missing_feature_columns_are_named(logreg: Step, cancer: Step) -> None:
    lr = load_model(logreg.out("model")["path"], logreg.out("model")["sha256"],
                    logreg.out("model")["meta"])
    frame = pd.read_parquet(cancer.file("data")).drop(columns=["mean radius"])
    with pytest.raises(InvalidInputError, match="mean radius"):
        lr.predict(frame)
