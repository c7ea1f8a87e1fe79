"""Shared, module-wide chains: the breast-cancer data set and the models trained on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.engines.support import Chain, Step

LOGREG = {"estimator": "sklearn.linear_model.LogisticRegression",
          "estimator_params": {"max_iter": 5000}, "model_name": "bc_logreg"}
MLP = {"hidden_sizes": [16], "epochs": 4, "learning_rate": 0.01, "device": "cpu",
       "model_name": "bc_mlp"}


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    return Chain(Path(tmp_path_factory.mktemp("chain")))


@pytest.fixture(scope="session")
def cancer(chain: Chain) -> Step:
    return chain.run("data", "data_source", {"format": "builtin", "builtin": "breast_cancer"})


@pytest.fixture(scope="session")
def logreg(chain: Chain, cancer: Step) -> Step:
    return chain.run("train_lr", "train_sklearn", LOGREG, {"data": [cancer.out("data")]})


@pytest.fixture(scope="session")
def mlp(chain: Chain, cancer: Step) -> Step:
    return chain.run("train_mlp", "train_torch", MLP, {"data": [cancer.out("data")]})
