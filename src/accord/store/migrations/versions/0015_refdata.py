"""reference data in the store: versioned bundles and the version each ERP posting used

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 22:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'refdata_version',
        sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False,
                  comment='sha256 of the canonical document'),
        sa.Column('status', sa.String(length=20), nullable=False,
                  comment='accord.refdata.VersionStatus'),
        sa.Column('material', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('based_on', sa.Integer(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('proposed_by', sa.String(length=120), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('approved_by', sa.String(length=120), nullable=True),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('activated_by', sa.String(length=120), nullable=True),
        sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('number', name=op.f('pk_refdata_version')),
    )
    op.create_table(
        'refdata_use',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('canonical_id', sa.String(length=40), nullable=False),
        sa.Column('entity_type', sa.String(length=40), nullable=False),
        sa.Column('system', sa.String(length=40), nullable=False),
        sa.Column('system_id', sa.String(length=255), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('correlation_id', sa.String(length=255), nullable=True),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_refdata_use')),
        sa.UniqueConstraint('canonical_id', 'system', 'version',
                            name=op.f('uq_refdata_use_canonical_id_system_version')),
    )
    op.create_index('ix_refdata_use_version', 'refdata_use', ['version'])


def downgrade() -> None:
    op.drop_index('ix_refdata_use_version', table_name='refdata_use')
    op.drop_table('refdata_use')
    op.drop_table('refdata_version')
