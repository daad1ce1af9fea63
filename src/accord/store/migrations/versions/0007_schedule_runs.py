"""schedule runs and leases: what each recurring job did, and who runs it now

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedule_run',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('schedule', sa.String(length=120), nullable=False),
    sa.Column('scheduled_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('executor', sa.String(length=120), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('items', sa.Integer(), nullable=False),
    sa.Column('detail', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedule_run'))
    )
    op.create_index('ix_schedule_run_schedule_id', 'schedule_run', ['schedule', 'id'],
                    unique=False)
    op.create_table('schedule_lease',
    sa.Column('schedule', sa.String(length=120), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=True),
    sa.Column('expires_at', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('schedule', name=op.f('pk_schedule_lease'))
    )


def downgrade() -> None:
    op.drop_table('schedule_lease')
    op.drop_index('ix_schedule_run_schedule_id', table_name='schedule_run')
    op.drop_table('schedule_run')
