"""serve tokens: bearer tokens for the REST inference service

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 22:45:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """A token is stored as the sha256 of its text only (the text is shown once, when it is made);
    revoking keeps the row, with who revoked it and when, for the audit trail.
    """
    op.create_table('serve_tokens',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.BigInteger(), nullable=False),
    sa.Column('revoked_at', sa.BigInteger(), nullable=True),
    sa.Column('revoked_by', sa.String(length=200), nullable=True),
    sa.CheckConstraint('length(token_hash) = 64', name=op.f('ck_serve_tokens_hash_length')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_serve_tokens')),
    sa.UniqueConstraint('name', name=op.f('uq_serve_tokens_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_serve_tokens_token_hash'))
    )


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    op.drop_table('serve_tokens')
