"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-21 05:22:06.074076
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('action', sa.String(length=80), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.String(length=255), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log'))
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_log_at'), ['at'], unique=False)

    op.create_table('business_key',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('correlation_id', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_business_key')),
    sa.UniqueConstraint('correlation_id', 'kind', 'value', name=op.f('uq_business_key_correlation_id_kind_value'))
    )
    with op.batch_alter_table('business_key', schema=None) as batch_op:
        batch_op.create_index('ix_business_key_kind_value', ['kind', 'value'], unique=False)
        batch_op.create_index('ix_business_key_value', ['value'], unique=False)

    op.create_table('exception',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('fingerprint', sa.String(length=255), nullable=False, comment='dedup key: one open record per problem'),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=True),
    sa.Column('entity_type', sa.String(length=40), nullable=True),
    sa.Column('record_ref', sa.String(length=255), nullable=True),
    sa.Column('field', sa.String(length=255), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('system_said', sa.Text(), nullable=True),
    sa.Column('error', sa.JSON(), nullable=True),
    sa.Column('correlation_id', sa.String(length=255), nullable=True),
    sa.Column('workflow_id', sa.String(length=255), nullable=True),
    sa.Column('step', sa.String(length=120), nullable=True),
    sa.Column('occurrences', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exception')),
    sa.UniqueConstraint('fingerprint', name=op.f('uq_exception_fingerprint'))
    )
    with op.batch_alter_table('exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exception_correlation_id'), ['correlation_id'], unique=False)
        batch_op.create_index('ix_exception_status_owner', ['status', 'owner'], unique=False)

    op.create_table('golden_record',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('canonical_id', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('field_sources', sa.JSON(), nullable=False, comment='field -> {system, changed_at}'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('caused_by', sa.String(length=255), nullable=True, comment='correlation id'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_golden_record')),
    sa.UniqueConstraint('canonical_id', 'version', name=op.f('uq_golden_record_canonical_id_version'))
    )
    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_golden_record_canonical_id'), ['canonical_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_golden_record_entity_type'), ['entity_type'], unique=False)

    op.create_table('inbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('external_event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=120), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('workflow_id', sa.String(length=255), nullable=True),
    sa.Column('delivery_count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('system', 'external_event_id', name=op.f('uq_inbox_system_external_event_id'))
    )
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('event_type', sa.String(length=120), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=True),
    sa.Column('envelope', sa.JSON(), nullable=False, comment='CloudEvents structured JSON'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('event_id', name=op.f('uq_outbox_event_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_published_at'), ['published_at'], unique=False)

    op.create_table('poll_cursor',
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('stream', sa.String(length=80), nullable=False),
    sa.Column('cursor', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('system', 'stream', name=op.f('pk_poll_cursor'))
    )
    op.create_table('timeline',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('correlation_id', sa.String(length=255), nullable=False),
    sa.Column('workflow_id', sa.String(length=255), nullable=True),
    sa.Column('flow', sa.String(length=80), nullable=False),
    sa.Column('step', sa.String(length=120), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=120), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('latency_ms', sa.Integer(), nullable=True),
    sa.Column('error_code', sa.String(length=80), nullable=True),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_timeline'))
    )
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_correlation_id'), ['correlation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_timeline_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_timeline_workflow_id'), ['workflow_id'], unique=False)

    op.create_table('xref',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('canonical_id', sa.String(length=40), nullable=False),
    sa.Column('entity_type', sa.String(length=40), nullable=False),
    sa.Column('system', sa.String(length=40), nullable=False),
    sa.Column('system_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xref')),
    sa.UniqueConstraint('canonical_id', 'system', name=op.f('uq_xref_canonical_id_system')),
    sa.UniqueConstraint('system', 'entity_type', 'system_id', name=op.f('uq_xref_system_entity_type_system_id'))
    )
    with op.batch_alter_table('xref', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xref_canonical_id'), ['canonical_id'], unique=False)

    op.create_table('inbox_delivery',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('inbox_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duplicate', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['inbox_id'], ['inbox.id'], name=op.f('fk_inbox_delivery_inbox_id_inbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox_delivery'))
    )
    with op.batch_alter_table('inbox_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_inbox_delivery_inbox_id'), ['inbox_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('inbox_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_delivery_inbox_id'))

    op.drop_table('inbox_delivery')
    with op.batch_alter_table('xref', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xref_canonical_id'))

    op.drop_table('xref')
    with op.batch_alter_table('timeline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_workflow_id'))
        batch_op.drop_index(batch_op.f('ix_timeline_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_timeline_correlation_id'))

    op.drop_table('timeline')
    op.drop_table('poll_cursor')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_published_at'))

    op.drop_table('outbox')
    op.drop_table('inbox')
    with op.batch_alter_table('golden_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_golden_record_entity_type'))
        batch_op.drop_index(batch_op.f('ix_golden_record_canonical_id'))

    op.drop_table('golden_record')
    with op.batch_alter_table('exception', schema=None) as batch_op:
        batch_op.drop_index('ix_exception_status_owner')
        batch_op.drop_index(batch_op.f('ix_exception_correlation_id'))

    op.drop_table('exception')
    with op.batch_alter_table('business_key', schema=None) as batch_op:
        batch_op.drop_index('ix_business_key_value')
        batch_op.drop_index('ix_business_key_kind_value')

    op.drop_table('business_key')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_log_at'))

    op.drop_table('audit_log')
