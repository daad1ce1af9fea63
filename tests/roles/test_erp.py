"""Every ERP adapter (:class:`accord.ports.ErpPort`) behaves the same on its sandbox: each
record posts once, upserted on accord's canonical id (a re-post is the same record), with
the amounts the canonical document holds; a processor fee becomes a balanced journal in the
ERP's own accounts; a SKU's item is checked; a posted customer is looked up by its id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from accord.canonical import (
    Address,
    Allocation,
    Contact,
    ContactRole,
    CreditNote,
    CreditNoteLine,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Money,
    Payment,
    PaymentStatus,
    Product,
    ProductKind,
    Refund,
    RefundStatus,
)
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.ledger import Side
from accord.canonical.payments import ProcessorFee
from accord.canonical.reconciliation import Entity, Measure
from accord.canonical.roles import Role
from accord.errors import DataQualityError
from accord.flows.skus import load_skus
from accord.ports.reconciliation import LedgerReader
from tests.roles.kit import RoleSystem, untested

# the role suites share their systems and the calls they saw (tests/roles/conftest.py):
# under pytest-xdist all three run in order on one process
pytestmark = pytest.mark.xdist_group("roles")

ROLE = Role.ERP
LEGAL_ENTITY = "US01"
SKUS = load_skus()
SUBSCRIPTION_ITEM = SKUS.entry("BW-PLAT-SEAT").erp_item
SERVICES_ITEM = SKUS.entry("BW-ONBOARD").erp_item
"""ERP item keys of the shared SKU mapping: every ERP's reference data knows them."""


def customer(name: str) -> Customer:
    return Customer(id=derived_id(EntityType.CUSTOMER, "role-suite", name), legal_name=name,
                    legal_entity=LEGAL_ENTITY, currency="USD",
                    billing_address=Address(line1="1 Main St", city="Austin", region="TX",
                                            postal_code="73301", country="US"),
                    contacts=(Contact(name=name, email=f"ap@{name.lower()}.example",
                                      role=ContactRole.BILLING),),
                    domain=f"{name.lower()}.example")


def invoice(customer_id: str, day: date, number: str, amount: str) -> Invoice:
    subtotal = Money.of(amount, "USD")
    return Invoice(number=number, customer_id=customer_id, legal_entity=LEGAL_ENTITY,
                   currency="USD", status=InvoiceStatus.OPEN, issue_date=day, due_date=day,
                   lines=(InvoiceLine(description="Platform seats", product_sku=SUBSCRIPTION_ITEM,
                                      quantity=Decimal(4),
                                      unit_amount=Money.of(Decimal(amount) / 4, "USD"),
                                      amount=subtotal, tax_amount=Money.zero("USD")),),
                   subtotal=subtotal, tax_total=Money.zero("USD"), total=subtotal)


