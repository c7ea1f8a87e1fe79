"""Issue 12 on a real PostgreSQL that checks passwords: who acts is the login, and the database
itself refuses what the services refuse — plain SQL cannot route around a rule.

People: ada (admin), alice (scientist), rita (approver), ann (analyst); alice requests an
approval. Each signs in with their own login and password, as on a shared server.
"""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from tests.support.cli import no_traceback, workbench
from tests.support.logins import as_login, know_password, sign_in


def _as(url: str, name: str, *args: str, stdin: str | None = None):  # noqa: ANN202
    argv, env = sign_in(url, name)
    return workbench(*argv, *args, env=env, stdin=stdin)


def _sql(url: str, login: str) -> psycopg.Connection:
    parsed = make_url(as_login(url, login))
    return psycopg.connect(host=parsed.host, port=parsed.port, dbname=parsed.database, user=login,
                           autocommit=True)


@pytest.fixture(scope="module")
def people(postgres_server) -> tuple[str, int]:  # noqa: ANN001
    """The store URL (as the database's administrator) and alice's open approval request."""
    url = postgres_server.create_database()
    init = workbench("--store", url, "--user", "ada", "init", "--admin-password-stdin",
                     stdin=know_password(url, "ada") + "\n", env={"WORKBENCH_USER": "ada"})
    assert init.returncode == 0, init.stderr
    for name, role in (("alice", "scientist"), ("rita", "approver"), ("ann", "analyst")):
        added = _as(url, "ada", "users", "add", name, "--role", role, "--password-stdin",
                    stdin=know_password(url, name) + "\n")
        assert added.returncode == 0, added.stderr
    from workbench.services.session import open_session

    session = open_session(as_login(url, "alice"), "alice")
    with session.store.write("alice") as uow:
        request = uow.approvals.request(model_version_id=None, run_id=None, node_id="gate",
                                        evidence={"model": {"name": "churn", "version": 3}})
    session.close()
    return url, request.id


def test_a_scientist_cannot_approve_by_typing_another_name(people) -> None:  # noqa: ANN001
    url, request = people
    typed = workbench("--store", as_login(url, "alice"), "--user", "rita", "approve", str(request),
                      "--reason", "looks fine to me", env={"WORKBENCH_USER": "rita"})
    assert typed.returncode == 3 and no_traceback(typed)
    assert "as alice" in typed.stderr and "sign in as rita" in typed.stderr
    from_env = workbench("--store", as_login(url, "alice"), "approve", str(request), "--reason", "x",
                         env={"WORKBENCH_USER": "rita"})
    assert from_env.returncode == 3 and "someone else" in from_env.stderr
    wrong_password = workbench("--store", as_login(url, "rita"), "whoami",
                               env={"WORKBENCH_USER": "rita", "PGPASSFILE": "/dev/null", "PGPASSWORD": "guess"})
    assert wrong_password.returncode == 2 and "password authentication failed" in wrong_password.stderr
    superuser = workbench("--store", url, "whoami", env={"WORKBENCH_USER": "postgres"})
    assert superuser.returncode == 3 and "not a person" in superuser.stderr


@pytest.mark.parametrize("sql", [
    "INSERT INTO approval_decisions (request_id, decision, reason, decided_by, decided_at) "
    "VALUES ({request}, 'approved', 'fine', 'rita', 0)",
    "UPDATE approval_requests SET status = 'approved' WHERE id = {request}",
    "UPDATE audit_log SET payload = '{{}}' WHERE id = 1",
    "DELETE FROM audit_log WHERE id = 1",
    "TRUNCATE audit_log CASCADE",
    "INSERT INTO user_roles (user_id, role) SELECT id, 'approver' FROM users WHERE name = 'alice'",
    "UPDATE users SET name = 'root' WHERE name = 'alice'",
    "GRANT {database}_approver TO alice",
    "SELECT wb_audit_append('approvals.approve', 'approval:1', '{{}}', 'rita')",
    "SELECT wb_register_key('rita', 'SHA256:forged', 'AAAA')",
    "INSERT INTO model_aliases (name, alias, model_version_id, updated_at, updated_by) "
    "VALUES ('churn', 'champion', 1, 0, 'alice')",  # issue 13, finding 1: no champion without approval
    # issue 13, finding 10: a scientist cannot declare where graphs' scripts may come from
    "INSERT INTO code_folders (path, added_by, added_at) VALUES ('/tmp', 'alice', 0)",
    # issue 16: a comment is written by its author only
    "INSERT INTO comments (subject_type, subject_id, author, text, created_at) VALUES ('run', '1', 'rita', 'x', 0)",
    # issue 16: a person says only where they are themselves
    "INSERT INTO presence (person, session, target, since, seen_at) VALUES ('rita', 's', 'run:1', 0, 0)",
])
def test_plain_sql_as_alice_is_refused_by_the_database(people, sql: str) -> None:  # noqa: ANN001
    url, request = people
    database = make_url(url).database
    with _sql(url, "alice") as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(sql.format(request=request, database=database))
    assert refused.value.sqlstate in ("42501", "0LP01"), refused.value  # insufficient privilege / grant


