"""token scopes: what each API token may do within its role

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 21:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.add_column(sa.Column(
            'scopes', sa.String(length=200), nullable=True,
            comment='comma-separated scopes; null: every scope the role allows'))


def downgrade() -> None:
    with op.batch_alter_table('api_token') as batch:
        batch.drop_column('scopes')
