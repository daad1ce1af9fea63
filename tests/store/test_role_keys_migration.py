"""An existing database keeps its traces findable when keys are renamed by role: the kinds an
earlier accord wrote (``opportunity_id``, ``stripe_invoice_id``, ...) become the role-named
ones (migration 0009), values untouched, and going back restores them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from accord.store import Database, upgrade
from accord.store.migrate import alembic_config

OLD = {"opportunity_id": "006A000000000001", "stripe_invoice_id": "in_1",
       "stripe_charge_id": "ch_1", "netsuite_customer_id": "4711",
       "invoice_number": "INV-0001"}
NEW = {"deal_id": "006A000000000001", "billing_invoice_id": "in_1",
       "billing_payment_id": "ch_1", "erp_customer_id": "4711", "invoice_number": "INV-0001"}


@pytest.fixture
def before_roles(database_url: str) -> Iterator[Database]:
    """A database as the release before role-named keys left it, with one trace's keys."""
    database = Database(database_url)
    upgrade(database.engine, "0008")
    with database.engine.begin() as connection:
        for kind, value in OLD.items():
            connection.execute(text("INSERT INTO business_key (correlation_id, kind, value) "
                                    "VALUES ('stripe:evt_1', :kind, :value)"),
                               {"kind": kind, "value": value})
    yield database
    database.dispose()


def keys(database: Database) -> dict[str, str]:
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, value FROM business_key "
                                       "WHERE correlation_id = 'stripe:evt_1'"))
        return {str(row.kind): str(row.value) for row in rows}


def test_stored_keys_take_their_role_names_and_back(before_roles: Database) -> None:
    upgrade(before_roles.engine)
    assert keys(before_roles) == NEW
    command.downgrade(alembic_config(before_roles.engine), "0008")
    assert keys(before_roles) == OLD
