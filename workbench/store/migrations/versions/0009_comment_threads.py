"""comments: replies and edits

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A comment may answer another (``parent_id``, a thread); an edited comment says when. On
    PostgreSQL a trigger lets only the author write or edit a comment.
    """
    with op.batch_alter_table('comments') as batch:
        batch.add_column(sa.Column('parent_id', sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column('edited_at', sa.BigInteger(), nullable=True))
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':  # comments are written and edited by their author only
        from workbench.store import pg_security

        pg_security.apply(bind)


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    with op.batch_alter_table('comments') as batch:
        batch.drop_column('edited_at')
        batch.drop_column('parent_id')
