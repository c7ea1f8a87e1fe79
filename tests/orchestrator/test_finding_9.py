"""Finding 9 of the security review: a cached artifact changed on disk is not trusted. A run
that would reuse it runs the step again and says why in the step's log; a step whose input
file no longer hashes to its recorded sha256 fails, naming the artifact and its file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from tests.support.store_setup import cast_store, run_to_end, training_graph
from workbench.engines.runtime.step import run_spec
from workbench.errors import UnusableInputError
from workbench.orchestrator.artifacts import ArtifactStore


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_finding_9_a_changed_cached_artifact_is_not_reused(tmp_path: Path) -> None:
    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    graph = training_graph(tmp_path / "train.yaml", "cancer")
    assert run_to_end(store, "bob", graph) == "succeeded"
    with store.read() as uow:
        (first,) = uow.runs.all()
        data_step = uow.runs.latest_steps(first.id)["data"]
        (dataset_id,) = uow.runs.outputs(data_step.id)["data"]
        dataset = uow.artifacts.get(dataset_id)
    stored = ArtifactStore.for_store(store.url).path(dataset.sha256)
    original = stored.read_bytes()
    tampered = bytearray(original)
    tampered[len(tampered) // 2] ^= 0xFF  # same size, one byte changed
    stored.write_bytes(bytes(tampered))

    assert run_to_end(store, "bob", graph) == "succeeded"
    with store.read() as uow:
        second = max(uow.runs.all(), key=lambda r: r.id)
        step = uow.runs.latest_steps(second.id)["data"]
        log = "\n".join(line.line for line in uow.runs.logs(step.id))
    assert "cached_from" not in step.info, "the changed dataset was reused"
    assert f"artifact {dataset_id}" in log and str(stored) in log and "changed" in log
    assert _sha256(stored) == dataset.sha256, "running the step again restores the stored file"
    store.close()


def test_finding_9_a_step_refuses_an_input_that_changed_on_disk(tmp_path: Path) -> None:
    data = tmp_path / "ab12"
    pd.DataFrame({"x": [0.1, 0.5, 0.9, 0.3] * 5, "target": [0, 1, 1, 0] * 5}).to_parquet(data, index=False)
    recorded = _sha256(data)
    pd.DataFrame({"x": [9.0, 1.0] * 10, "target": [1, 0] * 10}).to_parquet(data, index=False)
    spec = {"node": {"id": "train", "kind": "train_sklearn", "params": {}},
            "inputs": {"data": [{"path": str(data), "sha256": recorded, "kind": "dataset",
                                 "meta": {"target": "target"}, "artifact_id": 7}]},
            "output_dir": str(tmp_path / "out"), "options": {}, "run": {}}
    with pytest.raises(UnusableInputError) as caught:
        run_spec(spec)
    message = str(caught.value)
    assert "artifact 7" in message and str(data) in message and "sha256" in message
    assert "node 'train'" in message
    assert not list((tmp_path / "out").glob("*.skops")) and not (tmp_path / "out" / "model").exists()


def test_finding_9_a_model_card_does_not_read_a_changed_dataset(tmp_path: Path) -> None:
    from workbench.services.reports import model_card_facts

    store = cast_store(f"sqlite:///{tmp_path / 'store.db'}")
    assert run_to_end(store, "bob", training_graph(tmp_path / "train.yaml", "cancer")) == "succeeded"
    with store.read() as uow:
        (run,) = uow.runs.all()
        (dataset_id,) = uow.runs.outputs(uow.runs.latest_steps(run.id)["data"].id)["data"]
        dataset = uow.artifacts.get(dataset_id)
    stored = ArtifactStore.for_store(store.url).path(dataset.sha256)
    frame = pd.read_parquet(stored)
    frame["target"] = 1 - frame["target"]  # labels flipped: a readable file, other content
    frame.to_parquet(stored, index=False)

    notes = " ".join(model_card_facts(store, "bob", "cancer", 1).notes)
    assert f"dataset artifact {dataset_id}" in notes and "changed on disk" in notes and str(stored) in notes
    store.close()
