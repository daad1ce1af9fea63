"""observability: the inbox keeps each event's W3C trace context; the local trace store
(trace_span); the notifications sent to owners (notification)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

Id = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    # nullable: events stored before this revision have no trace; their flows start one
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            'traceparent', sa.String(length=55), nullable=True,
            comment="W3C trace context of the event's trace (CloudEvents extension)"))
    op.create_table(
        'trace_span',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('trace_id', sa.String(length=32), nullable=False),
        sa.Column('span_id', sa.String(length=16), nullable=False),
        sa.Column('parent_span_id', sa.String(length=16), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('system', sa.String(length=40), nullable=True),
        sa.Column('correlation_id', sa.String(length=255), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('duration_us', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False, comment='unset, ok or error'),
        sa.Column('attributes', sa.JSON(), nullable=True),
        sa.Column('events', sa.JSON(), nullable=True, comment="{'events': [...]}"),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trace_span')),
        sa.UniqueConstraint('trace_id', 'span_id', name=op.f('uq_trace_span_trace_id_span_id')),
    )
    op.create_index(op.f('ix_trace_span_trace_id'), 'trace_span', ['trace_id'])
    op.create_index(op.f('ix_trace_span_correlation_id'), 'trace_span', ['correlation_id'])
    op.create_index(op.f('ix_trace_span_started_at'), 'trace_span', ['started_at'])
    op.create_table(
        'notification',
        sa.Column('id', Id, autoincrement=True, nullable=False),
        sa.Column('dedup_key', sa.String(length=255), nullable=False,
                  comment='one message per (reason, subject, channel)'),
        sa.Column('reason', sa.String(length=20), nullable=False,
                  comment='new, aging, breach, escalation, sla_breach'),
        sa.Column('owner', sa.String(length=40), nullable=False),
        sa.Column('channel', sa.String(length=20), nullable=False,
                  comment='email or webhook'),
        sa.Column('recipient', sa.String(length=255), nullable=False,
                  comment="addresses, or the webhook's name (never its URL)"),
        sa.Column('exception_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('digest', sa.Integer(), nullable=False,
                  comment='exceptions in the digest it was part of; 0 alone'),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
        sa.UniqueConstraint('dedup_key', name=op.f('uq_notification_dedup_key')),
    )
    op.create_index(op.f('ix_notification_owner'), 'notification', ['owner'])
    op.create_index(op.f('ix_notification_exception_id'), 'notification', ['exception_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_notification_exception_id'), table_name='notification')
    op.drop_index(op.f('ix_notification_owner'), table_name='notification')
    op.drop_table('notification')
    op.drop_index(op.f('ix_trace_span_started_at'), table_name='trace_span')
    op.drop_index(op.f('ix_trace_span_correlation_id'), table_name='trace_span')
    op.drop_index(op.f('ix_trace_span_trace_id'), table_name='trace_span')
    op.drop_table('trace_span')
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_column('traceparent')
