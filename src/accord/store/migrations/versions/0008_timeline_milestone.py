"""timeline milestone: the business milestone a succeeded step declares it reached

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # nullable, no default: rows written before this revision reached no declared milestone
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'milestone', sa.String(length=40), nullable=True,
            comment='accord.engine.timeline.Milestone the step reached'))
        batch_op.create_index('ix_timeline_milestone', ['milestone', 'occurred_at'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index('ix_timeline_milestone')
        batch_op.drop_column('milestone')
