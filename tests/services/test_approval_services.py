"""The risk officer's slow evidence, computed for a real approval request: label-free (CBPE)
estimates on the data the graph's inference step scores, and permutation importances that
report progress and stop when cancelled."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from tests.support.store_setup import cast_store
from workbench.graph import load_template, save
from workbench.progress import Cancelled, Progress


@pytest.fixture(scope="module")
def waiting(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """A store with the approval template's run waiting at its gate (rejected at the end)."""
    from workbench.orchestrator.runner import RunDriver
    from workbench.services.models import decide
    from workbench.services.runs import start_run

    folder = tmp_path_factory.mktemp("approvals")
    store = cast_store(f"sqlite:///{folder / 'store.db'}")
    save(load_template("approval"), folder / "approval.yaml")
    run = start_run(store, "bob", folder / "approval.yaml", detach=False)
    driver = threading.Thread(target=lambda: RunDriver(store, run.id, poll_s=0.2).drive())
    driver.start()
    deadline = time.monotonic() + 120
    requests: list = []
    while not requests and time.monotonic() < deadline:
        time.sleep(0.2)
        with store.read() as uow:
            requests = uow.approvals.all(status="open")
    assert requests, "the run never reached its approval gate"
    yield store, requests[0]
    decide(store, "rita", requests[0].id, "rejected", "test over")
    driver.join(timeout=120)
    store.close()


def test_label_free_estimates_match_cbpe_on_the_scored_data(waiting) -> None:  # noqa: ANN001
    import pandas as pd

    from workbench.engines.runtime.explain import holdout_frame
    from workbench.engines.runtime.models import load_model
    from workbench.monitoring.cbpe import fit_cbpe
    from workbench.orchestrator.artifacts import ArtifactStore
    from workbench.services.approvals import label_free

    store, request = waiting
    steps: list[tuple[int, int, str]] = []
    result = label_free(store, "rita", request.id, progress=Progress(lambda *s: steps.append(s)))
    assert [m.role for m in result.models] == ["candidate"]  # no champion yet
    assert result.n_rows == 569 and result.note == ""  # the breast cancer rows the score step reads
    estimate = result.models[0]
    assert estimate.calibration in ("isotonic", "none") and estimate.n_holdout > 50
    assert set(estimate.estimated) == {"accuracy", "precision", "recall", "f1", "roc_auc"}
    assert steps[-1][2] == "done" and any("candidate" in text for _, _, text in steps)

    # the same numbers by hand: calibrate on the hold-out rows, estimate on the scored rows
    with store.read() as uow:
        version = uow.models.get_by_id(request.model_version_id)
        model = uow.artifacts.get(version.artifact_id)
        dataset = next(a for a in uow.artifacts.ancestry(model.id) if a.kind == "dataset")
    artifacts = ArtifactStore.for_store(store.url)
    meta = model.lineage["meta"]
    predictor = load_model(artifacts.path(model.sha256), model.sha256, meta, artifacts.root)
    holdout = holdout_frame(artifacts.path(dataset.sha256), meta, 20_000)
    labels = (holdout[meta["target"]].astype(str) == str(predictor.classes[1])).to_numpy()
    cbpe = fit_cbpe(predictor.score(holdout), labels)
    production = pd.read_parquet(artifacts.path(dataset.sha256))
    expected = cbpe.estimate(predictor.score(production)).estimated
    for metric, value in expected.items():
        assert estimate.estimated[metric] == pytest.approx(value, rel=1e-12)
    assert estimate.holdout["accuracy"] == pytest.approx(
        float(np.mean((predictor.score(holdout) >= 0.5) == labels)), rel=1e-12)


def test_importances_report_each_feature_and_stop_when_cancelled(waiting) -> None:  # noqa: ANN001
    from workbench.services.approvals import importances

    store, request = waiting
    with pytest.raises(Cancelled):
        stopped = Progress()
        stopped.cancel()
        importances(store, "rita", request.id, progress=stopped)

    seen: list[int] = []

    def listener(done: int, total: int, _: str) -> None:
        seen.append(done)
        if done == 2:
            progress.cancel()  # the user presses Cancel while feature 3 is shuffled

    progress = Progress(listener)
    with pytest.raises(Cancelled):
        importances(store, "rita", request.id, progress=progress)
    assert max(seen) == 2  # it stopped at the next step, not at the end

    steps: list[tuple[int, int]] = []
    items = importances(store, "rita", request.id, progress=Progress(lambda d, t, _: steps.append((d, t))))
    assert len(items) == 30 and steps[-1] == (30, 30)  # the breast cancer data has 30 features
    assert items[0].mean >= items[-1].mean


def test_the_request_carries_the_confusion_matrix_of_its_classifier(waiting) -> None:  # noqa: ANN001
    """The approval template feeds no evaluation to the gate: the matrix comes from the
    training step's metrics file, frozen into the request."""
    from workbench.services.approvals import details

    store, request = waiting
    frozen = request.evidence["model"]["confusion_matrix"]
    assert frozen["labels"] == [0, 1] and request.created_at - 60_000 <= request.evidence["captured_at"] <= request.created_at  # captured, then requested
    shown = details(store, "rita", request.id)
    assert shown.candidate_matrix == frozen and shown.champion_matrix is None
    cells = [v for row in frozen["matrix"] for v in row]
    assert all(isinstance(v, int) for v in cells) and sum(cells) == request.evidence["model"]["metrics"]["n_test"]
    assert not shown.candidate_is_champion