def payment(inv: Invoice, day: date, amount: str) -> Payment:
    money = Money.of(amount, "USD")
    return Payment(customer_id=inv.customer_id, amount=money, status=PaymentStatus.SUCCEEDED,
                   allocations=(Allocation(invoice_id=inv.id, amount=money),),
                   received_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


def credit_note(inv: Invoice, day: date, number: str, amount: str) -> CreditNote:
    money = Money.of(amount, "USD")
    return CreditNote(number=number, invoice_id=inv.id, customer_id=inv.customer_id,
                      currency="USD", issue_date=day,
                      lines=(CreditNoteLine(description="Service credit",
                                            product_sku=SERVICES_ITEM, amount=money),),
                      subtotal=money, tax_total=Money.zero("USD"), total=money)


def posted_once(system: RoleSystem, kind: str, post: Callable[[], str], external_id: str,
                total: Money | None = None) -> str:
    """Post, post again: the same ERP record, one record with the canonical id, holding
    ``total``."""
    first = post()
    assert post() == first, f"re-posting the {kind} made another record"
    assert system.kit.count(kind, external_id) == 1
    if total is not None:
        assert system.kit.total(kind, first) == total
    return first


@pytest.fixture(scope="module")
def day(system: RoleSystem) -> date:
    found: date = system.kit.today()
    return found


@pytest.fixture(scope="module")
def posted(system: RoleSystem, day: date) -> dict[str, Any]:
    """A customer and an invoice of 1,000.00 posted (the documents the tests build on)."""
    buyer = customer("Northwind")
    erp_customer = system.adapter.post_customer(buyer)
    bill = invoice(buyer.id, day, "RC-INV-1", "1000.00")
    return {"customer": buyer, "erp_customer": erp_customer, "invoice": bill,
            "erp_invoice": system.adapter.post_invoice(bill)}


def test_a_customer_posts_once_and_is_looked_up_by_its_erp_id(
        system: RoleSystem, connector_name: str) -> None:
    buyer = customer("Contoso")
    erp_id = posted_once(system, "customer", lambda: system.adapter.post_customer(buyer),
                         buyer.id)
    back = system.adapter.read_customer(erp_id)
    assert back.id == buyer.id
    assert (back.legal_name, back.legal_entity, back.currency) == \
        (buyer.legal_name, buyer.legal_entity, buyer.currency)
    assert back.external_ids.get(connector_name) == erp_id


def test_an_invoice_posts_once_with_its_total(system: RoleSystem,
                                              posted: dict[str, Any]) -> None:
    bill: Invoice = posted["invoice"]
    erp_id = posted_once(system, "invoice", lambda: system.adapter.post_invoice(bill), bill.id,
                         Money.of("1000.00", "USD"))
    assert erp_id == posted["erp_invoice"]


def test_an_invoice_is_found_by_erp_id_canonical_id_or_number(
        system: RoleSystem, posted: dict[str, Any]) -> None:
    bill: Invoice = posted["invoice"]
    erp_id: str = posted["erp_invoice"]
    for ids in ({"internal_id": erp_id, "external_id": None},
                {"internal_id": None, "external_id": bill.id},
                {"internal_id": None, "external_id": None}):
        view = system.adapter.find_invoice(**ids, number=str(bill.number))
        assert view is not None, ids
        assert (view.internal_id, view.document_number, view.total) == \
            (erp_id, bill.number, Decimal("1000.00")), ids
        assert view.amount_remaining is not None
    assert system.adapter.find_invoice(internal_id=None, external_id=None,
                                       number="RC-NO-SUCH-INVOICE") is None


def test_invoices_post_in_a_batch_once(system: RoleSystem, posted: dict[str, Any],
                                       day: date) -> None:
    buyer: Customer = posted["customer"]
    bills = [invoice(buyer.id, day, f"RC-BATCH-{n}", f"{n}00.00") for n in (1, 2)]
    first = system.adapter.post_invoices(bills, idempotency_key="role-suite-batch")
    again = system.adapter.post_invoices(bills, idempotency_key="role-suite-batch")
    assert [(p.canonical_id, p.error) for p in first] == [(b.id, None) for b in bills]
    assert [p.erp_id for p in again] == [p.erp_id for p in first]
    for bill, result in zip(bills, first, strict=True):
        assert system.kit.count("invoice", bill.id) == 1
        assert result.erp_id is not None
        assert system.kit.total("invoice", result.erp_id) == bill.total


def test_a_payment_posts_once_against_its_invoice(system: RoleSystem, posted: dict[str, Any],
                                                  day: date) -> None:
    paid = payment(posted["invoice"], day, "600.00")
    posted_once(system, "payment", lambda: system.adapter.post_payment(paid), paid.id,
                Money.of("600.00", "USD"))


def test_a_credit_note_and_its_refund_post_once(system: RoleSystem, posted: dict[str, Any],
                                                day: date) -> None:
    bill: Invoice = posted["invoice"]
    applied = credit_note(bill, day, "RC-CN-1", "100.00")
    posted_once(system, "credit_note", lambda: system.adapter.post_credit_note(applied),
                applied.id, Money.of("100.00", "USD"))
    # a credit left open (not applied to the invoice) is what a refund pays out
    open_note = credit_note(bill, day, "RC-CN-2", "80.00")
    system.adapter.post_credit_note(open_note, apply=False)
    paid = payment(bill, day, "200.00")
    system.adapter.post_payment(paid)
    refund = Refund(payment_id=paid.id, customer_id=bill.customer_id,
                    amount=Money.of("50.00", "USD"), status=RefundStatus.SUCCEEDED,
                    refunded_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
                    credit_note_id=open_note.id)
    posted_once(system, "refund", lambda: system.adapter.post_refund(refund), refund.id,
                Money.of("50.00", "USD"))


def test_a_processor_fee_is_a_balanced_journal_posted_once(
        system: RoleSystem, posted: dict[str, Any], day: date) -> None:
    paid = payment(posted["invoice"], day, "100.00")
    fee = ProcessorFee(reference="fee-role-suite-1", amount=Money.of("3.20", "USD"),
                       payment_reference="payment-role-suite-1")
    journal_id = derived_id(EntityType.JOURNAL_ENTRY, "role-suite-fee", fee.reference)
    entry = system.adapter.processor_fee_entry(fee, paid, LEGAL_ENTITY,
                                               canonical_id=journal_id)
    assert entry.id == journal_id
    assert entry.total(Side.DEBIT) == entry.total(Side.CREDIT) == fee.amount
    assert entry.entry_date == day
    posted_once(system, "journal", lambda: system.adapter.post_journal(entry), entry.id)


def test_products_post_once_and_items_are_checked(system: RoleSystem) -> None:
    product = Product(sku="RC-WIDGET", name="Role suite widget", kind=ProductKind.SERVICE,
                      revenue_category="services")
    first = system.adapter.post_product(product)
    assert system.adapter.post_product(product) == first
    assert system.adapter.check_item(SUBSCRIPTION_ITEM, sku="BW-PLAT-SEAT")
    with pytest.raises(DataQualityError) as missing:
        system.adapter.check_item("NO-SUCH-ITEM", sku="BW-NOTHING")
    assert missing.value.field


def test_reconciliation_reads_the_postings_and_a_ledger_that_agrees(
        system: RoleSystem, posted: dict[str, Any]) -> None:
    """The posted invoice and customer in accord's words (the invoice keyed by its number),
    its part of the control totals, and a general ledger whose journals balance and whose
    receivables agree with the subledger of open items."""
    reader = system.reader()
    assert isinstance(reader, LedgerReader)
    assert reader.system == system.definition.name
    bill: Invoice = posted["invoice"]
    invoices = {view.system_id: view for view in reader.records(Entity.INVOICE)}
    assert (invoices[posted["erp_invoice"]].key, invoices[posted["erp_invoice"]].amount) == \
        (bill.number, bill.total)
    customers = {view.system_id: view.key for view in reader.records(Entity.CUSTOMER)}
    assert customers[posted["erp_customer"]] == posted["customer"].id
    invoiced = [c for c in reader.contributions() if c.measure is Measure.INVOICED]
    assert any(c.amount == bill.subtotal and c.subsidiary == LEGAL_ENTITY for c in invoiced)

    lines = list(reader.journal_lines())
    assert lines
    for transaction in {line.transaction for line in lines}:
        mine = [line for line in lines if line.transaction == transaction]
        assert sum(x.debit for x in mine) == sum(x.credit for x in mine), transaction
    for entry in reader.postings():  # balanced by construction, in the ERP's accounts
        assert entry.total(Side.DEBIT) == entry.total(Side.CREDIT)
    accounts = reader.ledger_accounts()
    assert accounts.cash
    assert {accounts.tax_payable, accounts.processor_fees} <= set(accounts.types)
    rows = [row for row in reader.receivable_rows()
            if row.customer in (posted["erp_customer"], posted["customer"].id)]
    assert rows
    assert sum(row.control_account for row in rows) == sum(row.subledger for row in rows)


def test_every_port_method_was_exercised(connector_name: str) -> None:
    """Runs after every other test of this module (tests/roles/conftest.py): each method of
    the port has a behavioural test above (a method added to the port needs one here)."""
    assert untested(ROLE, connector_name) == set()
