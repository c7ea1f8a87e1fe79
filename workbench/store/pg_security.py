"""What PostgreSQL itself enforces on a shared store: group roles, grants, and the functions and
triggers that keep the audit trail, the decisions and the people honest. The rules are listed in
docs/architecture.md ("What the database enforces"); ``apply`` puts them in place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from workbench.store.schema import ROLES
from workbench.store.states import WRITERS

# the groups each workbench role's group belongs to
ROLE_GROUPS = {role: ("person", "writer") if role in WRITERS else ("person",) for role in ROLES}
# tables no one writes directly (functions and triggers do), or only some groups do
GUARDED = ("users", "user_roles", "approval_decisions", "audit_log", "audit_head", "audit_signatures",
           "person_keys", "store_info", "alembic_version", "serve_tokens", "code_folders",
           "notify_channels", "presence", "project_roles")
APPEND_ONLY = ("audit_log", "audit_signatures", "person_keys", "approval_decisions")
GENESIS = "0" * 64


def group(database: str, name: str) -> str:
    """The name of the database group role ``name`` of ``database``."""
    return f"{database}_{name}"


def _ident(conn: Any, name: str) -> str:
    return str(conn.execute(text("SELECT quote_ident(:n)"), {"n": name}).scalar())


def _ensure_role(conn: Any, name: str) -> None:
    conn.execute(text(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + _literal(name) + ") "
        "THEN EXECUTE format('CREATE ROLE %I NOLOGIN', " + _literal(name) + "); END IF; END $$"))


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION wb_is_superuser() RETURNS boolean LANGUAGE sql STABLE
SET search_path = pg_catalog AS $$ SELECT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) $$;

CREATE OR REPLACE FUNCTION wb_lp(t text) RETURNS text LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog AS $$ SELECT length(t)::text || ':' || t || E'\n' $$;

CREATE OR REPLACE FUNCTION wb_audit_append(p_action text, p_subject text, p_payload text, p_actor text)
RETURNS TABLE (entry_id bigint, entry_ts bigint, entry_actor text, entry_prev text, entry_hash text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
  v_actor text := session_user;
  v_id bigint; v_prev text; v_ts bigint; v_hash text;
BEGIN
  IF p_actor IS NOT NULL AND p_actor <> session_user THEN
    IF NOT wb_is_superuser() THEN
      RAISE EXCEPTION 'an audit entry names its writer: the login % cannot write one as %', session_user, p_actor
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    v_actor := p_actor;
  END IF;
  IF NOT pg_has_role(session_user, current_database() || '_person', 'MEMBER') THEN
    RAISE EXCEPTION 'the login % is not a person of this store', session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM pg_advisory_xact_lock(1464550216);
  SELECT last_id, last_hash INTO v_id, v_prev FROM audit_head WHERE singleton = 1 FOR UPDATE;
  v_id := coalesce(v_id, 0) + 1;
  v_prev := coalesce(v_prev, '""" + GENESIS + r"""');
  v_ts := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
  v_hash := encode(sha256(convert_to(wb_lp(v_id::text) || wb_lp(v_ts::text) || wb_lp(v_actor) || wb_lp(p_action)
            || wb_lp(p_subject) || wb_lp(p_payload) || wb_lp(v_prev), 'UTF8')), 'hex');
  INSERT INTO audit_log (id, ts, actor, action, subject, payload, prev_hash, hash, hash_version)
       VALUES (v_id, v_ts, v_actor, p_action, p_subject, p_payload, v_prev, v_hash, 2);
  INSERT INTO audit_head (singleton, last_id, last_hash) VALUES (1, v_id, v_hash)
    ON CONFLICT (singleton) DO UPDATE SET last_id = excluded.last_id, last_hash = excluded.last_hash;
  RETURN QUERY SELECT v_id, v_ts, v_actor, v_prev, v_hash;
END $$;

CREATE OR REPLACE FUNCTION wb_audit_sign(p_entry bigint, p_key_id text, p_signature text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE v_actor text;
BEGIN
  SELECT actor INTO v_actor FROM audit_log WHERE id = p_entry;
  IF v_actor IS NULL THEN RAISE EXCEPTION 'there is no audit entry %', p_entry; END IF;
  IF v_actor <> session_user AND NOT wb_is_superuser() THEN
    RAISE EXCEPTION 'audit entry % is %''s: the login % cannot sign it', p_entry, v_actor, session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM person_keys WHERE key_id = p_key_id AND person = v_actor) THEN
    RAISE EXCEPTION 'the key % is not registered for %', p_key_id, v_actor USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO audit_signatures (entry_id, key_id, signature) VALUES (p_entry, p_key_id, p_signature);
END $$;

CREATE OR REPLACE FUNCTION wb_register_key(p_person text, p_key_id text, p_public_key text) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE v_ts bigint := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
BEGIN
  IF p_person <> session_user AND NOT wb_is_superuser() THEN
    RAISE EXCEPTION 'a person registers their own key: the login % cannot register one for %', session_user, p_person
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  INSERT INTO person_keys (person, key_id, public_key, registered_at) VALUES (p_person, p_key_id, p_public_key, v_ts);
  RETURN v_ts;
END $$;

CREATE OR REPLACE FUNCTION wb_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE OR REPLACE FUNCTION wb_check_comment() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT wb_is_superuser() AND (NEW.author <> session_user
       OR (TG_OP = 'UPDATE' AND (OLD.author <> NEW.author OR OLD.subject_type <> NEW.subject_type
                                 OR OLD.subject_id <> NEW.subject_id))) THEN
    RAISE EXCEPTION 'a comment is written and edited by its author only: the login % cannot for %',
      session_user, NEW.author USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION wb_check_inbox() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT wb_is_superuser() AND OLD.recipient <> session_user THEN
    RAISE EXCEPTION 'only % marks their own notifications read', OLD.recipient
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION wb_check_presence() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT wb_is_superuser() AND (NEW.person <> session_user
       OR (TG_OP = 'UPDATE' AND OLD.person <> session_user)) THEN
    RAISE EXCEPTION 'the login % says only where it is itself', session_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

-- a role held in the whole store (its group), or in the project of an approval request only
CREATE OR REPLACE FUNCTION wb_holds_in_project(p_request bigint, p_role text) RETURNS boolean LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, public AS $$
BEGIN
  RETURN pg_has_role(session_user, current_database() || '_' || p_role, 'MEMBER') OR EXISTS (
    SELECT 1 FROM project_roles pr JOIN users u ON u.id = pr.user_id
      JOIN approval_requests r ON r.project_id = pr.project_id
     WHERE r.id = p_request AND u.name = session_user AND pr.role = p_role);
END $$;

-- a project role of a writing kind makes its holder a writer (the triggers check the project)
CREATE OR REPLACE FUNCTION wb_sync_project_roles() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE v_user bigint := coalesce(NEW.user_id, OLD.user_id); v_name text;
BEGIN
  v_name := (SELECT name FROM users WHERE id = v_user);
  IF EXISTS (SELECT 1 FROM project_roles WHERE user_id = v_user AND role <> 'analyst') THEN
    EXECUTE format('GRANT %I TO %I', current_database() || '_writer', v_name);
  ELSE
    EXECUTE format('REVOKE %I FROM %I', current_database() || '_writer', v_name);
  END IF;
  RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION wb_check_decision() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT wb_is_superuser() THEN
    IF NEW.decided_by <> session_user THEN
      RAISE EXCEPTION 'a decision is recorded by its decider: the login % cannot record one for %',
        session_user, NEW.decided_by USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT wb_holds_in_project(NEW.request_id, 'approver') THEN
      RAISE EXCEPTION 'only an approver decides: the login % is not one in the project of approval request %',
        session_user, NEW.request_id USING ERRCODE = 'insufficient_privilege';
    END IF;
  END IF;
  IF NOT wb_is_superuser() AND NOT wb_holds_in_project(NEW.request_id,
       coalesce((SELECT evidence::jsonb ->> 'approver_role' FROM approval_requests WHERE id = NEW.request_id),
                'approver')) THEN
    RAISE EXCEPTION 'approval request %: its gate is decided by another role than the login % holds',
      NEW.request_id, session_user USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF EXISTS (SELECT 1 FROM approval_requests WHERE id = NEW.request_id AND requested_by = NEW.decided_by) THEN
    RAISE EXCEPTION 'approval request %: % requested it and cannot decide it', NEW.request_id, NEW.decided_by
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION wb_check_request_status() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
  IF NEW.status IS DISTINCT FROM OLD.status AND NEW.status IN ('approved', 'rejected')
     AND NOT EXISTS (SELECT 1 FROM approval_decisions WHERE request_id = NEW.id AND decision = NEW.status) THEN
    RAISE EXCEPTION 'approval request % becomes % only with a decision of an approver', NEW.id, NEW.status
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NEW.requested_by IS DISTINCT FROM OLD.requested_by THEN
    RAISE EXCEPTION 'approval request %: its requester cannot change', NEW.id USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION wb_check_champion() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, public AS $$
BEGIN
  IF NEW.alias = 'champion' AND NOT wb_is_superuser() AND NOT EXISTS (
       SELECT 1 FROM approval_requests r JOIN approval_decisions d ON d.request_id = r.id
        WHERE r.model_version_id = NEW.model_version_id AND r.status = 'approved' AND d.decision = 'approved') THEN
    RAISE EXCEPTION 'model version % becomes champion only once a risk officer approved it', NEW.model_version_id
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION wb_sync_people() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, public AS $$
DECLARE v_name text; v_db text := current_database();
BEGIN
  IF TG_TABLE_NAME = 'users' THEN
    IF TG_OP = 'UPDATE' AND NEW.name <> OLD.name THEN
      RAISE EXCEPTION 'a person''s name is their login and cannot change' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'INSERT' THEN
      IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = NEW.name AND rolsuper) THEN
        RAISE EXCEPTION 'the login % is a database superuser; a person signs in with a login of their own', NEW.name
          USING ERRCODE = 'insufficient_privilege';
      END IF;
      IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = NEW.name) THEN
        EXECUTE format('CREATE ROLE %I LOGIN', NEW.name);
      END IF;
      EXECUTE format('GRANT %I TO %I', v_db || '_person', NEW.name);
    END IF;
    RETURN NEW;
  END IF;
  v_name := (SELECT name FROM users WHERE id = coalesce(NEW.user_id, OLD.user_id));
  IF TG_OP IN ('DELETE', 'UPDATE') THEN
    EXECUTE format('REVOKE %I FROM %I', v_db || '_' || OLD.role, v_name);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    EXECUTE format('GRANT %I TO %I', v_db || '_' || NEW.role, v_name);
    RETURN NEW;
  END IF;
  RETURN OLD;
END $$;

CREATE OR REPLACE FUNCTION wb_set_password(p_person text, p_verifier text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM users WHERE name = p_person) THEN
    RAISE EXCEPTION '% is not a person of this store', p_person;
  END IF;
  IF p_person <> session_user AND NOT pg_has_role(session_user, current_database() || '_admin', 'MEMBER') THEN
    RAISE EXCEPTION 'only an admin sets another person''s password' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF p_verifier NOT LIKE 'SCRAM-SHA-256$%' THEN
    RAISE EXCEPTION 'a password reaches the server only as a SCRAM verifier';
  END IF;
  EXECUTE format('ALTER ROLE %I LOGIN PASSWORD %L', p_person, p_verifier);
END $$;

CREATE OR REPLACE FUNCTION wb_disable_person(p_person text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
  IF NOT pg_has_role(session_user, current_database() || '_admin', 'MEMBER') THEN
    RAISE EXCEPTION 'only an admin removes a person' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM users WHERE name = p_person) THEN
    RAISE EXCEPTION '% is not a person of this store', p_person;
  END IF;
  EXECUTE format('REVOKE %I FROM %I', current_database() || '_person', p_person);
  EXECUTE format('ALTER ROLE %I NOLOGIN', p_person);
END $$;
"""


