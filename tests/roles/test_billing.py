"""Every billing adapter (:class:`accord.ports.BillingPort`) behaves the same on its sandbox:
customers, the catalog, tax rates and subscriptions are created from canonical models once
(a re-created one is the same record), and an issued invoice reads back as a canonical
invoice whose amounts are exact Decimals in the currency's minor units (USD cents, whole
yen), naming the customer and subscription it bills."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from accord.canonical import (
    Address,
    Contact,
    ContactRole,
    Contract,
    ContractLine,
    Customer,
    InvoiceStatus,
    Money,
)
from accord.canonical.catalog import ProductKind
from accord.canonical.deals import DealType, TaxRate
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.money import money_sum
from accord.canonical.payments import Allocation, PaymentStatus, RefundStatus
from accord.canonical.reconciliation import Entity, Measure
from accord.canonical.roles import Role
from accord.canonical.subscription import SubscriptionStatus, UsageRecord
from accord.flows.catalog import price_for, product_for
from accord.flows.skus import load_skus
from accord.ports.reconciliation import ReconciliationReader
from tests.roles.kit import RoleSystem, untested

# the role suites share their systems and the calls they saw (tests/roles/conftest.py):
# under pytest-xdist all three run in order on one process
pytestmark = pytest.mark.xdist_group("roles")

ROLE = Role.BILLING
SKU = "BW-PLAT-SEAT"
USAGE_SKU = "BW-API-CALLS"
SKUS = load_skus()
ENTRY = SKUS.entry(SKU)


def customer(name: str, currency: str, legal_entity: str) -> Customer:
    return Customer(id=derived_id(EntityType.CUSTOMER, "role-suite", name), legal_name=name,
                    legal_entity=legal_entity, currency=currency,
                    billing_address=Address(line1="1 Main St", city="Austin", region="TX",
                                            postal_code="73301", country="US"),
                    contacts=(Contact(name=name, email=f"ap@{name.lower()}.example",
                                      role=ContactRole.BILLING),),
                    domain=f"{name.lower()}.example")


def starts_at(day: date) -> datetime:
    return datetime.combine(day, time(), UTC)


def billing_price(system: RoleSystem, sku: str, unit: Money) -> tuple[str, str]:
    """The SKU's product and its price at ``unit`` in billing (a usage SKU's price bills
    from its meter)."""
    entry = SKUS.entry(sku)
    product = product_for(sku, entry)
    billing_product = system.adapter.ensure_product(product)
    meter = (system.adapter.ensure_meter(entry.meter, entry.name)
             if entry.kind is ProductKind.USAGE and entry.meter else None)
    price = system.adapter.ensure_price(price_for(product, unit), billing_product, meter=meter)
    return billing_product, price


def subscribe(system: RoleSystem, buyer: Customer, unit: Money, quantity: int,
              tax: TaxRate | None, *, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """The customer, the SKU's product and price, the tax rate and a subscription (with a
    line of each ``extra`` SKU at its list price, quantity 1)."""
    billing = system.adapter
    start = date.today()
    billing_customer = billing.create_customer(buyer, starts_at=starts_at(start),
                                               payment_method=None)
    billing_product, price = billing_price(system, SKU, unit)
    rate = billing.ensure_tax_rate(tax) if tax is not None else None
    line = ContractLine(product_sku=SKU, quantity=Decimal(quantity), unit_price=unit)
    lines = [(line, ProductKind.RECURRING, price)]
    for sku in extra:
        list_price = Money.of(SKUS.entry(sku).prices[unit.currency], unit.currency)
        lines.append((ContractLine(product_sku=sku, quantity=Decimal(1),
                                   unit_price=list_price),
                      SKUS.entry(sku).kind, billing_price(system, sku, list_price)[1]))
    contract = Contract(customer_id=buyer.id, legal_entity=buyer.legal_entity,
                        currency=unit.currency, lines=tuple(found[0] for found in lines),
                        term_months=12, start_date=start,
                        end_date=date(start.year + 1, start.month, 1), deal_id=f"deal-{buyer.id}")
    subscription_id = derived_id(EntityType.SUBSCRIPTION, "role-suite", buyer.id)
    created = billing.create_subscription(
        contract, subscription_id, billing_customer_id=billing_customer, lines=lines,
        tax_rate=rate, deal_id=contract.deal_id, charge_automatically=False)
    return {"customer": billing_customer, "product": billing_product, "price": price,
            "tax_rate": rate, "contract": contract, "subscription_id": subscription_id,
            "subscription": created, "line": line}


@pytest.fixture(scope="module")
def usd(system: RoleSystem) -> dict[str, Any]:
    return subscribe(system, customer("Northwind", "USD", "US01"), Money.of("49.00", "USD"),
                     3, None)


def test_customers_are_created_once(system: RoleSystem, usd: dict[str, Any]) -> None:
    buyer = customer("Northwind", "USD", "US01")
    again = system.adapter.create_customer(buyer, starts_at=starts_at(date.today()),
                                           payment_method=None)
    assert again == usd["customer"]


def test_the_catalog_is_created_once(system: RoleSystem, usd: dict[str, Any]) -> None:
    product = product_for(SKU, ENTRY)
    assert system.adapter.ensure_product(product) == usd["product"]
    price = price_for(product, Money.of("49.00", "USD"))
    assert system.adapter.ensure_price(price, usd["product"]) == usd["price"]


def test_tax_rates_are_created_once_and_none_for_no_tax(system: RoleSystem) -> None:
    vat = TaxRate(code="DE01", country="DE", jurisdiction="DE", percentage=Decimal(19))
    first = system.adapter.ensure_tax_rate(vat)
    assert first is not None
    assert system.adapter.ensure_tax_rate(vat) == first
    free = TaxRate(code="US01", country="US", jurisdiction="US", percentage=Decimal(0))
    assert system.adapter.ensure_tax_rate(free) is None


def test_a_subscription_is_active_and_created_once(system: RoleSystem,
                                                   usd: dict[str, Any]) -> None:
    assert usd["subscription"].status is SubscriptionStatus.ACTIVE
    again = system.adapter.create_subscription(
        usd["contract"], usd["subscription_id"], billing_customer_id=usd["customer"],
        lines=[(usd["line"], ProductKind.RECURRING, usd["price"])], tax_rate=None,
        deal_id=usd["contract"].deal_id, charge_automatically=False)
    assert again == usd["subscription"]


@pytest.mark.parametrize(("currency", "amount", "tax_percent", "subtotal", "tax"), [
    ("USD", "49.00", "0", "147.00", "0.00"),
    ("JPY", "4900", "10", "14700", "1470"),
])
def test_an_issued_invoice_reads_back_as_canonical(
        system: RoleSystem, currency: str, amount: str, tax_percent: str, subtotal: str,
        tax: str) -> None:
    buyer = customer(f"Invoiced{currency}", currency, "US01")
    rate = TaxRate(code=f"RC-{currency}", country="US", jurisdiction="US-TX",
                   percentage=Decimal(tax_percent)) if tax_percent != "0" else None
    made = subscribe(system, buyer, Money.of(amount, currency), 3, rate)
    billing_invoice = system.kit.issued_invoice(made["subscription"].id)

    document = system.adapter.read_invoice(billing_invoice)
    refs = system.adapter.invoice_refs(document)
    assert (refs.customer, refs.subscription) == (made["customer"], made["subscription"].id)
    canonical_id = derived_id(EntityType.INVOICE, "role-suite", billing_invoice)
    invoice = system.adapter.to_invoice(
        document, canonical_id=canonical_id, customer_id=buyer.id,
        subscription_id=made["subscription_id"], legal_entity="US01",
        sku_of_product={made["product"]: ENTRY.erp_item})

    assert invoice.id == canonical_id
    assert (invoice.customer_id, invoice.subscription_id, invoice.legal_entity) == \
        (buyer.id, made["subscription_id"], "US01")
    assert invoice.status is InvoiceStatus.OPEN
    assert invoice.number
    assert invoice.currency == currency
    assert invoice.subtotal == Money.of(subtotal, currency)
    assert invoice.tax_total == Money.of(tax, currency)
    assert invoice.total == Money.of(Decimal(subtotal) + Decimal(tax), currency)
    exponent = -2 if currency == "USD" else 0
    for money in (invoice.subtotal, invoice.tax_total, invoice.total,
                  *(line.amount for line in invoice.lines)):
        assert isinstance(money.amount, Decimal)
        assert money.amount.as_tuple().exponent == exponent, money
    [line] = [line for line in invoice.lines if line.product_sku == ENTRY.erp_item]
    assert (line.quantity, line.amount) == (Decimal(3), Money.of(subtotal, currency))

    # an operator looks the invoice up by its number: billing's view of it now
    assert invoice.number is not None
    view = system.adapter.find_invoice(invoice.number)
    assert view is not None
    assert (view.invoice_id, view.currency, view.total) == \
        (billing_invoice, currency, invoice.total.amount)
    assert (view.customer_ref, view.subscription_ref) == \
        (made["customer"], made["subscription"].id)
    assert view.amount_remaining == invoice.total.amount
    assert system.adapter.find_invoice(f"NO-{invoice.number}") is None


def test_a_customer_update_reaches_billing(system: RoleSystem, usd: dict[str, Any]) -> None:
    renamed = customer("Northwind", "USD", "US01").model_copy(
        update={"legal_name": "Northwind Analytics"})
    system.adapter.update_customer(usd["customer"], renamed, 2)
    assert system.kit.customer_name(usd["customer"]) == "Northwind Analytics"


def test_an_upgrade_changes_the_live_subscription(system: RoleSystem) -> None:
    made = subscribe(system, customer("Upgraded", "USD", "US01"), Money.of("49.00", "USD"),
                     3, None)
    contract = made["contract"]
    more = contract.model_copy(update={
        "id": derived_id(EntityType.CONTRACT, "role-suite", "upgrade", contract.id),
        "lines": (made["line"].model_copy(update={"quantity": Decimal(8)}),)})
    amended = system.adapter.amend_subscription(made["customer"], more, [made["price"]],
                                                DealType.UPGRADE, frozenset({SKU}))
    assert amended.id == made["subscription"].id
    assert amended.status is SubscriptionStatus.ACTIVE
    assert system.kit.item_quantities(amended.id)[made["price"]] == 8


def test_usage_is_reported_once_to_the_metered_item(system: RoleSystem) -> None:
    entry = SKUS.entry(USAGE_SKU)
    assert entry.meter
    meter = system.adapter.ensure_meter(entry.meter, entry.name)
    assert system.adapter.ensure_meter(entry.meter, entry.name) == meter
    made = subscribe(system, customer("Metered", "USD", "US01"), Money.of("49.00", "USD"), 1,
                     None, extra=(USAGE_SKU,))
    item = system.adapter.metered_item(made["customer"], USAGE_SKU)
    assert item.subscription == made["subscription"].id
    usage = UsageRecord(id=derived_id(EntityType.USAGE_RECORD, "role-suite", "usage-1"),
                        subscription_id=made["subscription_id"], product_sku=USAGE_SKU,
                        quantity=Decimal(12), occurred_at=datetime.now(UTC))
    assert system.adapter.report_usage(usage, meter_event=entry.meter,
                                       billing_customer_id=made["customer"]) is True
    assert system.adapter.report_usage(usage, meter_event=entry.meter,
                                       billing_customer_id=made["customer"]) is False


@pytest.fixture(scope="module")
def paid(system: RoleSystem) -> dict[str, Any]:
    """A subscription whose first invoice (98.00) the customer paid by card."""
    buyer = customer("Payer", "USD", "US01")
    made = subscribe(system, buyer, Money.of("49.00", "USD"), 2, None)
    made["buyer"] = buyer
    made["invoice"] = system.kit.paid_invoice(made["customer"], made["subscription"].id)
    return made


def test_a_paid_invoice_reads_back_as_a_payment_and_its_refund(
        system: RoleSystem, paid: dict[str, Any]) -> None:
    buyer, billing_invoice = paid["buyer"], paid["invoice"]
    invoice_id = derived_id(EntityType.INVOICE, "role-suite", billing_invoice)
    total = Money.of("98.00", "USD")

    document = system.adapter.read_payment(billing_invoice)
    assert document is not None
    read = system.adapter.payment_read(document)
    assert read.customer == paid["customer"]
    assert read.failed_attempts_before == 0
    paid["payment"] = read.payment
    payment_id = derived_id(EntityType.PAYMENT, "role-suite", read.payment)
    payment = system.adapter.to_payment(document, canonical_id=payment_id,
                                        customer_id=buyer.id, invoice_id=invoice_id)
    assert (payment.id, payment.customer_id, payment.amount, payment.status) == \
        (payment_id, buyer.id, total, PaymentStatus.SUCCEEDED)
    assert payment.allocations == (Allocation(invoice_id=invoice_id, amount=total),)
    number = system.adapter.to_invoice(
        system.adapter.read_invoice(billing_invoice), canonical_id=invoice_id,
        customer_id=buyer.id, subscription_id=paid["subscription_id"], legal_entity="US01",
        sku_of_product={}).number
    assert number is not None
    paid["number"] = number
    view = system.adapter.find_invoice(number)
    assert view is not None
    assert (view.amount_paid, view.amount_remaining) == (total.amount, Decimal(0))
    assert view.paid_at is not None
    fee = system.adapter.processor_fee(document)
    if fee is not None:  # a billing system that keeps a fee says how much, on which payment
        assert fee.payment_reference == read.payment
        assert fee.amount.currency == "USD"
        assert Money.zero("USD") < fee.amount < total

    system.kit.refund(read.payment, Money.of("10.00", "USD"))
    [refunded] = system.adapter.read_refunds(read.payment)
    assert system.adapter.refund_id(refunded)
    paid["refund"] = system.adapter.refund_id(refunded)
    refund_id = derived_id(EntityType.REFUND, "role-suite", system.adapter.refund_id(refunded))
    refund = system.adapter.to_refund(refunded, canonical_id=refund_id, payment_id=payment_id,
                                      customer_id=buyer.id)
    assert (refund.id, refund.payment_id, refund.amount, refund.status) == \
        (refund_id, payment_id, Money.of("10.00", "USD"), RefundStatus.SUCCEEDED)


def test_reconciliation_reads_what_billing_holds(system: RoleSystem, paid: dict[str, Any],
                                                 usd: dict[str, Any]) -> None:
    """In accord's words: the paid invoice (by its number) paid, an issued one open, the
    payment and its refund, the customers and the live subscription; cash is the payment
    less the refund."""
    assert "refund" in paid, "runs after the payment test, which refunds 10.00"
    open_invoice = system.kit.issued_invoice(usd["subscription"].id)
    reader = system.reader()
    assert isinstance(reader, ReconciliationReader)
    assert reader.system == system.definition.name
    invoices = {view.system_id: view for view in reader.records(Entity.INVOICE)}
    assert (invoices[paid["invoice"]].key, invoices[paid["invoice"]].amount,
            invoices[paid["invoice"]].status) == (paid["number"], Money.of("98.00", "USD"),
                                                  "paid")
    assert (invoices[open_invoice].amount, invoices[open_invoice].status) == \
        (Money.of("147.00", "USD"), "open")
    payments = {view.system_id: view.amount for view in reader.records(Entity.PAYMENT)}
    assert payments[paid["payment"]] == Money.of("98.00", "USD")
    refunds = {view.system_id: view.amount for view in reader.records(Entity.REFUND)}
    assert refunds[paid["refund"]] == Money.of("10.00", "USD")
    customers = {view.system_id for view in reader.records(Entity.CUSTOMER)}
    assert {paid["customer"], usd["customer"]} <= customers
    subscriptions = {view.system_id: view.status
                     for view in reader.records(Entity.SUBSCRIPTION)}
    assert subscriptions[paid["subscription"].id] == SubscriptionStatus.ACTIVE.value
    cash = [c.amount for c in reader.contributions()
            if c.measure is Measure.CASH and c.amount.currency == "USD"]
    assert money_sum(cash, "USD") == Money.of("88.00", "USD")
    invoiced = [c.amount for c in reader.contributions() if c.measure is Measure.INVOICED]
    assert Money.of("98.00", "USD") in invoiced
    assert Money.of("147.00", "USD") in invoiced

def test_every_port_method_was_exercised(connector_name: str) -> None:
    """Runs after every other test of this module (tests/roles/conftest.py): each method of
    the port has a behavioural test above (a method added to the port needs one here)."""
    assert untested(ROLE, connector_name) == set()
