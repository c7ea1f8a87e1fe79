"""Projects in the store, on SQLite and PostgreSQL: an older store's models, KPI series and
approval requests go to the default project on upgrade; a model, a request and a KPI series
belong to the project of their run; roles held in one project hold there only."""

from __future__ import annotations

import pytest
from sqlalchemy import text


def test_upgrading_puts_what_a_store_holds_in_the_default_project(store_url: str) -> None:
    from workbench.store import Store, open_store
    from workbench.store.migrate import upgrade

    older = Store(store_url)
    upgrade(older, "0011")
    with older.engine.begin() as conn:
        conn.execute(text("INSERT INTO model_versions (name, version, metrics, lineage, created_at, created_by) "
                          "VALUES ('churn', 1, '{}', '{}', 0, 'ada')"))
        conn.execute(text("INSERT INTO kpi_series (name, unit, description) VALUES ('revenue', 'EUR', '')"))
        conn.execute(text("INSERT INTO approval_requests (node_id, status, requested_by, created_at, evidence) "
                          "VALUES ('gate', 'open', 'ada', 0, '{}')"))
    before, after = upgrade(older)
    older.close()
    assert (before, after) == ("0011", "0012")
    store = open_store(store_url)
    try:
        with store.read() as uow:
            default = uow.projects.get("default")
            assert [p.name for p in uow.projects.all()] == ["default"]
            assert [m.project_id for m in uow.models.all()] == [default.id]
            assert [k.project_id for k in uow.kpis.all()] == [default.id]
            assert [r.project_id for r in uow.approvals.all()] == [default.id]
    finally:
        store.close()


def test_things_belong_to_the_project_of_their_run(store) -> None:  # noqa: ANN001
    with store.write("admin") as uow:
        credit = uow.projects.add("credit", "credit risk models")
        run = uow.runs.create(credit.id, None)
        model = uow.models.register("scorecard", artifact_id=None, run_id=run.id)
        again = uow.models.register("scorecard", artifact_id=None)  # a model keeps its project
        request = uow.approvals.request(model_version_id=model.id, run_id=None, node_id="gate")
        plain = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate")
        kpi = uow.kpis.ensure("defaults", project_id=credit.id)
    with store.read() as uow:
        default = uow.projects.get("default")
        assert model.project_id == again.project_id == request.project_id == kpi.project_id == credit.id
        assert plain.project_id == default.id
        assert [m.version for m in uow.models.all(project_id=credit.id)] == [1, 2]
        assert uow.models.all(project_id=default.id) == []
        assert [r.id for r in uow.approvals.all(project_id=credit.id)] == [request.id]
        assert [r.id for r in uow.runs.all(project_id=default.id)] == []
    with pytest.raises(Exception, match="belongs to another project"), store.write("admin") as uow:
        uow.kpis.ensure("defaults", project_id=default.id)


def test_roles_held_in_one_project_hold_there_only(store) -> None:  # noqa: ANN001
    from workbench.store.errors import ConflictError, NotFoundError

    with store.write("admin") as uow:
        credit = uow.projects.add("credit")
        marketing = uow.projects.add("marketing")
        rita = uow.users.add("rita", [])
        uow.users.add("olga", ["approver"])
        held = uow.users.grant_in("rita", "credit", ["approver", "analyst"])
    assert held == {"credit": ("analyst", "approver")}
    with store.read() as uow:
        assert uow.users.roles_in(rita, credit.id) == ("analyst", "approver")
        assert uow.users.roles_in(rita, marketing.id) == ()
        olga = uow.users.get("olga")
        assert uow.users.roles_in(olga, marketing.id) == ("approver",)  # a store-wide role holds everywhere
        assert uow.notifications.holders_of("approver", project_id=credit.id) == ["olga", "rita"]
        assert uow.notifications.holders_of("approver", project_id=marketing.id) == ["olga"]
        last = uow.audit.all()[-1]
    assert (last.action, last.subject, last.payload["project"], last.payload["roles"]) == \
        ("users.grant", "user:rita", "credit", ["analyst", "approver"])
    with store.write("admin") as uow:
        assert uow.users.revoke_in("rita", "credit", ["analyst"]) == {"credit": ("approver",)}
    with pytest.raises(ConflictError, match="does not hold the role analyst in project 'credit'"), \
            store.write("admin") as uow:
        uow.users.revoke_in("rita", "credit", ["analyst"])
    with pytest.raises(NotFoundError, match=r"no project named 'sales' in this store \(its projects: "
                                            r"credit, default, marketing\)"), store.write("admin") as uow:
        uow.users.grant_in("rita", "sales", ["approver"])


def test_only_an_empty_project_is_removed(store) -> None:  # noqa: ANN001
    from workbench.store.errors import ConflictError

    with store.write("admin") as uow:
        busy = uow.projects.add("busy")
        uow.projects.add("empty")
        uow.users.add("rita", [])
        uow.users.grant_in("rita", "empty", ["approver"])
        uow.runs.create(busy.id, None)
    with pytest.raises(ConflictError, match="project 'busy' holds 1 runs"), store.write("admin") as uow:
        uow.projects.remove("busy")
    with pytest.raises(ConflictError, match="default project cannot be removed"), store.write("admin") as uow:
        uow.projects.remove("default")
    with store.write("admin") as uow:
        uow.projects.remove("empty")
    with store.read() as uow:
        assert [p.name for p in uow.projects.all()] == ["busy", "default"]
        assert uow.users.project_roles("rita") == {}
        assert uow.audit.all()[-1].action == "projects.remove"
