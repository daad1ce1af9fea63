"""registry match keys and write ledger

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 05:30:12.976780
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('match_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('canonical_id', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_match_key')),
    sa.UniqueConstraint('entity_type', 'kind', 'value', 'canonical_id', name=op.f('uq_match_key_entity_type_kind_value_canonical_id'))
    )
    with op.batch_alter_table('match_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_match_key_canonical_id'), ['canonical_id'], unique=False)
        batch_op.create_index('ix_match_key_lookup', ['entity_type', 'kind', 'value'], unique=False)

    op.create_table('write_ledger',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('system_id', sa.String(length=255), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False, comment='field -> value accord wrote'),
    sa.Column('written_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('correlation_id', sa.String(length=255), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_write_ledger')),
    sa.UniqueConstraint('system', 'entity_type', 'system_id', name=op.f('uq_write_ledger_system_entity_type_system_id'))
    )


def downgrade() -> None:
    op.drop_table('write_ledger')
    with op.batch_alter_table('match_key', schema=None) as batch_op:
        batch_op.drop_index('ix_match_key_lookup')
        batch_op.drop_index(batch_op.f('ix_match_key_canonical_id'))

    op.drop_table('match_key')
