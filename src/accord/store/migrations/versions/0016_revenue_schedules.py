"""revenue schedules: deferred invoice lines, their entries per period, credits applied and
the recognition journal of each period, legal entity and currency

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-08 00:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'revenue_schedule',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('invoice_id', sa.String(length=40), nullable=False),
        sa.Column('line', sa.Integer(), nullable=False),
        sa.Column('product_sku', sa.String(length=64), nullable=False),
        sa.Column('legal_entity', sa.String(length=40), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('recognition', sa.String(length=20), nullable=False,
                  comment='accord.canonical.Recognition'),
        sa.Column('deferred_account', sa.String(length=40), nullable=False),
        sa.Column('revenue_account', sa.String(length=40), nullable=False),
        sa.Column('total_minor', sa.BigInteger(), nullable=False),
        sa.Column('service_start', sa.Date(), nullable=False),
        sa.Column('service_end', sa.Date(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_schedule')),
    )
    op.create_index('ix_revenue_schedule_invoice_id', 'revenue_schedule', ['invoice_id'])
    op.create_index('ix_revenue_schedule_legal_entity_currency', 'revenue_schedule',
                    ['legal_entity', 'currency'])
    op.create_table(
        'revenue_entry',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('schedule_id', sa.String(length=40), nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('recognized_in', sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(['schedule_id'], ['revenue_schedule.id'],
                                name=op.f('fk_revenue_entry_schedule_id_revenue_schedule')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_entry')),
    )
    op.create_index('ix_revenue_entry_schedule_id', 'revenue_entry', ['schedule_id'])
    op.create_index('ix_revenue_entry_recognized_in', 'revenue_entry', ['recognized_in'])
    op.create_table(
        'revenue_change',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('schedule_id', sa.String(length=40), nullable=False),
        sa.Column('document_id', sa.String(length=40), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('effective', sa.Date(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['schedule_id'], ['revenue_schedule.id'],
                                name=op.f('fk_revenue_change_schedule_id_revenue_schedule')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_change')),
        sa.UniqueConstraint('schedule_id', 'document_id',
                            name=op.f('uq_revenue_change_schedule_id_document_id')),
    )
    op.create_table(
        'revenue_recognition',
        sa.Column('id', _ID, autoincrement=True, nullable=False),
        sa.Column('period', sa.String(length=7), nullable=False),
        sa.Column('legal_entity', sa.String(length=40), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('journal_id', sa.String(length=40), nullable=False),
        sa.Column('system', sa.String(length=40), nullable=False),
        sa.Column('system_id', sa.String(length=255), nullable=False),
        sa.Column('recognized_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_revenue_recognition')),
        sa.UniqueConstraint('period', 'legal_entity', 'currency',
                            name=op.f('uq_revenue_recognition_period_legal_entity_currency')),
    )


def downgrade() -> None:
    op.drop_table('revenue_recognition')
    op.drop_table('revenue_change')
    op.drop_index('ix_revenue_entry_recognized_in', table_name='revenue_entry')
    op.drop_index('ix_revenue_entry_schedule_id', table_name='revenue_entry')
    op.drop_table('revenue_entry')
    op.drop_index('ix_revenue_schedule_legal_entity_currency', table_name='revenue_schedule')
    op.drop_index('ix_revenue_schedule_invoice_id', table_name='revenue_schedule')
    op.drop_table('revenue_schedule')
