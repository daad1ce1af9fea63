"""worker leases and takeovers: each worker's lease, and what survivors took over from whom

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'worker_lease',
        sa.Column('executor_id', sa.String(length=200), nullable=False),
        sa.Column('host', sa.String(length=255), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.Float(), nullable=False),
        sa.Column('heartbeat_at', sa.Float(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.Column('adopted_by', sa.String(length=200), nullable=True),
        sa.Column('adopted_at', sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint('executor_id', name=op.f('pk_worker_lease')),
    )
    op.create_table(
        'worker_takeover',
        sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
        sa.Column('dead_executor', sa.String(length=200), nullable=False),
        sa.Column('adopter', sa.String(length=200), nullable=False),
        sa.Column('taken_at', sa.Float(), nullable=False),
        sa.Column('flows', sa.Integer(), nullable=False),
        sa.Column('workflow_ids', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_worker_takeover')),
    )


def downgrade() -> None:
    op.drop_table('worker_takeover')
    op.drop_table('worker_lease')
