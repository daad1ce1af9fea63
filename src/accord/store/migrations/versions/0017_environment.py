"""the environment a database was made for, and whether it is a masked copy

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 23:59:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'environment_mark',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('environment', sa.String(length=20), nullable=False,
                  comment='accord.settings.Environment'),
        sa.Column('marked_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('masked_from', sa.String(length=255), nullable=True,
                  comment='a masked copy: the database it was copied from (no password)'),
        sa.Column('masked_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_environment_mark')),
    )


def downgrade() -> None:
    op.drop_table('environment_mark')
