"""Schema migrations (Alembic, shipped inside the package) and the start-up schema check."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError, OperationalError

from workbench.store.errors import StoreError, StoreSchemaError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_REVISION = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*['\"]?([\w]+)['\"]?", re.MULTILINE)


def _config() -> Any:
    from alembic.config import Config  # alembic only when migrating: the start-up check reads files

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@cache
def revisions() -> dict[str, str | None]:
    """Every shipped revision and the one before it, read from the migration files (the
    start-up check needs no Alembic import, a tenth of a second of every start)."""
    found: dict[str, str | None] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        fields = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if "revision" in fields:
            down = fields.get("down_revision")
            found[fields["revision"]] = None if down in (None, "None") else down
    return found


def head_revision() -> str:
    """The newest schema revision the shipped migrations know (exactly one is expected)."""
    known = revisions()
    heads = set(known) - {down for down in known.values() if down}
    if len(heads) != 1:
        raise StoreError(f"the shipped migrations have {len(heads)} heads ({', '.join(sorted(heads))}); "
                         "exactly one is expected")
    return heads.pop()


def current_revision(store) -> str | None:  # noqa: ANN001 - Store (avoid an import cycle)
    """The schema revision the store is at; None when it was never set up."""
    try:
        with store._read_engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return row[0] if row else None
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise StoreError(f"cannot open the store {store.display_url}: {reason}") from None


def upgrade(store, to: str = "head") -> tuple[str | None, str | None]:  # noqa: ANN001
    """Apply pending migrations (all, or up to ``to``); returns (revision before, after)."""
    before = current_revision(store)
    from alembic import command

    config = _config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, to)
    return before, current_revision(store)


def check_current(store) -> None:  # noqa: ANN001
    """Refuse a store whose schema is older (run ``workbench init``) or newer (upgrade the
    workbench) than this code, with a message that says which."""
    current = current_revision(store)
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise StoreSchemaError(
            f"the store {store.display_url} has not been set up yet",
            hint="run 'workbench init' (with the same --store) to create it",
        )
    if current not in revisions():
        raise StoreSchemaError(
            f"the store {store.display_url} was written by a newer workbench (schema {current})",
            hint="upgrade the workbench to open it",
        )
    raise StoreSchemaError(
        f"the store {store.display_url} has an older schema ({current}; this workbench needs {head})",
        hint="run 'workbench init' to upgrade it; your data is kept",
    )
