"""FakeBill in the billing role (:class:`accord.ports.BillingPort`): customers, the catalog
(products and plans), tax rates and subscriptions created from canonical models, each
create keyed ``accord:<canonical id>:<action>`` so a replay makes nothing new; invoices read
back as canonical invoices (minor units -> exact Decimal money), and so do its card
payments, their fees and refunds; usage goes to its meters, once per usage record."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

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
from accord.canonical.lookups import BillingInvoiceView
from accord.canonical.money import Money, allocate
from accord.canonical.party import Customer
from accord.canonical.payments import (
    Allocation,
    Payment,
    PaymentMethodKind,
    PaymentStatus,
    ProcessorFee,
    Refund,
    RefundStatus,
)
from accord.canonical.subscription import SubscriptionStatus, UsageRecord
from accord.errors import DataQualityError, Team
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
            entry = {"plan": plan, "quantity": int(line.quantity), "sku": line.product_sku}
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

    def live_subscription(self, billing_customer_id: str) -> Document:
        for subscription in self.client.list("subscriptions", customer=billing_customer_id):
            if subscription["state"] != "ended":
                return subscription
        raise DataQualityError("deal_type", "an amendment or renewal needs a live "
                               "subscription; the customer has none",
                               owner=Team.REVENUE_OPERATIONS, system=self.system)

    def amend_subscription(self, billing_customer_id: str, contract: Contract,
                           prices: Sequence[str], kind: DealType,
                           recurring_skus: frozenset[str]) -> SubscriptionRef:
        """An upgrade sets the quantity of each recurring SKU's item (or adds one); a
        renewal moves the end of the term."""
        subscription = self.live_subscription(billing_customer_id)
        by_sku = {item.get("sku"): item for item in subscription["items"]}
        items: list[dict[str, Any]] = []
        if kind is DealType.UPGRADE:
            for line, plan in zip(contract.lines, prices, strict=True):
                if line.product_sku not in recurring_skus:
                    continue
                existing = by_sku.get(line.product_sku)
                items.append({"id": existing["id"], "quantity": int(line.quantity)}
                             if existing else {"plan": plan, "quantity": int(line.quantity),
                                               "sku": line.product_sku})
        updated = self.client.call(
            "POST", f"/v1/subscriptions/{subscription['id']}",
            json={"items": items, "end": contract.end_date.isoformat()},
            headers={"Idempotency-Key": idempotency_key(contract.id, "amend")})
        return SubscriptionRef(id=str(updated["id"]),
                               status=STATES.get(str(updated["state"]),
                                                 SubscriptionStatus.INCOMPLETE))

    def metered_item(self, billing_customer_id: str, sku: str) -> MeteredItem:
        subscription = self.live_subscription(billing_customer_id)
        for item in subscription["items"]:
            if item.get("sku") == sku and self.client.get("plans", item["plan"]).get("meter"):
                return MeteredItem(subscription=str(subscription["id"]), item=str(item["id"]))
        raise DataQualityError("sku", f"subscription {subscription['id']} has no metered item "
                               f"for {sku}: the deal did not sell it",
                               owner=Team.REVENUE_OPERATIONS, system=self.system)

    def report_usage(self, usage: UsageRecord, *, meter_event: str,
                     billing_customer_id: str) -> bool:
        """One reading keyed by the usage record's id: FakeBill refuses a second one (no
        Idempotency-Key, which would replay the first answer and hide that)."""
        try:
            self.client.call("POST", "/v1/usage", json={
                "meter": meter_event, "customer": billing_customer_id,
                "value": str(usage.quantity), "identifier": usage.id})
        except DataQualityError as error:
            if error.field == "identifier":
                return False
            raise
        return True

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
        # fakebill taxes the whole invoice: each line's share is allocated by its amount
        shares = allocate(money(invoice["tax_total"], currency),
                          [money(line["amount"], currency) for line in invoice["lines"]])
        rates = {str(tax["rate"]) for tax in invoice["taxes"]}
        tax_code = rates.pop() if len(rates) == 1 else None
        lines = tuple(InvoiceLine(
            description=str(line["description"]),
            product_sku=sku_of_product.get(str(line["product"])),
            quantity=Decimal(int(line["quantity"])),
            unit_amount=money(line["unit_amount"], currency),
            amount=money(line["amount"], currency),
            service_period=DateRange(start=date.fromisoformat(line["period_start"]),
                                     end=date.fromisoformat(line["period_end"])),
            tax_amount=share, tax_code=tax_code)
            for line, share in zip(invoice["lines"], shares, strict=True))
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

    # -- payments and refunds -----------------------------------------------------------------
    def read_payment(self, invoice_id: str) -> Document | None:
        """The card payment that settled the invoice (None when it was settled otherwise)."""
        for payment in self.client.list("payments", invoice=invoice_id):
            if payment["state"] == "succeeded":
                return {"payment": payment}
        return None

    def payment_read(self, document: Document) -> PaymentRead:
        payment = document["payment"]
        return PaymentRead(customer=str(payment["customer"]), payment=str(payment["id"]),
                           failed_attempts_before=0)

    def to_payment(self, document: Document, *, canonical_id: str, customer_id: str,
                   invoice_id: str) -> Payment:
        payment = document["payment"]
        amount = money(payment["amount"], str(payment["currency"]))
        return Payment(id=canonical_id, customer_id=customer_id, amount=amount,
                       fee=money(payment["fee"], str(payment["currency"])),
                       method=PaymentMethodKind.CARD, status=PaymentStatus.SUCCEEDED,
                       allocations=(Allocation(invoice_id=invoice_id, amount=amount),),
                       received_at=datetime.fromtimestamp(int(payment["created"]), UTC),
                       external_ids={self.system: str(payment["id"])})

    def processor_fee(self, document: Document) -> ProcessorFee | None:
        payment = document["payment"]
        if not int(payment.get("fee") or 0):
            return None
        return ProcessorFee(reference=f"{payment['id']}-fee",
                            amount=money(payment["fee"], str(payment["currency"])),
                            payment_reference=str(payment["id"]))

    def read_refunds(self, payment_id: str) -> list[Document]:
        return [refund for refund in self.client.list("refunds", payment=payment_id)
                if refund["state"] == "succeeded"]

    def to_refund(self, document: Document, *, canonical_id: str, payment_id: str,
                  customer_id: str) -> Refund:
        return Refund(id=canonical_id, payment_id=payment_id, customer_id=customer_id,
                      amount=money(document["amount"], str(document["currency"])),
                      status=RefundStatus.SUCCEEDED,
                      refunded_at=datetime.fromtimestamp(int(document["created"]), UTC),
                      external_ids={self.system: str(document["id"])})

    def refund_id(self, document: Document) -> str:
        return str(document["id"])

    # -- what operators look up ---------------------------------------------------------------
    def find_invoice(self, number: str) -> BillingInvoiceView | None:
        """The invoice numbered ``number`` as FakeBill shows it (its own state words)."""
        found = self.client.list("invoices", number=number)
        if not found:
            return None
        invoice = found[0]
        currency = str(invoice["currency"])
        paid = [p for p in self.client.list("payments", invoice=str(invoice["id"]))
                if p["state"] == "succeeded"]
        return BillingInvoiceView(
            invoice_id=str(invoice["id"]), status=str(invoice["state"]), currency=currency,
            total=money(invoice["total"], currency).amount,
            amount_paid=money(invoice["amount_paid"], currency).amount,
            amount_remaining=money(invoice["total"] - invoice["amount_paid"], currency).amount,
            customer_ref=str(invoice["customer"]), subscription_ref=invoice.get("subscription"),
            finalized_at=datetime.fromtimestamp(int(invoice["created"]), UTC),
            paid_at=datetime.fromtimestamp(int(paid[0]["created"]), UTC) if paid else None,
            carried_id=None)

    def close(self) -> None:
        self.client.close()
