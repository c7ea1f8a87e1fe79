"""identity, signatures and what PostgreSQL enforces

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 23:00:00.000000
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Audit entries gain ``hash_version`` (existing ones keep scheme 1; new ones use scheme 2) and
    signatures (``audit_signatures``); people's public keys live in ``person_keys``; the store gets
    an id (``store_info``) that verifiers and keyrings remember it by; a removed person keeps their
    row with ``disabled_at``. On PostgreSQL the group roles, grants, functions and triggers of
    ``workbench.store.pg_security`` are created, and every existing person gets their login and
    groups. Upgrading a PostgreSQL store therefore needs a login that may create roles (the
    database's administrator).
    """
    from workbench.store.db import now_ms

    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hash_version', sa.Integer(), nullable=False, server_default='1'))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('disabled_at', sa.BigInteger(), nullable=True))
    op.create_table(
        'audit_signatures',
        sa.Column('entry_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('key_id', sa.String(length=100), nullable=False),
        sa.Column('signature', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['audit_log.id'], name=op.f('fk_audit_signatures_entry_id_audit_log')),
        sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_audit_signatures')),
    )
    op.create_table(
        'person_keys',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('person', sa.String(length=200), nullable=False),
        sa.Column('key_id', sa.String(length=100), nullable=False),
        sa.Column('public_key', sa.String(length=100), nullable=False),
        sa.Column('registered_at', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_person_keys')),
        sa.UniqueConstraint('key_id', name=op.f('uq_person_keys_key_id')),
    )
    op.create_index(op.f('ix_person_keys_person'), 'person_keys', ['person'], unique=False)
    op.create_table(
        'store_info',
        sa.Column('singleton', sa.Integer(), nullable=False),
        sa.Column('store_id', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('singleton = 1', name=op.f('ck_store_info_one_row')),
        sa.PrimaryKeyConstraint('singleton', name=op.f('pk_store_info')),
    )
    bind = op.get_bind()
    bind.execute(sa.text("INSERT INTO store_info (singleton, store_id, created_at) VALUES (1, :id, :ts)"),
                 {"id": uuid.uuid4().hex, "ts": now_ms()})
    if bind.dialect.name == 'postgresql':
        from workbench.store import pg_security

        pg_security.apply(bind)


def downgrade() -> None:
    """Drop what :func:`upgrade` added to the schema (tables, columns, indexes), with their data."""
    op.drop_table('store_info')
    op.drop_index(op.f('ix_person_keys_person'), table_name='person_keys')
    op.drop_table('person_keys')
    op.drop_table('audit_signatures')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('disabled_at')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('hash_version')
