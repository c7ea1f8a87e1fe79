"""Projects from the command line, on a SQLite file and on a real PostgreSQL where each person
signs in with their own login and password: an admin adds projects and a risk officer of credit
only; that officer is refused on marketing's approval request and decides credit's; --project
and $WORKBENCH_PROJECT choose what lists show; a project the store lacks is an error. On
PostgreSQL the database refuses the same decision made in plain SQL."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.cli import no_traceback, workbench
from tests.support.logins import as_login, know_password, sign_in


def _as(url: str, name: str, *args: str, stdin: str | None = None, env: dict[str, str] | None = None):  # noqa: ANN202
    argv, login_env = sign_in(url, name)
    return workbench(*argv, *args, env={**login_env, **(env or {})}, stdin=stdin)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def projects(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The store URL and alice's approval request in each project (credit, marketing)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('projects') / 'store.db'}"
        init = workbench("--store", url, "--user", "ada", "init", env={"WORKBENCH_USER": "ada"})
    else:
        url = request.getfixturevalue("postgres_server").create_database()
        init = workbench("--store", url, "--user", "ada", "init", "--admin-password-stdin",
                         stdin=know_password(url, "ada") + "\n", env={"WORKBENCH_USER": "ada"})
    assert init.returncode == 0, init.stderr
    for name in ("credit", "marketing"):
        added = _as(url, "ada", "projects", "add", name)
        assert added.returncode == 0, added.stderr
    rita = _as(url, "ada", "users", "add", "rita", "--role", "approver", "--project", "credit",
               *(["--password-stdin"] if url.startswith("postgresql") else []), stdin=know_password(url, "rita") + "\n")
    assert rita.returncode == 0, rita.stderr
    assert "added rita (approver in project credit only)" in rita.stdout
    alice = _as(url, "ada", "users", "add", "alice", "--role", "scientist",
                *(["--password-stdin"] if url.startswith("postgresql") else []), stdin=know_password(url, "alice") + "\n")
    assert alice.returncode == 0, alice.stderr
    from workbench.services.session import open_session

    session = open_session(as_login(url, "alice"), "alice")
    requests = {}
    with session.store.write("alice") as uow:
        for name in ("credit", "marketing"):
            run = uow.runs.create(uow.projects.get(name).id, None)
            requests[name] = uow.approvals.request(model_version_id=None, run_id=run.id, node_id="gate",
                                                   evidence={"model": {"name": name, "version": 1}}).id
    session.close()
    return url, requests


def test_a_risk_officer_of_credit_is_refused_on_marketing(projects) -> None:  # noqa: ANN001
    url, requests = projects
    refused = _as(url, "rita", "approve", str(requests["marketing"]), "--reason", "fine by me")
    assert refused.returncode == 3 and no_traceback(refused)
    assert ("'rita' may not decide approval requests in project 'marketing': it needs the role approver there"
            in refused.stderr)
    assert "workbench users grant rita ROLE --project marketing" in refused.stderr
    decided = _as(url, "rita", "approve", str(requests["credit"]), "--reason", "limits hold")
    assert decided.returncode == 0, decided.stderr
    assert f"approval request {requests['credit']} approved by rita" in decided.stdout
    audit = _as(url, "ada", "audit", "list", "--json", "--limit", "1000")
    assert audit.returncode == 0, audit.stderr
    assert '"users.grant"' in audit.stdout and '"projects.add"' in audit.stdout


def test_the_project_chooses_what_lists_show(projects) -> None:  # noqa: ANN001
    url, requests = projects
    marketing = _as(url, "rita", "--project", "marketing", "approvals", "list")
    assert marketing.returncode == 0, marketing.stderr
    ids = [line.split()[0] for line in marketing.stdout.splitlines()[1:]]
    assert ids == [str(requests["marketing"])]
    credit = _as(url, "rita", "approvals", "list", env={"WORKBENCH_PROJECT": "credit"})
    assert [line.split()[0] for line in credit.stdout.splitlines()[1:]] == [str(requests["credit"])]
    default = _as(url, "rita", "runs", "list")
    assert default.returncode == 0 and "no runs in project default" in default.stdout
    missing = _as(url, "rita", "--project", "sales", "runs", "list")
    assert missing.returncode == 1 and no_traceback(missing)
    assert "no project named 'sales' in this store (its projects: credit, default, marketing)" in missing.stderr
    mine = _as(url, "rita", "projects", "mine")
    assert mine.returncode == 0 and [line.split() for line in mine.stdout.splitlines()[1:]] == [["credit", "approver"]]
    people = _as(url, "ada", "users", "list")
    assert "rita  approver in credit" in people.stdout.replace("   ", "  ")


def test_only_an_admin_manages_projects_and_project_roles(projects) -> None:  # noqa: ANN001
    url, _ = projects
    for args in (("projects", "add", "sales"), ("users", "grant", "rita", "approver", "--project", "marketing")):
        refused = _as(url, "rita", *args)
        assert refused.returncode == 3 and "may not manage users and projects" in refused.stderr
    granted = _as(url, "ada", "users", "grant", "alice", "operator", "--project", "marketing")
    assert granted.returncode == 0 and "alice now holds operator in project marketing" in granted.stdout
    revoked = _as(url, "ada", "users", "revoke", "alice", "operator", "--project", "marketing")
    assert revoked.returncode == 0 and "alice now holds no role in project marketing only" in revoked.stdout
    again = _as(url, "ada", "users", "revoke", "alice", "operator", "--project", "marketing")
    assert again.returncode == 1 and "does not hold the role operator in project 'marketing'" in again.stderr


def _sql(url: str, login: str) -> psycopg.Connection:
    parsed = make_url(as_login(url, login))
    return psycopg.connect(host=parsed.host, port=parsed.port, dbname=parsed.database, user=login,
                           autocommit=True)


def test_on_postgresql_the_database_refuses_the_other_projects_decision(projects) -> None:  # noqa: ANN001
    url, requests = projects
    if not url.startswith("postgresql"):
        return  # the embedded store has no logins: the services' refusal above is its rule
    with _sql(url, "rita") as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="not one in the project"):
            conn.execute("INSERT INTO approval_decisions (request_id, decision, reason, decided_by, decided_at) "
                         f"VALUES ({requests['marketing']}, 'approved', 'fine', 'rita', 0)")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("INSERT INTO project_roles (user_id, project_id, role) SELECT u.id, p.id, 'approver' "
                         "FROM users u, projects p WHERE u.name = 'rita' AND p.name = 'marketing'")
