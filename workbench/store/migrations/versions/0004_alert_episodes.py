"""alert episodes: a condition, a count, last seen and cleared

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 20:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Alerts become episodes of a condition (source, kind, condition): repeats while it holds bump
    ``count`` and ``last_seen_at``. Existing rows get the condition their message reads as; of
    several holding rows of one condition only the newest keeps holding, the older ones are marked
    cleared at their own time (nothing is deleted: the audit trail names them).
    """
    from workbench.store.repos.alerts import condition_of

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('condition', sa.String(length=500), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('count', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('last_seen_at', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('cleared_at', sa.BigInteger(), nullable=True))

    bind = op.get_bind()
    alerts = sa.table('alerts', sa.column('id', sa.BigInteger()), sa.column('source', sa.String()),
                      sa.column('kind', sa.String()), sa.column('message', sa.Text()),
                      sa.column('created_at', sa.BigInteger()), sa.column('condition', sa.String()),
                      sa.column('last_seen_at', sa.BigInteger()), sa.column('cleared_at', sa.BigInteger()))
    newest: dict[tuple[str, str, str], int] = {}
    rows = bind.execute(sa.select(alerts.c.id, alerts.c.source, alerts.c.kind, alerts.c.message,
                                  alerts.c.created_at).order_by(alerts.c.id)).all()
    for row in rows:
        condition = condition_of(row.message)
        newest[(row.source, row.kind, condition)] = row.id
        bind.execute(alerts.update().where(alerts.c.id == row.id).values(
            condition=condition, last_seen_at=row.created_at))
    holding = set(newest.values())
    for row in rows:
        if row.id not in holding:
            bind.execute(alerts.update().where(alerts.c.id == row.id).values(cleared_at=row.created_at))

    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.alter_column('last_seen_at', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint(batch_op.f('ck_alerts_count_positive'), 'count >= 1')
        batch_op.create_index('ix_alerts_holding', ['source', 'kind', 'condition'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'),
                              postgresql_where=sa.text('cleared_at IS NULL'))


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_holding')
        batch_op.drop_constraint(batch_op.f('ck_alerts_count_positive'), type_='check')
        batch_op.drop_column('cleared_at')
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('count')
        batch_op.drop_column('condition')
