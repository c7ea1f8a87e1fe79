"""Roles per project through the services, on SQLite and PostgreSQL: a risk officer of one
project is refused on another project's approval request (the refusal names the action, the
role and the project) and decides their own project's; a store-wide role holds everywhere; a
scientist of one project runs graphs there only; listings show one project's things."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.store_setup import training_graph
from workbench.errors import PermissionDeniedError


@pytest.fixture
def people(store):  # noqa: ANN001, ANN201
    """credit and marketing; rita is a risk officer of credit only, olga of every project, sam a
    data scientist of marketing only; alice (scientist everywhere) asked for one approval in each."""
    from workbench.services.projects import add_person, add_project
    from workbench.services.users import add_user

    add_project(store, "admin", "credit", "credit risk models")
    add_project(store, "admin", "marketing")
    add_person(store, "admin", "rita", "credit", ["approver"])
    add_person(store, "admin", "sam", "marketing", ["scientist"])
    add_user(store, "admin", "olga", ["approver"])
    add_user(store, "admin", "alice", ["scientist"])
    requests = {}
    with store.write("alice") as uow:
        for name in ("credit", "marketing"):
            run = uow.runs.create(uow.projects.get(name).id, None)
            requests[name] = uow.approvals.request(model_version_id=None, run_id=run.id, node_id="gate").id
    return store, requests


def test_a_risk_officer_of_one_project_is_refused_on_another(people) -> None:  # noqa: ANN001
    from workbench.services.models import decide, list_approvals

    store, requests = people
    with pytest.raises(PermissionDeniedError) as refused:
        decide(store, "rita", requests["marketing"], "approved", "looks fine")
    assert str(refused.value).startswith(
        "'rita' may not decide approval requests in project 'marketing': it needs the role approver "
        "there (they hold no roles there)")
    assert "workbench users grant rita ROLE --project marketing" in refused.value.hint
    assert decide(store, "rita", requests["credit"], "approved", "limits hold").status == "approved"
    assert decide(store, "olga", requests["marketing"], "rejected", "not yet").status == "rejected"
    assert [r.id for r in list_approvals(store, "rita", project="credit")] == [requests["credit"]]
    assert [r.id for r in list_approvals(store, "rita", project="marketing")] == [requests["marketing"]]
    with store.read() as uow:
        decided = [(e.actor, e.action, e.subject) for e in uow.audit.all() if e.action.startswith("approvals.")]
    assert ("rita", "approvals.approve", f"approval:{requests['credit']}") in decided
    assert ("olga", "approvals.reject", f"approval:{requests['marketing']}") in decided


def test_a_scientist_of_one_project_runs_graphs_there_only(people, tmp_path: Path) -> None:  # noqa: ANN001
    from workbench.services.graph_history import save_graph
    from workbench.services.runs import list_runs, start_run

    store, _ = people
    graph_file = training_graph(tmp_path / "train.yaml", "uplift")
    run = start_run(store, "sam", graph_file, project="marketing", detach=False)
    with pytest.raises(PermissionDeniedError, match="'sam' may not start runs in project 'credit': it needs "
                                                    "the role scientist or engineer there"):
        start_run(store, "sam", graph_file, project="credit", detach=False)
    with pytest.raises(PermissionDeniedError, match="'sam' may not start runs in project 'default'"):
        start_run(store, "sam", graph_file, detach=False)  # the default project
    from workbench.graph import load

    with pytest.raises(PermissionDeniedError, match="'sam' may not save graphs in project 'credit'"):
        save_graph(store, "sam", load(graph_file), project="credit")
    with store.read() as uow:
        ids = {name: uow.projects.get(name).id for name in ("credit", "marketing")}
    marketing = list_runs(store, "sam", project="marketing")
    assert run.id == marketing[0].id and {r.project_id for r in marketing} == {ids["marketing"]}
    assert len(marketing) == 2  # sam's and alice's
    assert {r.project_id for r in list_runs(store, "sam", project="credit")} == {ids["credit"]}
    with pytest.raises(Exception, match="no project named 'sales'"):
        list_runs(store, "sam", project="sales")


def test_who_works_where(people) -> None:  # noqa: ANN001
    from workbench.services.projects import my_projects, roles_of

    store, _ = people
    assert [p.name for p in my_projects(store, "rita")] == ["credit"]
    assert [p.name for p in my_projects(store, "olga")] == ["credit", "default", "marketing"]
    assert roles_of(store, "rita").in_project("credit") == ("approver",)
    assert roles_of(store, "rita").in_project("marketing") == ()


def test_alerts_belong_to_their_runs_project(people) -> None:  # noqa: ANN001
    from workbench.services.monitoring import acknowledge_alert, list_alerts
    from workbench.services.projects import add_person

    store, _ = people
    add_person(store, "admin", "otto", "marketing", ["operator"])
    with store.write("alice") as uow:
        marketing_run = uow.runs.create(uow.projects.get("marketing").id, None)
        ours = uow.alerts.raise_alert("campaign/drift", "drift", "drift on age", marketing_run.id)
        theirs = uow.alerts.raise_alert("credit/drift", "drift", "drift on income")  # no run: default
    assert [a.id for a in list_alerts(store, "otto", project="marketing")] == [ours.id]
    assert [a.id for a in list_alerts(store, "otto", project="default")] == [theirs.id]
    with pytest.raises(PermissionDeniedError, match="'otto' may not acknowledge alerts in project 'default'"):
        acknowledge_alert(store, "otto", theirs.id)
    assert acknowledge_alert(store, "otto", ours.id).status == "acknowledged"
