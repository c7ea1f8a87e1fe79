"""The approver's evaluations (permutation importances, label-free estimates) load and score
the models in a child process: it is another process, without the store's URL or credentials
in its environment; Cancel kills it; a child that dies gives a clear error; a model refused as
untrusted reaches the approver with today's message; and the numbers equal the ones computed
in this process."""

from __future__ import annotations

import io
import os
import re
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from tests.support.planted import plant_module, skops_naming_planted_type
from workbench.engines.runtime.artifacts import sha256_bytes
from workbench.errors import WorkbenchError
from workbench.orchestrator.artifacts import ArtifactStore
from workbench.progress import Cancelled, Progress
from workbench.store import open_store

ME = "newcomer"


@pytest.fixture
def demo(demo_store: str):  # noqa: ANN201
    """The demo store open, and a request whose candidate is not its champion (both scored)."""
    store = open_store(demo_store)
    with store.read() as uow:
        requests = uow.approvals.all()
    request = next(r for r in requests if (r.evidence.get("champion") or {}).get("id") not in
                   (None, r.model_version_id))
    yield store, request
    store.close()


def _files(store, version_id: int) -> tuple[Path, str, dict, Path]:  # noqa: ANN001
    """A model version's file, sha256, meta and the dataset it was trained on."""
    with store.read() as uow:
        version = uow.models.get_by_id(version_id)
        model = uow.artifacts.get(version.artifact_id)
        dataset = next(a for a in uow.artifacts.ancestry(model.id) if a.kind == "dataset")
    artifacts = ArtifactStore.for_store(store.url)
    return artifacts.path(model.sha256), model.sha256, model.lineage["meta"], artifacts.path(dataset.sha256)


