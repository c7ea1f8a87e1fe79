"""The approval evidence parse (``governance.evidence``): a full evidence dict as the gate
stores it today, and an old-shaped one (keys missing, as older stores hold them)."""

from __future__ import annotations

import dataclasses

import pytest

from workbench.governance.evidence import DatasetRef, Evidence, ModelSummary, PolicyCheck

REPORT = {"demographic_parity_ratio": 0.82, "equalized_odds_difference": 0.07,
          "groups": {"F": {"n": 40}, "M": {"n": 60}}, "between": {}}
FULL = {
    "captured_at": 1_700_000_000_000,
    "model": {"name": "churn", "version": 3, "id": 12, "metrics": {"accuracy": 0.91, "f1": 0.88, "n_test": 14, "note": "x"},
              "trained_by": "ada", "trained_at": 1_699_000_000_000,
              "confusion_matrix": {"labels": [0, 1], "matrix": [[5, 1], [2, 7]]},
              "lineage": {"graph": "churn-graph", "params": {"max_depth": 4}}},
    "champion": {"name": "churn", "version": 2, "id": 9, "metrics": {"accuracy": 0.89},
                 "trained_by": "bob", "trained_at": 1_698_000_000_000, "confusion_matrix": None},
    "fairness": {"gender": REPORT},
    "candidate_is_champion": False,
    "deltas": {"accuracy": 0.02},
    "evaluation": {"accuracy": 0.91, "confusion_matrix": {"labels": [0, 1], "matrix": [[5, 1], [2, 7]]}},
    "datasets": [{"artifact_id": 4, "sha256": "ab" * 32, "source": "customers.csv", "source_sha256": "cd" * 32,
                  "rows": 1000}],
    "policies": [{"name": "demographic-parity ratio ≥ 0.8", "holds": True, "detail": "gender: 0.820"}],
    "approver_role": "risk_officer",
    "seed": 7,
}


def test_a_full_evidence_dict_parses_into_typed_values() -> None:
    evidence = Evidence.from_json(FULL)
    assert evidence.model == ModelSummary(
        name="churn", version=3, id=12, metrics={"accuracy": 0.91, "f1": 0.88, "n_test": 14}, trained_by="ada",
        trained_at=1_699_000_000_000, confusion_matrix={"labels": [0, 1], "matrix": [[5, 1], [2, 7]]},
        lineage={"graph": "churn-graph", "params": {"max_depth": 4}})
    assert isinstance(evidence.model.metrics["n_test"], int)  # a count stays a count
    assert evidence.champion is not None
    assert (evidence.champion.version, evidence.champion.id, evidence.champion.confusion_matrix) == (2, 9, None)
    assert evidence.captured_at == 1_700_000_000_000
    assert evidence.deltas == {"accuracy": 0.02}
    assert evidence.datasets == (DatasetRef(4, "ab" * 32, "customers.csv", "cd" * 32, 1000),)
    assert evidence.policies == (PolicyCheck("demographic-parity ratio ≥ 0.8", True, "gender: 0.820"),)
    assert evidence.fairness_columns == ["gender"]
    figure = evidence.fairness[0]
    assert (figure.parity_ratio, figure.equalized_odds_difference, figure.report) == (0.82, 0.07, REPORT)
    assert (evidence.approver_role, evidence.seed, evidence.candidate_is_champion) == ("risk_officer", 7, False)
    with pytest.raises(dataclasses.FrozenInstanceError):
        evidence.seed = 1  # type: ignore[misc]


def test_an_old_shaped_evidence_dict_gets_defaults() -> None:
    # as stored before the champion, the matrices, fairness, policies and the gate's role were captured
    old = {"model": {"name": "churn", "version": "2", "metrics": {"accuracy": 0.8}},
           "deltas": {}, "evaluation": {}, "datasets": [{"sha256": "ab" * 32}]}
    evidence = Evidence.from_json(old)
    assert (evidence.model.name, evidence.model.version, evidence.model.id) == ("churn", 2, None)
    assert evidence.model.confusion_matrix is None and evidence.model.lineage == {}
    assert evidence.champion is None and evidence.captured_at is None
    assert evidence.datasets == (DatasetRef(sha256="ab" * 32),)
    assert evidence.fairness == () and evidence.policies == ()
    assert (evidence.approver_role, evidence.seed) == ("approver", 0)


def test_empty_or_malformed_evidence_never_raises() -> None:
    assert Evidence.from_json({}) == Evidence()
    assert Evidence.from_json(None) == Evidence()
    odd = Evidence.from_json({"model": "churn", "champion": {}, "datasets": ["x"], "fairness": {"gender": 1},
                              "policies": [None], "seed": "n/a", "deltas": {"accuracy": "high"}})
    assert odd == Evidence()
