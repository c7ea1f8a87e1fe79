"""presence: who has which graph, run or request open

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 03:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """One row per workbench session and thing it has open, refreshed while open. On PostgreSQL every
    person, analysts included, writes their own rows only.
    """
    op.create_table('presence',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('person', sa.String(length=200), nullable=False),
    sa.Column('session', sa.String(length=100), nullable=False),
    sa.Column('target', sa.String(length=200), nullable=False),
    sa.Column('since', sa.BigInteger(), nullable=False),
    sa.Column('seen_at', sa.BigInteger(), nullable=False),
    sa.Column('left_at', sa.BigInteger(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence')),
    sa.UniqueConstraint('session', 'target', name=op.f('uq_presence_session_target'))
    )
    op.create_index('ix_presence_target', 'presence', ['target'])
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from workbench.store import pg_security

        pg_security.apply(bind)


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    op.drop_index('ix_presence_target', table_name='presence')
    op.drop_table('presence')