def _pid(text: str) -> int | None:
    found = re.search(r"separate process \(pid (\d+)\)", text)
    return int(found.group(1)) if found else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_importances_run_in_another_process_without_the_store_and_equal_the_in_process_ones(
        demo, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from workbench.engines.runtime.explain import permutation_importance
    from workbench.services.approvals import importances

    store, request = demo
    monkeypatch.setenv("WORKBENCH_STORE", store.url)
    monkeypatch.setenv("PGPASSWORD", "not-for-models")
    seen: dict[str, object] = {}
    steps: list[tuple[int, int, str]] = []

    def listener(done: int, total: int, text: str) -> None:
        steps.append((done, total, text))
        pid = _pid(text)
        if pid is not None:  # the child is working now: look at it
            proc = Path(f"/proc/{pid}")
            seen["pid"] = pid
            seen["cmdline"] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            seen["parent"] = int(next(line.split()[1] for line in (proc / "status").read_text().splitlines()
                                      if line.startswith("PPid:")))
            seen["environ"] = (proc / "environ").read_bytes().decode(errors="replace")

    items = importances(store, ME, request.id, progress=Progress(listener))
    pid = seen["pid"]
    assert pid != os.getpid() and seen["parent"] == os.getpid()
    assert "-m workbench.services.evaluation_child" in seen["cmdline"]
    assert store.url not in seen["cmdline"] and store.url not in seen["environ"]
    assert "PGPASSWORD" not in seen["environ"] and "WORKBENCH_STORE" not in seen["environ"]
    assert not _alive(pid)  # it ended with its work
    assert steps[-1][:2] == (len(items), len(items)) and steps[-1][2] == "done"
    assert any(text.startswith("shuffling") for _, _, text in steps)  # its steps reached us

    path, sha, meta, data = _files(store, request.model_version_id)
    here = permutation_importance(path, sha, meta, data, ArtifactStore.for_store(store.url).root)
    assert len(items) == len(here) >= 5
    assert [(i.feature, i.mean, i.std) for i in items] == [(i.feature, i.mean, i.std) for i in here]  # exactly


def test_label_free_estimates_from_the_child_equal_the_in_process_ones(demo) -> None:  # noqa: ANN001
    import pandas as pd

    from workbench.engines.runtime.explain import holdout_frame
    from workbench.engines.runtime.models import load_model
    from workbench.monitoring.cbpe import fit_cbpe
    from workbench.services.approvals import label_free

    store, request = demo
    steps: list[str] = []
    result = label_free(store, ME, request.id, progress=Progress(lambda d, t, text: steps.append(text)))
    assert [m.role for m in result.models] == ["candidate", "champion"] and result.note == ""
    assert any(_pid(text) for text in steps) and steps[-1] == "done"
    assert any(text.startswith("estimating the champion") for text in steps)

    production = _production(store, request.run_id)
    rows = pd.concat([pd.read_parquet(p) for p in production], ignore_index=True).tail(20_000)
    assert result.n_rows == len(rows)
    champion_id = request.evidence["champion"]["id"]
    for estimate, version_id in zip(result.models, (request.model_version_id, champion_id), strict=True):
        path, sha, meta, data = _files(store, version_id)
        predictor = load_model(path, sha, meta, ArtifactStore.for_store(store.url).root)
        holdout = holdout_frame(data, meta, 20_000)
        labels = (holdout[meta["target"]].astype(str) == str(predictor.classes[1])).to_numpy()
        cbpe = fit_cbpe(predictor.score(holdout), labels)
        assert estimate.calibration == cbpe.calibration and estimate.n_holdout == len(holdout)
        assert estimate.estimated == dict(cbpe.estimate(predictor.score(rows)).estimated)  # exactly
        assert estimate.holdout == dict(cbpe.reference.realised)


def _production(store, run_id: int) -> list[Path]:  # noqa: ANN001
    from workbench.services.approvals import _production_datasets

    with store.read() as uow:
        found = _production_datasets(uow, run_id)
    return [ArtifactStore.for_store(store.url).path(a.sha256) for a in found]


def test_cancel_kills_the_child_promptly_and_raises_cancelled(demo) -> None:  # noqa: ANN001
    from workbench.services.approvals import importances, label_free

    store, request = demo
    # Cancel while a step is reported (the UI's button between two features)
    pids: list[int] = []

    def at_feature_three(done: int, total: int, text: str) -> None:
        pids.extend(p for p in [_pid(text)] if p)
        if total and done == 2:
            assert _alive(pids[0])
            progress.cancel()

    progress = Progress(at_feature_three)
    with pytest.raises(Cancelled, match="cancelled by the user"):
        importances(store, ME, request.id, progress=progress)
    assert pids and not _alive(pids[0])

    # Cancel from another thread while the child works with no step in between
    pids.clear()
    quiet = Progress(lambda d, t, text: pids.extend(p for p in [_pid(text)] if p))
    pressed: list[float] = []

    def press() -> None:
        while not pids:
            time.sleep(0.01)
        time.sleep(0.3)
        pressed.append(time.monotonic())
        quiet.cancel()

    presser = threading.Thread(target=press)
    presser.start()
    with pytest.raises(Cancelled):
        label_free(store, ME, request.id, progress=quiet)
    stopped = time.monotonic() - pressed[0]
    presser.join()
    assert stopped < 1.0 and not _alive(pids[0])


@pytest.mark.parametrize(("sig", "said"), [(signal.SIGKILL, "SIGKILL"), (signal.SIGSEGV, "Segmentation fault")])
def test_a_child_that_dies_gives_a_clear_error(demo, sig: signal.Signals, said: str) -> None:  # noqa: ANN001
    from workbench.services.approvals import importances

    store, request = demo

    def kill(done: int, total: int, text: str) -> None:
        pid = _pid(text)
        if pid is not None:
            os.kill(pid, sig)

    with pytest.raises(WorkbenchError) as caught:
        importances(store, ME, request.id, progress=Progress(kill))
    message = str(caught.value)
    assert type(caught.value) is WorkbenchError
    assert f"approval request {request.id}" in message and "ended unexpectedly" in message
    assert f"was killed by signal {sig.name}" in message and said in message
    if sig == signal.SIGSEGV:  # the last lines of its error output: Python's report of the crash
        assert "Fatal Python error" in message


def test_an_untrusted_candidate_reaches_the_approver_with_todays_message(
        demo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    from workbench.engines.runtime.models import UntrustedModelError, load_model
    from workbench.services.approvals import importances, label_free

    store, request = demo
    marker = tmp_path / "imported.marker"
    plant_module(tmp_path, marker)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))  # the child could import it if it tried
    # the candidate's file replaced by one naming the planted type (its row re-pointed at it)
    path, sha, meta, _ = _files(store, request.model_version_id)
    crafted = io.BytesIO(skops_naming_planted_type(path))
    artifacts = ArtifactStore.for_store(store.url)
    evil_sha = sha256_bytes(crafted.getvalue())
    artifacts.path(evil_sha).parent.mkdir(parents=True, exist_ok=True)
    artifacts.path(evil_sha).write_bytes(crafted.getvalue())
    db = sqlite3.connect(store.url.removeprefix("sqlite:///"))
    with db:
        db.execute("UPDATE artifacts SET sha256 = ? WHERE sha256 = ? AND kind = 'model'", (evil_sha, sha))
    db.close()
    with pytest.raises(UntrustedModelError) as here:
        load_model(artifacts.path(evil_sha), evil_sha, meta, artifacts.root)

    for evaluation in (importances, label_free):
        with pytest.raises(UntrustedModelError) as caught:
            evaluation(store, ME, request.id)
        assert str(caught.value) == str(here.value) and "evilmod.Evil" in str(caught.value)
    assert not marker.exists()


def test_a_failure_inside_the_child_is_named_with_its_error_output() -> None:
    from workbench.services.evaluation_child import evaluate

    with pytest.raises(WorkbenchError) as caught:
        evaluate({"kind": "importances"}, where="approval request 7")  # no model in the job
    message = str(caught.value)
    assert message.startswith("approval request 7: evaluating the model failed: KeyError: 'model'")
    assert caught.value.hint.startswith("nothing was kept; the evaluation process's error output ends: ")
    assert 'model = job["model"]' in caught.value.hint and "^^^" not in caught.value.hint
