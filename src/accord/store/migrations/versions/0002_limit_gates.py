"""limit gates: cross-process concurrency slots and rate pacing per system

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 05:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('limit_slot',
    sa.Column('gate', sa.String(length=80), nullable=False),
    sa.Column('slot', sa.Integer(), nullable=False),
    sa.Column('holder', sa.String(length=120), nullable=True),
    sa.Column('expires_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('gate', 'slot', name=op.f('pk_limit_slot'))
    )
    op.create_table('limit_rate',
    sa.Column('gate', sa.String(length=80), nullable=False),
    sa.Column('next_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('gate', name=op.f('pk_limit_rate'))
    )


def downgrade() -> None:
    op.drop_table('limit_rate')
    op.drop_table('limit_slot')
