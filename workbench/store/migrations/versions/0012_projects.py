"""projects: models, KPI series and approval requests belong to one; roles per project

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 06:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNED = ('model_versions', 'kpi_series', 'approval_requests')
ROLES = ('scientist', 'engineer', 'analyst', 'operator', 'approver', 'admin')


def _default_project(bind: sa.engine.Connection) -> int:
    found = bind.execute(sa.text("SELECT id FROM projects WHERE name = 'default'")).scalar()
    if found is not None:
        return int(found)
    from workbench.store.db import now_ms

    bind.execute(sa.text("INSERT INTO projects (name, description, created_at, created_by) "
                         "VALUES ('default', '', :ts, 'workbench')"), {"ts": now_ms()})
    return int(bind.execute(sa.text("SELECT id FROM projects WHERE name = 'default'")).scalar_one())


def upgrade() -> None:
    """``model_versions``, ``kpi_series`` and ``approval_requests`` gain ``project_id`` (alerts and
    deployments follow their run or model). Everything already in the store goes to the "default"
    project, made here when the store has none (a new store gets it from ``workbench init``,
    audited). ``project_roles`` holds roles that a person holds in one project only; a role in
    ``user_roles`` keeps holding in every project, so an existing store works as before. On
    PostgreSQL the rules of ``workbench.store.pg_security`` are applied again (``project_roles`` is
    written by admins only).
    """
    bind = op.get_bind()
    owned = sum(int(bind.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()) for table in OWNED)
    default = _default_project(bind) if owned else None  # a new store: 'workbench init' makes it
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                                       nullable=True))
        if default is not None:
            bind.execute(sa.text(f"UPDATE {table} SET project_id = :p"), {"p": default})
        with op.batch_alter_table(table) as batch:
            batch.alter_column('project_id', existing_type=sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                               nullable=False)
            batch.create_foreign_key(op.f(f'fk_{table}_project_id_projects'), 'projects', ['project_id'], ['id'])
            batch.create_index(op.f(f'ix_{table}_project_id'), ['project_id'], unique=False)
    op.create_table(
        'project_roles',
        sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('project_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('role', sa.String(length=32), nullable=False),
        sa.CheckConstraint("role IN (" + ", ".join(f"'{r}'" for r in ROLES) + ")",
                           name=op.f('ck_project_roles_role_known')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_project_roles_user_id_users'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_roles_project_id_projects'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'project_id', 'role', name=op.f('pk_project_roles')),
    )
    if bind.dialect.name == 'postgresql':
        from workbench.store import pg_security

        pg_security.apply(bind)


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    op.drop_table('project_roles')
    for table in OWNED:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(op.f(f'ix_{table}_project_id'))
            batch.drop_constraint(op.f(f'fk_{table}_project_id_projects'), type_='foreignkey')
            batch.drop_column('project_id')
