"""graph versions: a message and the version they were based on

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """``message`` says what a save changed; ``base_version`` is the version its author started from,
    so a save made while someone else saved is merged or refused instead of overwriting.
    """
    with op.batch_alter_table('graph_versions') as batch:
        batch.add_column(sa.Column('message', sa.Text(), nullable=False, server_default=''))
        batch.add_column(sa.Column('base_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    with op.batch_alter_table('graph_versions') as batch:
        batch.drop_column('base_version')
        batch.drop_column('message')
