"""Creating, opening, upgrading and refusing stores — on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from workbench.store import (
    Store,
    StoreError,
    StoreReadOnlyError,
    StoreSchemaError,
    init_store,
    open_store,
)
from workbench.store.migrate import current_revision, head_revision, upgrade


def test_init_creates_schema_admin_and_default_project(store_url: str) -> None:
    result = init_store(store_url, "alice")
    assert result.created and result.admin == "alice"
    assert result.revision_after == head_revision()
    store = open_store(store_url)
    with store.read() as uow:
        assert [u.name for u in uow.users.all()] == ["alice"]
        assert uow.users.get("alice").roles == ("admin",)
        assert [p.name for p in uow.projects.all()] == ["default"]
    store.close()
    again = init_store(store_url, "alice")  # idempotent; nobody new becomes admin
    assert not again.created and again.admin is None
    assert again.revision_before == again.revision_after == head_revision()


def test_migrations_match_the_models(store_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from workbench.store.schema import Base

    init_store(store_url, "alice")
    store = Store(store_url)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    store.close()
    assert diff == []


def test_older_schema_is_refused_until_init_upgrades_it(store_url: str) -> None:
    store = Store(store_url)
    upgrade(store, "0001")
    assert current_revision(store) == "0001"
    store.close()
    with pytest.raises(StoreSchemaError, match="older schema") as caught:
        open_store(store_url)
    assert "workbench init" in str(caught.value) and caught.value.exit_code == 2
    result = init_store(store_url, "alice")
    assert (result.revision_before, result.revision_after) == ("0001", head_revision())
    open_store(store_url).close()


def test_newer_schema_is_refused(store_url: str) -> None:
    init_store(store_url, "alice")
    store = Store(store_url)
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    store.close()
    with pytest.raises(StoreSchemaError, match="newer workbench"):
        open_store(store_url)


def test_missing_sqlite_file_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(StoreSchemaError, match="workbench init"):
        open_store(f"sqlite:///{path}")
    assert not path.exists()


@pytest.mark.parametrize("url, message", [
    ("mysql://u@h/db", "unknown scheme 'mysql'"),
    ("sqlite://", "names no file"),
    ("sqlite:///:memory:", "names no file"),
    ("://bad", "cannot be parsed"),
])
def test_bad_urls_are_one_clear_error(url: str, message: str) -> None:
    with pytest.raises(StoreError, match=message) as caught:
        open_store(url)
    assert caught.value.exit_code == 2


def test_unreachable_postgres_is_one_clear_error() -> None:
    from tests.support.postgres import free_port

    url = f"postgresql://someone:secret@127.0.0.1:{free_port()}/db"
    with pytest.raises(StoreError, match="cannot open the store") as caught:
        init_store(url, "alice")
    message = str(caught.value)
    assert "secret" not in message and "***" in message
    assert "\n" not in message


def test_a_failed_unit_of_work_leaves_nothing_behind(store) -> None:
    with pytest.raises(RuntimeError), store.write("admin") as uow:
        uow.users.add("carol", ["scientist"])
        raise RuntimeError("boom")
    with store.read() as uow:
        assert uow.users.find("carol") is None
        assert [e.action for e in uow.audit.all()] == ["users.add", "projects.add"]
        assert uow.audit.verify().ok


def test_read_only_store_is_refused_by_the_database(store_url: str) -> None:
    init_store(store_url, "alice")
    store = open_store(store_url, read_only=True)
    with store.read() as uow:
        assert uow.users.get("alice").roles == ("admin",)
    with pytest.raises(StoreReadOnlyError):
        store.write("alice").__enter__()
    # Even raw SQL through the read-only session is refused by the database itself.
    with pytest.raises(StoreReadOnlyError), store.read() as uow:
        uow.session.execute(text("INSERT INTO comments (subject_type, subject_id, author, text, "
                                 "created_at) VALUES ('x', '1', 'mallory', 'sneaky', 0)"))
        uow.session.commit()
    store.close()
    check = open_store(store_url)
    with check.read() as uow:
        assert uow.comments.all("x", "1") == []
    check.close()


def test_a_write_inside_a_write_on_one_thread_is_refused(store) -> None:
    with pytest.raises(RuntimeError, match="inside another"), store.write("admin"), store.write("admin"):
        pass
    with store.write("admin") as uow:  # the store is usable afterwards
        uow.comments.add("run", 1, "fine")
