"""A small, consistent set of documents for one deal (demo and documentation)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from accord.canonical.base import DateRange, Entity
from accord.canonical.billing import (
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    RevenueRecognition,
    TaxLine,
)
from accord.canonical.catalog import IntervalUnit, Price, Product, ProductKind, Recurrence
from accord.canonical.contract import Contract, ContractLine
from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.money import Money
from accord.canonical.party import (
    Address,
    Contact,
    ContactRole,
    Customer,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.canonical.payments import Allocation, Payment, PaymentStatus


def sample_documents() -> list[Entity]:
    usd = "USD"
    customer = Customer(
        legal_name="Northwind Analytics GmbH", legal_entity="DE01", currency="EUR",
        billing_address=Address(line1="Friedrichstr. 1", city="Berlin", postal_code="10117",
                                country="DE"),
        tax_profile=TaxProfile(registrations=(
            TaxRegistration(country="DE", kind=TaxIdKind.VAT, value="DE123456789"),)),
        contacts=(Contact(name="Ada Weber", email="ap@northwind.example",
                          role=ContactRole.BILLING),),
        domain="northwind.example",
    )
    product = Product(sku="PLAT-ANNUAL", name="Platform, annual seat",
                      kind=ProductKind.RECURRING, revenue_category="subscription")
    price = Price(product_id=product.id, currency=usd, unit_amount=Money.of("1200.00", usd),
                  recurrence=Recurrence(interval=IntervalUnit.YEAR))
    line = ContractLine(product_sku=product.sku, quantity=Decimal(25),
                        unit_price=Money.of("1200.00", usd), discount_percent=Decimal(10))
    contract = Contract(customer_id=customer.id, legal_entity="US01", currency=usd, lines=(line,),
                        term_months=12, start_date=date(2026, 11, 1), end_date=date(2027, 10, 31),
                        po_number="PO-7781", deal_id="006000000000001AAA")
    subtotal = line.amount
    tax = Money.of("2295.00", usd)
    invoice = Invoice(
        number="INV-2026-0001", customer_id=customer.id, legal_entity="US01", currency=usd,
        status=InvoiceStatus.OPEN, issue_date=date(2026, 11, 1), due_date=date(2026, 12, 1),
        lines=(InvoiceLine(description="Platform, annual seat x25", product_sku=product.sku,
                           quantity=Decimal(25), amount=subtotal, tax_amount=tax,
                           revenue_recognition=RevenueRecognition.RATABLE,
                           service_period=DateRange(start=date(2026, 11, 1),
                                                    end=date(2027, 10, 31))),),
        tax_lines=(TaxLine(jurisdiction="US-CA", rate=Decimal("8.5"), taxable_amount=subtotal,
                           amount=tax),),
        subtotal=subtotal, tax_total=tax, total=subtotal + tax,
    )
    payment = Payment(customer_id=customer.id, amount=invoice.total,
                      fee=Money.of("870.85", usd), status=PaymentStatus.SUCCEEDED,
                      allocations=(Allocation(invoice_id=invoice.id, amount=invoice.total),),
                      received_at=datetime(2026, 11, 5, 14, 0, tzinfo=UTC))
    journal = JournalEntry(
        legal_entity="US01", period="2026-11", entry_date=date(2026, 11, 1), currency=usd,
        source_document=invoice.number,
        lines=(JournalLine(account="1200", side=Side.DEBIT, amount=invoice.total),
               JournalLine(account="4000", side=Side.CREDIT, amount=subtotal),
               JournalLine(account="2200", side=Side.CREDIT, amount=tax)),
    )
    yen = Invoice(
        number="INV-2026-0002", customer_id=customer.id, legal_entity="JP01", currency="JPY",
        status=InvoiceStatus.OPEN, issue_date=date(2026, 11, 1),
        lines=(InvoiceLine(description="Platform, monthly", amount=Money.of(98000, "JPY"),
                           tax_amount=Money.zero("JPY"),
                           revenue_recognition=RevenueRecognition.POINT_IN_TIME),),
        subtotal=Money.of(98000, "JPY"), tax_total=Money.zero("JPY"),
        total=Money.of(98000, "JPY"),
    )
    return [customer, product, price, contract, invoice, payment, journal, yen]


__all__ = ["sample_documents"]
