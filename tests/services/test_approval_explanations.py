"""Issue 17: the approval's explanations and the champion's fairness, computed for the demo's
request that replaces the champion (candidate v3, gradient boosting; champion v1, logistic
regression), checked against the same figures computed here by hand."""

from __future__ import annotations

import numpy as np
import pytest

from workbench.store import open_store


def _replacing_request(store):  # noqa: ANN001, ANN202
    with store.read() as uow:
        return next(r for r in uow.approvals.all() if r.status == "approved" and r.evidence.get("champion")
                    and not r.evidence.get("candidate_is_champion"))


def _loaded(store, version_id: int):  # noqa: ANN001, ANN202
    from workbench.engines.runtime.models import load_model
    from workbench.orchestrator.artifacts import ArtifactStore

    artifacts = ArtifactStore.for_store(store.url)
    with store.read() as uow:
        version = uow.models.get_by_id(version_id)
        model = uow.artifacts.get(version.artifact_id)
        dataset = next(a for a in uow.artifacts.ancestry(model.id) if a.kind == "dataset")
    meta = model.lineage["meta"]
    return load_model(artifacts.path(model.sha256), model.sha256, meta, artifacts.root), meta, artifacts.path(dataset.sha256)


def test_explanations_of_candidate_and_champion_on_the_same_rows(demo_store: str) -> None:
    from workbench.engines.runtime.explain import holdout_frame, shap_explanation
    from workbench.progress import Progress
    from workbench.services.approvals import explanations

    store = open_store(demo_store)
    try:
        request = _replacing_request(store)
        steps: list[str] = []
        found = explanations(store, "newcomer", request.id, progress=Progress(lambda d, t, text: steps.append(text)))
        assert [m.role for m in found.models] == ["candidate", "champion"]
        assert any("champion" in text for text in steps)
        candidate, champion = found.models
        assert candidate.version == request.evidence["model"]["version"]
        assert champion.version == request.evidence["champion"]["version"]
        # both in probabilities (the logistic champion too), so the bars compare
        assert candidate.outputs == champion.outputs == ("probability of 1",)
        features = {s["feature"] for s in candidate.summary}
        assert features == {s["feature"] for s in champion.summary} and "debt_ratio" in features
        # the same numbers by hand, in this process, on the candidate's hold-out rows
        predictor, meta, data = _loaded(store, request.evidence["champion"]["id"])
        _, candidate_meta, candidate_data = _loaded(store, request.model_version_id)
        frame = holdout_frame(candidate_data, candidate_meta, 2000)
        by_hand = shap_explanation(predictor, frame, max_rows=200, seed=0, additive=False).summary()
        assert [s.feature for s in by_hand] == [s["feature"] for s in champion.summary]
        assert [s.mean_abs for s in by_hand] == pytest.approx([s["mean_abs"] for s in champion.summary], rel=1e-9)
        assert found.n_rows == len(frame)
    finally:
        store.close()


def test_the_champion_fairness_uses_the_rows_the_candidate_was_measured_on(demo_store: str) -> None:
    from workbench.monitoring.fairness import group_report
    from workbench.services.approvals import champion_fairness

    store = open_store(demo_store)
    try:
        request = _replacing_request(store)
        captured = request.evidence["fairness"]["channel"]
        found = champion_fairness(store, "newcomer", request.id)
        assert set(found) == {"channel"}
        report = found["channel"]
        # the same groups and row counts as the candidate's evaluation: the same rows
        assert {g: e["n"] for g, e in report["groups"].items()} == {g: e["n"] for g, e in captured["groups"].items()}
        # and the champion's own predictions on them, by hand
        from workbench.engines.runtime.explain import holdout_frame

        champion, _, _ = _loaded(store, request.evidence["champion"]["id"])
        _, meta, data = _loaded(store, request.model_version_id)
        rows = holdout_frame(data, meta, 10**9)
        expected = group_report(rows["default"].to_numpy(), list(champion.predict(rows)),
                                rows["channel"].astype(str).to_numpy(), positive=1, seed=0)
        assert report["demographic_parity_ratio"] == pytest.approx(expected["demographic_parity_ratio"])
        for group, entry in expected["groups"].items():
            assert report["groups"][group]["selection_rate"]["value"] == pytest.approx(entry["selection_rate"]["value"])
        assert not np.isclose(report["demographic_parity_ratio"], captured["demographic_parity_ratio"])
    finally:
        store.close()