def apply(conn: Any) -> None:
    """Create or refresh the groups, grants, functions and triggers (idempotent: migrations call it)."""
    database = str(conn.execute(text("SELECT current_database()")).scalar())
    q = {name: _ident(conn, group(database, name)) for name in ("person", "writer", *ROLES)}
    for name in ("person", "writer", *ROLES):
        _ensure_role(conn, group(database, name))
    for role, parents in ROLE_GROUPS.items():
        for parent in parents:
            conn.execute(text(f"GRANT {q[parent]} TO {q[role]}"))
    conn.execute(text(FUNCTIONS))
    tables = [r[0] for r in conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"))]
    open_tables = [t for t in tables if t not in GUARDED]
    conn.execute(text(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, {q['person']}, {q['writer']}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {q['person']}"))
    conn.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {q['person']}"))
    conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {q['writer']}"))
    if open_tables:
        listed = ", ".join(_ident(conn, t) for t in open_tables)
        conn.execute(text(f"GRANT INSERT, UPDATE ON {listed} TO {q['writer']}"))
    conn.execute(text(f"GRANT DELETE ON targets TO {q['writer']}"))
    conn.execute(text(f"GRANT INSERT, UPDATE, DELETE ON users, user_roles TO {q['admin']}"))
    conn.execute(text(f"GRANT INSERT ON approval_decisions TO {q['approver']}"))
    # the REST service's bearer tokens: made and revoked by engineers and admins only
    conn.execute(text(f"GRANT INSERT, UPDATE (revoked_at, revoked_by) ON serve_tokens TO {q['engineer']}, {q['admin']}"))
    # outbound notification channels: configured by admins only; every person, analysts
    # included, marks their own notifications read
    if "notify_channels" in tables:
        conn.execute(text(f"GRANT INSERT, UPDATE, DELETE ON notify_channels TO {q['admin']}"))
        conn.execute(text(f"GRANT UPDATE (read_at) ON notifications TO {q['person']}"))
    if "presence" in tables:  # every person says what they have open, analysts included
        conn.execute(text(f"GRANT INSERT, UPDATE ON presence TO {q['person']}"))
        sequence = conn.execute(text("SELECT pg_get_serial_sequence('presence', 'id')")).scalar()
        if sequence:
            conn.execute(text(f"GRANT USAGE, SELECT ON SEQUENCE {sequence} TO {q['person']}"))
    # roles in one project: granted by admins only; a project's risk officer holds no approver
    # group, so any writer may insert a decision and the trigger checks the project's roles
    if "project_roles" in tables:
        conn.execute(text(f"GRANT INSERT, UPDATE, DELETE ON project_roles TO {q['admin']}"))
        conn.execute(text(f"GRANT DELETE ON projects TO {q['admin']}"))
        conn.execute(text(f"GRANT INSERT ON approval_decisions TO {q['writer']}"))
    # the folders whose code graphs may run: declared and removed by engineers and admins only
    if "code_folders" in tables:
        conn.execute(text(f"GRANT INSERT, UPDATE (removed_at, removed_by) ON code_folders "
                          f"TO {q['engineer']}, {q['admin']}"))
    # an analyst writes nothing, not even an audit entry; every person may set their password
    functions = {"wb_audit_append(text, text, text, text)": "writer", "wb_audit_sign(bigint, text, text)": "writer",
                 "wb_register_key(text, text, text)": "writer", "wb_set_password(text, text)": "person",
                 "wb_disable_person(text)": "admin"}
    for signature, grantee in functions.items():
        conn.execute(text(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC"))
        conn.execute(text(f"GRANT EXECUTE ON FUNCTION {signature} TO {q[grantee]}"))
    triggers = [("audit_log", "wb_append_only"), ("audit_signatures", "wb_append_only"),
                ("person_keys", "wb_append_only"), ("approval_decisions", "wb_append_only")]
    for table, function in triggers:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        conn.execute(text(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                          f"FOR EACH ROW EXECUTE FUNCTION {function}()"))
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
        conn.execute(text(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                          f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()"))
    for name, table, when, function in (
            ("decision_checked", "approval_decisions", "BEFORE INSERT", "wb_check_decision"),
            ("comment_checked", "comments", "BEFORE INSERT OR UPDATE", "wb_check_comment"),
            ("inbox_checked", "notifications", "BEFORE UPDATE", "wb_check_inbox"),
            ("presence_checked", "presence", "BEFORE INSERT OR UPDATE", "wb_check_presence"),
            ("status_checked", "approval_requests", "BEFORE UPDATE", "wb_check_request_status"),
            ("champion_approved", "model_aliases", "BEFORE INSERT OR UPDATE", "wb_check_champion"),
            ("people_synced", "users", "AFTER INSERT OR UPDATE", "wb_sync_people"),
            ("roles_synced", "user_roles", "AFTER INSERT OR UPDATE OR DELETE", "wb_sync_people"),
            ("project_roles_synced", "project_roles", "AFTER INSERT OR DELETE", "wb_sync_project_roles")):
        if table not in tables:  # a later migration makes it, and applies these rules again
            continue
        conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON {table}"))
        conn.execute(text(f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()"))
    # people added before this schema get their logins and groups now
    for (name,) in conn.execute(text("SELECT name FROM users ORDER BY id")).all():
        _sync_existing(conn, database, name)


def _sync_existing(conn: Any, database: str, name: str) -> None:
    conn.execute(text(
        "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = " + _literal(name) + ") THEN "
        "EXECUTE format('CREATE ROLE %I LOGIN', " + _literal(name) + "); END IF; END $$"))
    superuser = conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar()
    if superuser:
        return  # a superuser stays the administrator it is; it is never made a person
    person = _ident(conn, name)
    conn.execute(text(f"GRANT {_ident(conn, group(database, 'person'))} TO {person}"))
    for (role,) in conn.execute(text(
            "SELECT r.role FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.name = :n"), {"n": name}):
        conn.execute(text(f"GRANT {_ident(conn, group(database, role))} TO {person}"))


def scram_verifier(password: str, *, iterations: int = 4096) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for ``password`` (RFC 5802/7677), computed
    here so that the password itself never reaches the server or its logs."""
    import base64
    import hashlib
    import hmac
    import os

    salt = os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode("utf-8"), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    b64 = base64.b64encode
    return (f"SCRAM-SHA-256${iterations}:{b64(salt).decode()}"
            f"${b64(stored_key).decode()}:{b64(server_key).decode()}")
