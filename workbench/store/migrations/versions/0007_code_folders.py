"""code folders: where the Python files that graphs run may live

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A graph's ``train_torch`` script is code; it runs only from a folder an engineer or admin
    declared here. On PostgreSQL only their groups may write the table.
    """
    op.create_table('code_folders',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('path', sa.String(length=1000), nullable=False),
    sa.Column('added_by', sa.String(length=200), nullable=False),
    sa.Column('added_at', sa.BigInteger(), nullable=False),
    sa.Column('removed_at', sa.BigInteger(), nullable=True),
    sa.Column('removed_by', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_code_folders'))
    )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        from workbench.store import pg_security

        pg_security.apply(bind)


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    op.drop_table('code_folders')
