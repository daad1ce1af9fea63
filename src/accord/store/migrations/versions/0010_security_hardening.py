"""security hardening: conflicting redeliveries

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a delivery whose event id was seen before with a different body
    with op.batch_alter_table('inbox_delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('conflict', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('inbox_delivery', schema=None) as batch_op:
        batch_op.drop_column('conflict')
