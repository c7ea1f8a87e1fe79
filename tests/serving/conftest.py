"""A store with a real champion and challenger, built once per session by the real pipeline,
and copied for each test that serves from it.

The build runs the training part (data → train → approve → promote) of the approval template
(logistic regression → approved → champion, version 1) and then of the canary template
(gradient boosting → approved → challenger, version 2), each driven in-process by
``RunDriver`` while rita approves the open request. The scoring and comparator nodes are left
out of the build: serving them is what the tests do.
"""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tests.serving.helpers import Built, Served
from tests.support.store_setup import cast_store
from workbench.store import Store, open_store

TEMPLATES = ("approval", "canary")
TRAINING_NODES = {"data", "train", "approve", "promote"}


def _drive(store: Store, graph_file: Path) -> str:
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.models import decide, list_approvals
    from workbench.services.runs import start_run

    run = start_run(store, "bob", graph_file, detach=False)
    outcome: dict[str, Any] = {}

    def drive() -> None:
        try:
            outcome["status"] = RunDriver(store, run.id, poll_s=0.2).drive()
        except BaseException as exc:  # reported below
            outcome["error"] = exc

    thread = threading.Thread(target=drive, daemon=True)
    thread.start()
    deadline = time.monotonic() + 300
    while thread.is_alive() and time.monotonic() < deadline:
        for request in list_approvals(store, "rita", "open"):
            if request.run_id == run.id:
                decide(store, "rita", request.id, "approved", "fine for the serving tests")
        time.sleep(0.2)
    thread.join(1)
    if "error" in outcome:
        raise outcome["error"]
    if outcome.get("status") != "succeeded":
        with store.read() as uow:
            steps = uow.runs.steps(run.id)
        failed = [(s.node_id, s.status, s.error[:500]) for s in steps if s.status != "succeeded"]
        raise AssertionError(f"{graph_file.name}: run {run.id} ended {outcome.get('status')!r}: "
                             f"{failed}")
    return outcome["status"]


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    from workbench.graph import load_template, save

    folder = tmp_path_factory.mktemp("serving-store")
    store = cast_store(f"sqlite:///{folder / 'store.db'}")
    try:
        for name in TEMPLATES:
            save(load_template(name), folder / f"{name}.yaml")
            # only what makes the models: data → train → approve → promote
            trimmed = load_template(name)
            for node_id in [n for n in trimmed.nodes if n not in TRAINING_NODES]:
                trimmed.remove_node(node_id)
            save(trimmed, folder / f"{name}-training.yaml")
            _drive(store, folder / f"{name}-training.yaml")
        with store.read() as uow:
            champion = uow.models.by_alias("breast_cancer", "champion")
            challenger = uow.models.by_alias("breast_cancer", "challenger")
            assert champion is not None and challenger is not None
            assert (champion.version, challenger.version) == (1, 2)
            model = uow.artifacts.get(champion.artifact_id)
        data_sha = model.lineage["meta"]["data_sha256"]
        shutil.copy(folder / "store-artifacts" / data_sha[:2] / data_sha, folder / "data.parquet")
    finally:
        store.close()
    return Built(folder)


@pytest.fixture
def served(built: Built, tmp_path: Path) -> Iterator[Served]:
    folder = tmp_path / "served"
    folder.mkdir()
    shutil.copy(built.db, folder / "store.db")
    shutil.copytree(built.artifacts, folder / "store-artifacts")
    for name in TEMPLATES:
        shutil.copy(built.folder / f"{name}.yaml", folder / f"{name}.yaml")
    shutil.copy(built.folder / "data.parquet", folder / "data.parquet")
    frame = pd.read_parquet(folder / "data.parquet")
    frame.to_csv(folder / "data.csv", index=False)
    url = f"sqlite:///{folder / 'store.db'}"
    store = open_store(url)
    yield Served(url, store, folder, folder / "canary.yaml", folder / "data.parquet",
                 folder / "data.csv")
    store.close()
