"""FakeBill in the billing role (:class:`accord.ports.BillingPort`): customers, the catalog
(products and plans), tax rates and subscriptions created from canonical models, each
create keyed ``accord:<canonical id>:<action>`` so a replay makes nothing new; invoices read
back as canonical invoices (minor units -> exact Decimal money).

FakeBill takes no payments and has no usage metering API, so the payment, refund, usage
and amendment methods say so with a permanent error (a flow that needs them stops on an
exception naming it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NoReturn

from accord.canonical.base import DateRange
from accord.canonical.billing import Invoice, InvoiceLine, InvoiceStatus, TaxLine
from accord.canonical.catalog import Price, Product, ProductKind
from accord.canonical.contract import Contract, ContractLine
from accord.canonical.deals import (
    DealType,
    InvoiceRefs,
    MeteredItem,
    PaymentRead,
    SubscriptionRef,
    TaxRate,
)
from accord.canonical.money import Money
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, ProcessorFee, Refund
from accord.canonical.subscription import SubscriptionStatus, UsageRecord
from accord.errors import DataQualityError, PermanentError, Team
from tests.fakebill.connector.client import FakeBillClient, idempotency_key

Document = dict[str, Any]
STATES = {"running": SubscriptionStatus.ACTIVE, "overdue": SubscriptionStatus.PAST_DUE,
          "ended": SubscriptionStatus.CANCELED}
"""FakeBill's subscription states -> accord's."""
INVOICE_STATES = {"draft": InvoiceStatus.DRAFT, "issued": InvoiceStatus.OPEN,
                  "settled": InvoiceStatus.PAID, "cancelled": InvoiceStatus.VOID}


def address(customer: Customer) -> dict[str, Any]:
    found = customer.billing_address
    return found.model_dump(mode="json") if found is not None else {}


def money(minor: int, currency: str) -> Money:
    return Money.from_minor_units(int(minor), currency)


def minor_units(price: Price) -> int:
    if price.unit_amount is None:
        raise DataQualityError("unit_amount", "FakeBill plans have a fixed amount",
                               owner=Team.REVENUE_OPERATIONS, system="fakebill")
    return price.unit_amount.to_minor_units()


class FakeBillBilling:
    def __init__(self, client: FakeBillClient, *, system: str) -> None:
        self.client = client
        self.system = system
        self.test_clocks = False

    def _unsupported(self, what: str) -> NoReturn:
        raise PermanentError(f"FakeBill has no {what}", system=self.system)

    # -- customers and the catalog --------------------------------------------------------
    def create_customer(self, customer: Customer, *, starts_at: datetime | None,
                        payment_method: str | None) -> str:
        contact = customer.billing_contact
        body = {"name": customer.legal_name, "email": contact.email if contact else None,
                "currency": customer.currency, "reference": customer.id,
                "address": address(customer)}
        return str(self.client.create("customers", body,
                                      key=idempotency_key(customer.id, "create"))["id"])

    def update_customer(self, billing_customer_id: str, customer: Customer,
                        version: int) -> None:
        contact = customer.billing_contact
        self.client.call("POST", f"/v1/customers/{billing_customer_id}", json={
            "name": customer.legal_name, "email": contact.email if contact else None,
            "address": address(customer)})

    def ensure_product(self, product: Product) -> str:
        body = {"name": product.name, "code": product.sku, "reference": product.id}
        return str(self.client.create("products", body,
                                      key=idempotency_key(product.id, "create"))["id"])

    def ensure_price(self, price: Price, billing_product_id: str, *,
                     meter: str | None = None) -> str:
        body = {"product": billing_product_id, "currency": price.currency,
                "amount": minor_units(price),
                "interval": price.recurrence.interval.value if price.recurrence else None,
                "meter": meter, "reference": price.id}
        return str(self.client.create("plans", body,
                                      key=idempotency_key(price.id, "create"))["id"])

    def ensure_meter(self, event_name: str, display_name: str) -> str:
        body = {"event_name": event_name, "display_name": display_name}
        return str(self.client.create("meters", body,
                                      key=idempotency_key(f"meter-{event_name}", "create"))["id"])

    def ensure_tax_rate(self, rate: TaxRate) -> str | None:
        if rate.percentage == 0:
            return None
        body = {"code": rate.key, "percent": str(rate.percentage),
                "jurisdiction": rate.jurisdiction}
        return str(self.client.create("tax-rates", body,
                                      key=idempotency_key(f"taxrate-{rate.key}", "create"))["id"])

    # -- subscriptions ----------------------------------------------------------------------
    def create_subscription(self, contract: Contract, subscription_id: str, *,
                            billing_customer_id: str,
                            lines: Sequence[tuple[ContractLine, ProductKind, str]],
                            tax_rate: str | None, deal_id: str,
                            charge_automatically: bool) -> SubscriptionRef:
        """Recurring and usage lines are subscription items; one-time and service lines
        one-off charges on the first invoice."""
        items: list[dict[str, Any]] = []
        one_off: list[dict[str, Any]] = []
        for line, kind, plan in lines:
            entry = {"plan": plan, "quantity": int(line.quantity)}
            (items if kind in (ProductKind.RECURRING, ProductKind.USAGE) else one_off).append(
                entry)
        body = {"customer": billing_customer_id, "items": items, "one_off": one_off,
                "tax_rate": tax_rate, "start": contract.start_date.isoformat(),
                "end": contract.end_date.isoformat(),
                "collection": "auto" if charge_automatically else "invoice",
                "metadata": {"accord_id": subscription_id, "contract_id": contract.id,
                             "deal_id": deal_id, "legal_entity": contract.legal_entity}}
        created = self.client.create("subscriptions", body,
                                     key=idempotency_key(subscription_id, "create"))
        return SubscriptionRef(id=str(created["id"]),
                               status=STATES.get(str(created["state"]),
                                                 SubscriptionStatus.INCOMPLETE))

    def amend_subscription(self, billing_customer_id: str, contract: Contract,
                           prices: Sequence[str], kind: DealType,
                           recurring_skus: frozenset[str]) -> SubscriptionRef:
        self._unsupported("subscription amendments")

    def metered_item(self, billing_customer_id: str, sku: str) -> MeteredItem:
        self._unsupported("usage metering")

    def report_usage(self, usage: UsageRecord, *, meter_event: str,
                     billing_customer_id: str) -> bool:
        self._unsupported("usage metering")

    # -- invoices -----------------------------------------------------------------------------
    def read_invoice(self, invoice_id: str) -> Document:
        return {"invoice": self.client.get("invoices", invoice_id)}

    def invoice_refs(self, document: Document) -> InvoiceRefs:
        invoice = document["invoice"]
        return InvoiceRefs(customer=str(invoice["customer"]),
                           subscription=invoice.get("subscription"),
                           legal_entity=(invoice.get("metadata") or {}).get("legal_entity"))

    def to_invoice(self, document: Document, *, canonical_id: str, customer_id: str,
                   subscription_id: str | None, legal_entity: str,
                   sku_of_product: Mapping[str, str]) -> Invoice:
        invoice = document["invoice"]
        currency = str(invoice["currency"])
        lines = tuple(InvoiceLine(
            description=str(line["description"]),
            product_sku=sku_of_product.get(str(line["product"])),
            quantity=Decimal(int(line["quantity"])),
            unit_amount=money(line["unit_amount"], currency),
            amount=money(line["amount"], currency),
            service_period=DateRange(start=date.fromisoformat(line["period_start"]),
                                     end=date.fromisoformat(line["period_end"])))
            for line in invoice["lines"])
        taxes = tuple(TaxLine(jurisdiction=str(tax["jurisdiction"] or "default"),
                              rate=Decimal(str(tax["percent"])),
                              taxable_amount=money(tax["taxable"], currency),
                              amount=money(tax["amount"], currency))
                      for tax in invoice["taxes"])
        return Invoice(
            id=canonical_id, number=invoice.get("number"), customer_id=customer_id,
            subscription_id=subscription_id, legal_entity=legal_entity, currency=currency,
            status=INVOICE_STATES.get(str(invoice["state"]), InvoiceStatus.OPEN),
            lines=lines, tax_lines=taxes, subtotal=money(invoice["subtotal"], currency),
            tax_total=money(invoice["tax_total"], currency),
            total=money(invoice["total"], currency),
            issue_date=date.fromisoformat(invoice["issued_on"]),
            due_date=date.fromisoformat(invoice["due_on"]) if invoice.get("due_on") else None,
            external_ids={self.system: str(invoice["id"])})

    # -- payments and refunds: FakeBill takes none --------------------------------------------
    def read_payment(self, invoice_id: str) -> Document | None:
        return None

    def payment_read(self, document: Document) -> PaymentRead:
        self._unsupported("payments")

    def to_payment(self, document: Document, *, canonical_id: str, customer_id: str,
                   invoice_id: str) -> Payment:
        self._unsupported("payments")

    def processor_fee(self, document: Document) -> ProcessorFee | None:
        return None

    def read_refunds(self, payment_id: str) -> list[Document]:
        return []

    def to_refund(self, document: Document, *, canonical_id: str, payment_id: str,
                  customer_id: str) -> Refund:
        self._unsupported("refunds")

    def refund_id(self, document: Document) -> str:
        self._unsupported("refunds")

    def close(self) -> None:
        self.client.close()
