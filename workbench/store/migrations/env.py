"""Alembic environment: migrations run on the connection the workbench hands over."""

from alembic import context

from workbench.store.schema import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run the migrations on the connection ``workbench.store.migrate`` handed over (there is no other way)."""
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("workbench migrations run through workbench.store.migrate only")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise RuntimeError("offline (SQL script) migrations are not supported")
run_migrations_online()
