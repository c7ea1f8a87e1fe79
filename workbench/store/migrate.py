"""Schema migrations (Alembic, shipped inside the package) and the start-up schema check.

``upgrade(store)`` brings any store to the newest schema; ``check_current(store)`` refuses a
store whose schema is older (run ``workbench init``) or newer (upgrade the workbench) than
this code, with a message that says which.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.exc import DBAPIError, OperationalError

from workbench.store.errors import StoreError, StoreSchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(store) -> str | None:  # noqa: ANN001 - Store (avoid an import cycle)
    try:
        with store._read_engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open the store {store.display_url}: {reason}") from None


def upgrade(store, to: str = "head") -> tuple[str | None, str | None]:  # noqa: ANN001
    """Apply pending migrations (all, or up to ``to``); returns (revision before, after)."""
    before = current_revision(store)
    config = _config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, to)
    return before, current_revision(store)


def check_current(store) -> None:  # noqa: ANN001
    current = current_revision(store)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise StoreSchemaError(
            f"the store {store.display_url} has not been set up yet",
            hint="run 'workbench init' (with the same --store) to create it",
        )
    known = {rev.revision for rev in ScriptDirectory.from_config(_config()).walk_revisions()}
    if current not in known:
        raise StoreSchemaError(
            f"the store {store.display_url} was written by a newer workbench (schema {current})",
            hint="upgrade the workbench to open it",
        )
    raise StoreSchemaError(
        f"the store {store.display_url} has an older schema ({current}; this workbench needs {head})",
        hint="run 'workbench init' to upgrade it; your data is kept",
    )
