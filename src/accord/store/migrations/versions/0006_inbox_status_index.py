"""inbox status index: the pump finds rows still to start without scanning every row

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-21 08:45:00.000000
"""

from __future__ import annotations

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_inbox_status_id', 'inbox', ['status', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_inbox_status_id', table_name='inbox')
