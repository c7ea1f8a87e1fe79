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


def test_label_free_prints_the_estimates_label_free_computes(demo_store: str) -> None:
    from workbench.services.approvals import label_free

    request = next(r for r in _requests(demo_store) if r.evidence.get("champion"))
    store = open_store(demo_store)
    try:
        expected = label_free(store, "newcomer", request.id)
    finally:
        store.close()
    candidate = next(m for m in expected.models if m.role == "candidate")
    assert candidate.method == "CBPE" and candidate.estimated

    out = run_ok("--store", demo_store, "--user", "newcomer", "approvals", "show", str(request.id),
                 "--label-free").stdout
    part = out[out.index("label-free estimates:"):]
    assert part.startswith(f"label-free estimates: {expected.n_rows} production row(s) without labels")
    for model in expected.models:
        assert (f"{model.role} v{model.version}: {model.method}" in part
                and f"on {model.n_holdout} labelled row(s)" in part)
    block = part[part.index(f"candidate v{candidate.version}"):]
    for metric, value in candidate.estimated.items():
        line = next(line for line in block.splitlines() if line.split()[:1] == [metric])
        held = candidate.holdout.get(metric)
        assert line.split()[1:] == [f"{value:.4f}", f"{held:.4f}" if held is not None else "–"], line

    shown = json.loads(run_ok("--store", demo_store, "--user", "newcomer", "approvals", "show",
                              str(request.id), "--label-free", "--json").stdout)
    got = shown["label_free"]
    assert got["n_rows"] == expected.n_rows and got["production"] == expected.production
    by_role = {m["role"]: m for m in got["models"]}
    assert by_role["candidate"]["method"] == "CBPE"
    assert by_role["candidate"]["estimated"] == candidate.estimated