@pytest.mark.parametrize("sql", [
    "INSERT INTO comments (subject_type, subject_id, author, text, created_at) VALUES ('run', '1', 'ann', 'x', 0)",
    "INSERT INTO changes (ts, topic, key, action, actor) VALUES (0, 'x', 'y', 'z', 'ann')",
    "UPDATE approval_requests SET expires_at = 1",
    "INSERT INTO projects (name, description, created_at, created_by) VALUES ('p', '', 0, 'ann')",
    "SELECT wb_audit_append('x', 'y', '{{}}', NULL)",
    "DELETE FROM targets",
])
def test_finding_3_an_analyst_login_cannot_write_anything(people, sql: str) -> None:  # noqa: ANN001
    url, _ = people
    with _sql(url, "ann") as conn, pytest.raises(psycopg.Error) as refused:
        conn.execute(sql)
    assert refused.value.sqlstate == "42501", refused.value
    listed = _as(url, "ann", "users", "list", "--json")  # reading is open to her
    assert listed.returncode == 0 and "rita" in listed.stdout


def test_an_analyst_says_where_she_is_and_nothing_else(people) -> None:  # noqa: ANN001
    url, _ = people
    with _sql(url, "ann") as conn:
        conn.execute("INSERT INTO presence (person, session, target, since, seen_at) "
                     "VALUES ('ann', 'ann-1', 'run:1', 0, 0)")
        conn.commit()
        with pytest.raises(psycopg.Error) as refused:
            conn.execute("UPDATE presence SET person = 'rita' WHERE session = 'ann-1'")
        assert refused.value.sqlstate == "42501"


def test_a_decision_recorded_for_someone_else_is_refused_even_for_an_approver(people) -> None:  # noqa: ANN001
    url, request = people
    with _sql(url, "rita") as conn, pytest.raises(psycopg.Error, match="recorded by its decider"):
        conn.execute("INSERT INTO approval_decisions (request_id, decision, reason, decided_by, decided_at) "
                     f"VALUES ({request}, 'approved', 'fine', 'ada', 0)")


def test_ritas_approval_works_and_is_signed(people, tmp_path: Path) -> None:  # noqa: ANN001
    url, request = people
    approved = _as(url, "rita", "approve", str(request), "--reason", "metrics hold on production data")
    assert approved.returncode == 0, approved.stderr
    listed = json.loads(_as(url, "rita", "audit", "list", "--json", "--limit", "1000").stdout)
    decision = next(e for e in listed if e["action"] == "approvals.approve")
    assert decision["actor"] == "rita" and decision["payload"]["reason"] == "metrics hold on production data"
    with _sql(url, "ann") as conn:  # anyone can read the signature and the key it was made with
        key_owner = conn.execute("SELECT k.person FROM audit_signatures s JOIN person_keys k ON k.key_id = s.key_id "
                                 "WHERE s.entry_id = %s", (decision["id"],)).fetchone()
    assert key_owner == ("rita",)
    verified = _as(url, "ann", "audit", "verify", "--json")
    report = json.loads(verified.stdout)
    assert verified.returncode == 0 and report["ok"] and report["signed"] >= 1 and report["asserted"] == 0
    bundle = tmp_path / "audit.bundle"
    exported = _as(url, "rita", "audit", "export", "-o", str(bundle))
    assert exported.returncode == 0, exported.stderr
    offline = workbench("audit", "verify", "--bundle", str(bundle), env={"WORKBENCH_STORE": "sqlite:////nonexistent/x.db"})
    assert offline.returncode == 0, offline.stderr


def test_role_changes_are_grants_and_a_removed_person_cannot_sign_in(people) -> None:  # noqa: ANN001
    url, _ = people
    database = make_url(url).database
    added = _as(url, "ada", "users", "add", "otto", "--role", "operator", "--password-stdin",
                stdin=know_password(url, "otto") + "\n")
    assert added.returncode == 0, added.stderr
    changed = _as(url, "ada", "users", "roles", "otto", "--role", "engineer")
    assert changed.returncode == 0, changed.stderr
    with _sql(url, "ann") as conn:
        held = conn.execute("SELECT pg_has_role('otto', %s, 'MEMBER'), pg_has_role('otto', %s, 'MEMBER')",
                            (f"{database}_engineer", f"{database}_operator")).fetchone()
    assert held == (True, False)
    assert json.loads(_as(url, "otto", "whoami", "--json").stdout)["roles"] == ["engineer"]
    removed = _as(url, "ada", "users", "remove", "otto")
    assert removed.returncode == 0, removed.stderr
    refused = _as(url, "otto", "whoami")
    assert refused.returncode == 2 and "not permitted to log in" in refused.stderr and no_traceback(refused)
