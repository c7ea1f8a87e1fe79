"""The demo's second project: marketing holds its own graph, and its risk officer holds a role
there only — the desktop offers them marketing, and the credit project's requests refuse them."""

from __future__ import annotations

import pytest

from workbench.errors import PermissionDeniedError


def test_the_demo_has_a_marketing_project_with_its_own_risk_officer(demo_store: str) -> None:
    from workbench.demo.projects import GRAPH_NAME, MARKETING_OFFICER
    from workbench.services.graph_history import history, latest_saved
    from workbench.services.models import decide, list_approvals
    from workbench.services.projects import list_projects, my_projects, roles_of
    from workbench.store import open_store

    store = open_store(demo_store)
    try:
        assert [p.name for p in list_projects(store, "newcomer")] == ["default", "marketing"]
        assert [p.name for p in my_projects(store, MARKETING_OFFICER)] == ["marketing"]
        roles = roles_of(store, MARKETING_OFFICER)
        assert roles.everywhere == () and roles.in_project("marketing") == ("approver",)
        assert [v.version for v in history(store, MARKETING_OFFICER, GRAPH_NAME, project="marketing")] == [1]
        saved = latest_saved(store, MARKETING_OFFICER, project="marketing")
        assert saved is not None and saved.name == GRAPH_NAME
        credit = list_approvals(store, MARKETING_OFFICER, project="default")
        assert credit and list_approvals(store, MARKETING_OFFICER, project="marketing") == []
        with pytest.raises(PermissionDeniedError, match=f"'{MARKETING_OFFICER}' may not decide approval requests "
                                                        "in project 'default'"):
            decide(store, MARKETING_OFFICER, credit[0].id, "approved", "not mine to decide")
    finally:
        store.close()
