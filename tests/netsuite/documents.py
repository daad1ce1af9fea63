"""Canonical documents for NetSuite tests, dated inside the sandbox's open period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

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
    JournalEntry,
    JournalLine,
    Money,
    Payment,
    PaymentStatus,
    Product,
    ProductKind,
    Refund,
    RefundStatus,
    Side,
    TaxIdKind,
    TaxLine,
    TaxProfile,
    TaxRegistration,
)


def customer(legal_entity: str = "US01", currency: str = "USD", name: str = "Acme Inc"
             ) -> Customer:
    return Customer(
        legal_name=name, legal_entity=legal_entity, currency=currency,
        billing_address=Address(line1="1 Main St", city="Springfield", region="IL",
                                postal_code="62701", country="US"),
        tax_profile=TaxProfile(registrations=(
            TaxRegistration(country="US", kind=TaxIdKind.VAT, value="US-123"),)),
        contacts=(Contact(name=name, email="ap@acme.example", role=ContactRole.BILLING),),
        domain="acme.example")


def product() -> Product:
    return Product(sku="WIDGET-PRO", name="Widget Pro", kind=ProductKind.SERVICE,
                   revenue_category="services")


def invoice(customer_id: str, day: date, *, number: str = "INV-0001",
            legal_entity: str = "US01", currency: str = "USD",
            amount: str = "1000.00", tax: str = "85.00") -> Invoice:
    subtotal = Money.of(amount, currency)
    tax_amount = Money.of(tax, currency)
    return Invoice(
        number=number, customer_id=customer_id, legal_entity=legal_entity, currency=currency,
        status=InvoiceStatus.OPEN, issue_date=day, due_date=day, po_number="PO-1",
        lines=(InvoiceLine(description="Platform subscription", product_sku="SUBSCRIPTION",
                           quantity=Decimal(2), unit_amount=Money.of(Decimal(amount) / 2,
                                                                     currency),
                           amount=subtotal, tax_amount=tax_amount),),
        tax_lines=(TaxLine(jurisdiction="US-CA", rate=Decimal("8.5"), taxable_amount=subtotal,
                           amount=tax_amount),),
        subtotal=subtotal, tax_total=tax_amount, total=subtotal + tax_amount)


def payment(customer_id: str, inv: Invoice, day: date, amount: str) -> Payment:
    money = Money.of(amount, inv.currency)
    return Payment(customer_id=customer_id, amount=money, status=PaymentStatus.SUCCEEDED,
                   allocations=(Allocation(invoice_id=inv.id, amount=money),),
                   received_at=datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


def credit_note(inv: Invoice, day: date, amount: str) -> CreditNote:
    money = Money.of(amount, inv.currency)
    return CreditNote(number="CN-1", invoice_id=inv.id, customer_id=inv.customer_id,
                      currency=inv.currency, issue_date=day,
                      lines=(CreditNoteLine(description="Service credit",
                                            product_sku="SERVICES", amount=money),),
                      subtotal=money, tax_total=Money.zero(inv.currency), total=money)


def refund(pay: Payment, note: CreditNote, day: date, amount: str) -> Refund:
    return Refund(payment_id=pay.id, customer_id=pay.customer_id,
                  amount=Money.of(amount, note.currency), status=RefundStatus.SUCCEEDED,
                  refunded_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC),
                  credit_note_id=note.id)


def journal(day: date, total: str = "1085.00") -> JournalEntry:
    return JournalEntry(
        legal_entity="US01", period=day.strftime("%Y-%m"), entry_date=day, currency="USD",
        memo="revenue accrual", source_document="INV-0001",
        lines=(JournalLine(account="1200", side=Side.DEBIT, amount=Money.of(total, "USD")),
               JournalLine(account="4000", side=Side.CREDIT,
                           amount=Money.of(Decimal(total) - Decimal("85.00"), "USD"),
                           department="Sales", gl_class="Subscription", location="HQ"),
               JournalLine(account="2200", side=Side.CREDIT, amount=Money.of("85.00", "USD"))))
