"""reconciliation runs

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-21 05:44:12.985364
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('recon_run',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('period', sa.String(length=7), nullable=True),
    sa.Column('systems', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('totals', sa.JSON(), nullable=True),
    sa.Column('difference_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_run'))
    )
    op.create_table('recon_difference',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('run_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('fingerprint', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('entity', sa.String(length=40), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('source_system', sa.String(length=40), nullable=False),
    sa.Column('target_system', sa.String(length=40), nullable=False),
    sa.Column('expected', sa.String(length=255), nullable=True),
    sa.Column('actual', sa.String(length=255), nullable=True),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('exception_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['recon_run.id'], name=op.f('fk_recon_difference_run_id_recon_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recon_difference')),
    sa.UniqueConstraint('run_id', 'fingerprint', name=op.f('uq_recon_difference_run_id_fingerprint'))
    )
    with op.batch_alter_table('recon_difference', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recon_difference_run_id'), ['run_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('recon_difference', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recon_difference_run_id'))

    op.drop_table('recon_difference')
    op.drop_table('recon_run')
