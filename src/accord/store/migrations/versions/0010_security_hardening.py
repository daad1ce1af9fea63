"""security hardening: conflicting redeliveries, console sessions, token expiry and unique
token names

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
    # token names become unique: older duplicates keep their name with their id appended
    tokens = sa.table('api_token', sa.column('id', sa.Integer), sa.column('name', sa.String))
    seen: set[str] = set()
    connection = op.get_bind()
    for token_id, name in connection.execute(
            sa.select(tokens.c.id, tokens.c.name).order_by(tokens.c.id)).all():
        if name in seen:
            connection.execute(tokens.update().where(tokens.c.id == token_id)
                               .values(name=f"{name}-{token_id}"[:120]))
        seen.add(name)
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_api_token_name', ['name'])
    op.create_table(
        'console_session',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  autoincrement=True, nullable=False),
        sa.Column('session_hash', sa.String(length=64), nullable=False,
                  comment='sha256 hex of the session id in the cookie'),
        sa.Column('token_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['token_id'], ['api_token.id'],
                                name='fk_console_session_token_id_api_token',
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_console_session'),
        sa.UniqueConstraint('session_hash', name='uq_console_session_session_hash'))


def downgrade() -> None:
    op.drop_table('console_session')
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_constraint('uq_api_token_name', type_='unique')
        batch_op.drop_column('expires_at')
    with op.batch_alter_table('inbox_delivery', schema=None) as batch_op:
        batch_op.drop_column('conflict')
