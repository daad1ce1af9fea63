"""Every CRM adapter (:class:`accord.ports.CrmPort`) behaves the same on its sandbox: the
catalog is published once (upserted on accord's ids), a won deal reads back as a canonical
deal (buyer, lines in exact Decimal money, terms), a deal held incompletely is a
data-quality error naming the CRM's field, and the links and billing status accord writes
back are there when the CRM is read again."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accord.canonical import Money
from accord.canonical.deals import BillingStatus, CustomerLinks, DealLinks, DealType
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.reconciliation import Entity
from accord.canonical.roles import Role
from accord.errors import DataQualityError
from accord.flows.catalog import list_prices, product_for
from accord.flows.skus import load_skus
from accord.ports.reconciliation import ReconciliationReader
from tests.roles.kit import RoleSystem, untested

# the role suites share their systems and the calls they saw (tests/roles/conftest.py):
# under pytest-xdist all three run in order on one process
pytestmark = pytest.mark.xdist_group("roles")

ROLE = Role.CRM
SKU = "BW-ANALYTICS"
ENTRY = load_skus().entry(SKU)
UNIT = Money.of(ENTRY.prices["USD"], "USD")


@pytest.fixture(scope="module")
def published(system: RoleSystem) -> dict[str, str]:
    product = product_for(SKU, ENTRY)
    found: dict[str, str] = system.adapter.publish_product(product,
                                                           list_prices(product, ENTRY))
    return found


def test_the_catalog_is_published_once(system: RoleSystem, published: dict[str, str]) -> None:
    product = product_for(SKU, ENTRY)
    prices = list_prices(product, ENTRY)
    assert set(published) == {product.id, *(price.id for price in prices)}
    assert system.adapter.publish_product(product, prices) == published


def test_a_won_deal_reads_back_as_canonical(system: RoleSystem,
                                            published: dict[str, str]) -> None:
    deal_id = system.kit.won_deal(sku=SKU, quantity=7, unit_price=UNIT, legal_entity="US01",
                                  name="Fabrikam")
    deal = system.adapter.read_deal(deal_id)
    assert deal.deal_id == deal_id
    assert deal.account_id
    assert deal.deal_type is DealType.NEW
    assert deal.customer.legal_name == "Fabrikam Inc."
    assert deal.customer.billing_contact is not None
    assert deal.customer.billing_contact.email == "billing@example.com"
    contract = deal.contract
    assert (contract.legal_entity, contract.currency, contract.customer_id) == \
        ("US01", "USD", deal.customer.id)
    [line] = contract.lines
    assert (line.product_sku, line.quantity, line.unit_price) == (SKU, Decimal(7), UNIT)
    assert isinstance(line.unit_price.amount, Decimal)
    assert contract.total == Money.of(Decimal(7) * UNIT.amount, "USD")
    assert deal.written_subscription is None
    assert deal.written_contract is None
    again = system.adapter.read_deal(deal_id)
    assert (again.customer.id, again.contract.id) == (deal.customer.id, deal.contract.id), \
        "every read of one deal names one buyer and one order"
    account = system.adapter.read_account(deal.account_id, legal_entity="US01")
    assert account.customer.legal_name == "Fabrikam Inc."


def test_a_deal_without_a_billing_contact_names_the_field(
        system: RoleSystem, published: dict[str, str]) -> None:
    deal_id = system.kit.won_deal(sku=SKU, quantity=1, unit_price=UNIT, legal_entity="US01",
                                  name="Litware", billing_email=None)
    with pytest.raises(DataQualityError) as caught:
        system.adapter.read_deal(deal_id)
    assert caught.value.field
    assert caught.value.field != "(record)"


def test_links_and_status_written_back_read_back(system: RoleSystem,
                                                 published: dict[str, str]) -> None:
    deal_id = system.kit.won_deal(sku=SKU, quantity=2, unit_price=UNIT, legal_entity="US01",
                                  name="Tailspin")
    deal = system.adapter.read_deal(deal_id)
    customer_id = derived_id(EntityType.CUSTOMER, "role-suite", deal.account_id)
    account_fields = system.adapter.write_back_account(CustomerLinks(
        account_id=deal.account_id, status=BillingStatus.ACTIVE, accord_id=customer_id,
        billing_customer_id="billing-cus-1", erp_customer_id="erp-cus-1"))
    deal_fields = system.adapter.write_back_deal(DealLinks(
        deal_id=deal_id, status=BillingStatus.ACTIVE, accord_id=deal.contract.id,
        billing_subscription_id="billing-sub-1"))
    # what the adapter says it wrote is what the CRM shows
    assert system.kit.fields("account", deal.account_id, list(account_fields)) == account_fields
    assert system.kit.fields("deal", deal_id, list(deal_fields)) == deal_fields
    assert {"billing-cus-1", "erp-cus-1", customer_id} <= set(account_fields.values())
    # what sales sees of billing: the status as written, following it when it changes
    active = system.adapter.billing_view(account_id=deal.account_id, contract_id=None)
    assert active.account_billing_status in account_fields.values()
    assert active.subscription_status is None
    system.adapter.write_back_account(CustomerLinks(account_id=deal.account_id,
                                                    status=BillingStatus.PAST_DUE))
    past_due = system.adapter.billing_view(account_id=deal.account_id, contract_id=None)
    assert past_due.account_billing_status not in (None, active.account_billing_status)

    again = system.adapter.read_deal(deal_id)
    assert (again.written_subscription, again.written_contract) == \
        ("billing-sub-1", deal.contract.id)
    assert again.customer.id == customer_id


def test_reconciliation_reads_the_won_accounts_and_written_subscriptions(
        system: RoleSystem, published: dict[str, str]) -> None:
    deal_id = system.kit.won_deal(sku=SKU, quantity=1, unit_price=UNIT, legal_entity="US01",
                                  name="Wingtip")
    deal = system.adapter.read_deal(deal_id)
    system.adapter.write_back_deal(DealLinks(deal_id=deal_id, status=BillingStatus.ACTIVE,
                                             accord_id=deal.contract.id,
                                             billing_subscription_id="billing-sub-wingtip"))
    reader = system.reader()
    assert isinstance(reader, ReconciliationReader)
    assert reader.system == system.definition.name
    customers = {view.system_id: view for view in reader.records(Entity.CUSTOMER)}
    assert deal_id in customers[deal.account_id].refs
    assert customers[deal.account_id].currency == "USD"
    subscriptions = {view.key for view in reader.records(Entity.SUBSCRIPTION)}
    assert "billing-sub-wingtip" in subscriptions


def test_every_port_method_was_exercised(connector_name: str) -> None:
    """Runs after every other test of this module (tests/roles/conftest.py): each method of
    the port has a behavioural test above (a method added to the port needs one here)."""
    assert untested(ROLE, connector_name) == set()
