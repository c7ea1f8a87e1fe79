"""``workbench approvals show ID`` gives a risk officer at a terminal what the approval dialog
shows: the candidate against the champion, policies, fairness per group with intervals and, on
request, both models' SHAP summaries — read from the demo's real requests."""

from __future__ import annotations

import json

from tests.support.cli import run_ok, workbench
from workbench.store import open_store


def _requests(url: str) -> list:  # noqa: ANN001
    store = open_store(url)
    try:
        with store.read() as uow:
            return uow.approvals.all()
    finally:
        store.close()


def test_show_prints_metrics_fairness_and_explanations_of_a_demo_request(demo_store: str) -> None:
    request = next(r for r in _requests(demo_store) if r.evidence.get("champion") and r.evidence.get("fairness"))
    fairness = request.evidence["fairness"]["channel"]
    out = run_ok("--store", demo_store, "--user", "newcomer", "approvals", "show", str(request.id),
                 "--explain").stdout
    assert f"approval request {request.id} ({request.status})" in out
    assert "hold-out metrics (champion: v" in out and "accuracy" in out
    assert f"demographic-parity ratio {fairness['demographic_parity_ratio']:.4f}" in out
    for group, figures in fairness["groups"].items():
        line = next(line for line in out.splitlines() if line.startswith(group + " "))
        assert f"{figures['selection_rate']['value']:.4f} [{figures['selection_rate']['low']:.4f}" in line
    assert "explanations: mean |SHAP| on" in out and "candidate v" in out
    assert "higher raises" in out or "higher lowers" in out

    shown = json.loads(run_ok("--store", demo_store, "--user", "newcomer", "approvals", "show",
                              str(request.id), "--json").stdout)
    assert shown["evidence"] == request.evidence and shown["status"] == request.status
    assert "explanations" not in shown  # only with --explain: it computes


def test_show_of_a_request_that_does_not_exist_says_so(demo_store: str) -> None:
    result = workbench("--store", demo_store, "--user", "newcomer", "approvals", "show", "999")
    assert result.returncode != 0 and "999" in result.stderr
