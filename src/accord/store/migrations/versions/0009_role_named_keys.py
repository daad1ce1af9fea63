"""role-named business keys: the keys a trace notes name the role of the system whose id
they hold (``deal_id``), not the vendor that played it (``opportunity_id``)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 17:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

RENAMES = (("opportunity_id", "deal_id"),
           ("stripe_invoice_id", "billing_invoice_id"),
           ("stripe_charge_id", "billing_payment_id"),
           ("netsuite_customer_id", "erp_customer_id"))


def _rename(pairs: tuple[tuple[str, str], ...]) -> None:
    business_key = sa.table('business_key', sa.column('kind', sa.String))
    for old, new in pairs:
        op.execute(business_key.update().where(business_key.c.kind == old)
                   .values(kind=new))


def upgrade() -> None:
    _rename(RENAMES)


def downgrade() -> None:
    _rename(tuple((new, old) for old, new in RENAMES))
