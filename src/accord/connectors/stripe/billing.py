"""Stripe in the billing role (:class:`accord.ports.BillingPort`): customers (on test clocks
in test mode), the catalog on demand, tax rates, subscriptions and their amendments, usage
reported to billing meters, and invoices, payments and refunds read for the ERP.

Every create carries ``Idempotency-Key: accord:<canonical id>:<action>``, so a retried or
replayed step makes no second object; tax rates are found again by a metadata key.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from accord.canonical.billing import Invoice
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
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, ProcessorFee, Refund
from accord.canonical.subscription import SubscriptionStatus, UsageRecord
from accord.connectors.stripe import lookups, mapping
from accord.connectors.stripe.client import Kind, StripeClient, idempotency_key
from accord.errors import DataQualityError, Team

SYSTEM = "stripe"
Document = dict[str, Any]
LIVE = ("active", "past_due", "trialing", "unpaid", "incomplete")


def _status(value: Any) -> SubscriptionStatus:
    try:
        return SubscriptionStatus(str(value))
    except ValueError:
        return SubscriptionStatus.INCOMPLETE


class StripeBilling:
    """:class:`accord.ports.BillingPort` over one Stripe account."""

    def __init__(self, client: StripeClient, *, system: str = SYSTEM) -> None:
        self.client = client
        self.system = system
        self.test_clocks = client.settings.test_clocks

    # -- customers and the catalog --------------------------------------------------------
    def create_customer(self, customer: Customer, *, starts_at: datetime | None,
                        payment_method: str | None) -> str:
        params = mapping.customer_params(customer)
        if payment_method:
            params["payment_method"] = payment_method
            params["invoice_settings"] = {"default_payment_method": payment_method}
        if starts_at is not None and self.test_clocks:
            params["test_clock"] = self._test_clock(customer.id, starts_at)
        service = self.client.v1.customers
        options = {"idempotency_key": idempotency_key(customer.id, "create")}
        return str(self.client.call(lambda: service.create(params=params, options=options))["id"])

    def _test_clock(self, customer_id: str, start: datetime) -> str:
        service = self.client.v1.test_helpers.test_clocks
        params = {"frozen_time": int(start.timestamp()), "name": customer_id}
        options = {"idempotency_key": idempotency_key(customer_id, "test-clock")}
        return str(self.client.call(lambda: service.create(params=params, options=options))["id"])

    def update_customer(self, billing_customer_id: str, customer: Customer,
                        version: int) -> None:
        params = mapping.customer_params(customer)
        options = {"idempotency_key": idempotency_key(customer.id, f"update-v{version}")}
        service = self.client.v1.customers
        self.client.call(lambda: service.update(billing_customer_id, params=params,
                                                options=options))

    def ensure_product(self, product: Product) -> str:
        return str(self.client.create_product(product)["id"])

    def ensure_price(self, price: Price, billing_product_id: str, *,
                     meter: str | None = None) -> str:
        if meter is None:
            return str(self.client.create_price(price, billing_product_id)["id"])
        params = mapping.price_params(price, billing_product_id)
        params["recurring"]["meter"] = meter
        service = self.client.v1.prices
        options = {"idempotency_key": idempotency_key(price.id, "create")}
        return str(self.client.call(lambda: service.create(params=params, options=options))["id"])

    def ensure_meter(self, event_name: str, display_name: str) -> str:
        """The billing meter of ``event_name`` (created once: summing ``value`` per customer,
        the customer named by ``stripe_customer_id``)."""
        service: Any = self.client.v1.billing.meters
        listed = self.client.call(lambda: service.list(params={"limit": 100}))
        for meter in listed.data:
            if meter.event_name == event_name:
                return str(meter.id)
        params = {"display_name": display_name, "event_name": event_name,
                  "default_aggregation": {"formula": "sum"},
                  "customer_mapping": {"type": "by_id",
                                       "event_payload_key": "stripe_customer_id"},
                  "value_settings": {"event_payload_key": "value"}}
        options = {"idempotency_key": idempotency_key(f"meter-{event_name}", "create")}
        return str(self.client.call(lambda: service.create(params=params, options=options))["id"])

    def ensure_tax_rate(self, rate: TaxRate) -> str | None:
        if rate.percentage == 0:
            return None
        service = self.client.v1.tax_rates
        listed = self.client.call(lambda: service.list(params={"active": True, "limit": 100}))
        for found in (item.to_dict() for item in listed.data):
            if (found.get("metadata") or {}).get("accord_key") == rate.key:
                return str(found["id"])
        params = {"display_name": "VAT" if rate.country != "US" else "Sales tax",
                  "percentage": str(rate.percentage), "inclusive": rate.inclusive,
                  "country": rate.country, "jurisdiction": rate.jurisdiction,
                  "metadata": {"accord_key": rate.key}}
        options = {"idempotency_key": idempotency_key(f"taxrate-{rate.key}", "create")}
        return str(self.client.call(lambda: service.create(params=params, options=options))["id"])

    # -- subscriptions ----------------------------------------------------------------------
    def create_subscription(self, contract: Contract, subscription_id: str, *,
                            billing_customer_id: str,
                            lines: Sequence[tuple[ContractLine, ProductKind, str]],
                            tax_rate: str | None, deal_id: str,
                            charge_automatically: bool) -> SubscriptionRef:
        """Recurring and usage lines become subscription items; one-time and service lines
        are added to the first invoice. A customer without a card on file is invoiced (net
        30)."""
        items: list[dict[str, Any]] = []
        extras: list[dict[str, Any]] = []
        for line, kind, price in lines:
            quantity = int(line.quantity)
            if kind is ProductKind.USAGE:  # metered: billed from the meter, no quantity
                items.append({"price": price, "metadata": {"sku": line.product_sku}})
            elif kind is ProductKind.RECURRING:
                items.append({"price": price, "quantity": quantity,
                              "metadata": {"sku": line.product_sku}})
            else:
                extras.append({"price": price, "quantity": quantity})
        params: dict[str, Any] = {
            "customer": billing_customer_id, "items": items,
            "metadata": {mapping.ACCORD_ID: subscription_id, "contract_id": contract.id,
                         "opportunity_id": deal_id, "legal_entity": contract.legal_entity},
        }
        if extras:
            params["add_invoice_items"] = extras
        if not charge_automatically:
            params["collection_method"] = "send_invoice"
            params["days_until_due"] = 30
        if tax_rate:
            params["default_tax_rates"] = [tax_rate]
        if contract.po_number:
            params["metadata"]["po_number"] = contract.po_number
        service = self.client.v1.subscriptions
        options = {"idempotency_key": idempotency_key(subscription_id, "create")}
        created = self.client.call(lambda: service.create(params=params, options=options))
        return SubscriptionRef(id=str(created["id"]), status=_status(created["status"]))

    def live_subscription(self, billing_customer_id: str) -> Document:
        """The customer's live subscription (the one an amendment co-terms with)."""
        for subscription in self.client.iterate(Kind.SUBSCRIPTIONS,
                                                customer=billing_customer_id):
            if subscription.get("status") not in ("canceled", "incomplete_expired"):
                return subscription
        raise DataQualityError("deal_type", "an amendment or renewal needs a live "
                               "subscription; the customer has none",
                               owner=Team.REVENUE_OPERATIONS, system=self.system)

    def amend_subscription(self, billing_customer_id: str, contract: Contract,
                           prices: Sequence[str], kind: DealType,
                           recurring_skus: frozenset[str]) -> SubscriptionRef:
        """Items to change (by SKU) or add, prorated; the new term end in metadata. Only
        recurring SKUs are subscription items (one-time lines of an amendment are not
        billed through the subscription)."""
        subscription = self.live_subscription(billing_customer_id)
        items: list[dict[str, Any]] = []
        by_sku = {str((item.get("metadata") or {}).get("sku")): item
                  for item in (subscription.get("items") or {}).get("data") or []}
        if kind is DealType.UPGRADE:
            for line, price in zip(contract.lines, prices, strict=True):
                if line.product_sku not in recurring_skus:
                    continue
                existing = by_sku.get(line.product_sku)
                if existing is not None:
                    items.append({"id": existing["id"], "quantity": int(line.quantity)})
                else:
                    items.append({"price": price, "quantity": int(line.quantity),
                                  "metadata": {"sku": line.product_sku}})
        params: dict[str, Any] = {
            "proration_behavior": "create_prorations",
            "metadata": {"contract_end": contract.end_date.isoformat(),
                         f"{kind.name.lower()}_contract": contract.id},
        }
        if items:
            params["items"] = items
        service = self.client.v1.subscriptions
        options = {"idempotency_key": idempotency_key(contract.id, "amend")}
        subscription_id = str(subscription["id"])
        updated = self.client.call(lambda: service.update(subscription_id, params=params,
                                                          options=options))
        return SubscriptionRef(id=str(updated["id"]), status=_status(updated["status"]))

    def metered_item(self, billing_customer_id: str, sku: str) -> MeteredItem:
        subscription = self.live_subscription(billing_customer_id)
        for item in (subscription.get("items") or {}).get("data") or []:
            recurring = (item.get("price") or {}).get("recurring") or {}
            if (item.get("metadata") or {}).get("sku") == sku and \
                    recurring.get("usage_type") == "metered":
                return MeteredItem(subscription=str(subscription["id"]), item=str(item["id"]))
        raise DataQualityError("sku", f"subscription {subscription['id']} has no metered item "
                               f"for {sku}: the deal did not sell it",
                               owner=Team.REVENUE_OPERATIONS, system=self.system)

    def report_usage(self, usage: UsageRecord, *, meter_event: str,
                     billing_customer_id: str) -> bool:
        """One meter event, ``identifier`` = the usage record's canonical id: Stripe refuses
        a second event with the same identifier (that record was reported already)."""
        try:
            self.client.report_usage(usage, event_name=meter_event,
                                     stripe_customer_id=billing_customer_id)
        except DataQualityError as error:
            if error.field == "identifier":
                return False
            raise
        return True

    # -- invoices -----------------------------------------------------------------------------
    def read_invoice(self, invoice_id: str) -> Document:
        """The invoice as Stripe has it now, with the tax rates its taxes name."""
        invoice = self.client.retrieve(Kind.INVOICES, invoice_id)
        rates: dict[str, Any] = {}
        for tax in invoice.get("total_taxes") or []:
            rate_id = (tax.get("tax_rate_details") or {}).get("tax_rate")
            if rate_id and rate_id not in rates:
                rates[str(rate_id)] = self._tax_rate(str(rate_id))
        return {"invoice": invoice, "tax_rates": rates}

    def _tax_rate(self, rate_id: str) -> Document:
        found: Document = self.client.call(
            lambda: self.client.v1.tax_rates.retrieve(rate_id)).to_dict()
        return found

    def invoice_refs(self, document: Document) -> InvoiceRefs:
        invoice = document["invoice"]
        return InvoiceRefs(customer=str(invoice["customer"]),
                           subscription=mapping.subscription_of_invoice(invoice),
                           legal_entity=(invoice.get("metadata") or {}).get("legal_entity"))

    def to_invoice(self, document: Document, *, canonical_id: str, customer_id: str,
                   subscription_id: str | None, legal_entity: str,
                   sku_of_product: Mapping[str, str]) -> Invoice:
        return mapping.invoice_from_stripe(
            document["invoice"], customer_id=customer_id, legal_entity=legal_entity,
            subscription_id=subscription_id, sku_of_product=dict(sku_of_product),
            tax_rates=document["tax_rates"], canonical_id=canonical_id)

    # -- payments and refunds ---------------------------------------------------------------
    def read_payment(self, invoice_id: str) -> Document | None:
        """The succeeded charge that paid the invoice (None when it was paid another way)."""
        invoice = self.client.retrieve(Kind.INVOICES, invoice_id)
        for entry in (invoice.get("payments") or {}).get("data") or []:
            payment = entry.get("payment") or {}
            if entry.get("status") == "paid" and payment.get("payment_intent"):
                intent = self.client.retrieve(Kind.PAYMENT_INTENTS,
                                              str(payment["payment_intent"]))
                if intent.get("latest_charge"):
                    charge = self.client.retrieve(Kind.CHARGES, str(intent["latest_charge"]),
                                                  expand=["balance_transaction"])
                    return {"charge": charge, "invoice": {
                        "id": invoice["id"], "customer": invoice["customer"],
                        "attempt_count": int(invoice.get("attempt_count") or 0)}}
        return None

    def payment_read(self, document: Document) -> PaymentRead:
        return PaymentRead(customer=str(document["invoice"]["customer"]),
                           payment=str(document["charge"]["id"]),
                           failed_attempts_before=max(
                               0, int(document["invoice"]["attempt_count"]) - 1))

    def to_payment(self, document: Document, *, canonical_id: str, customer_id: str,
                   invoice_id: str) -> Payment:
        return mapping.payment_from_charge(document["charge"], customer_id=customer_id,
                                           invoice_id=invoice_id, canonical_id=canonical_id)

    def processor_fee(self, document: Document) -> ProcessorFee | None:
        """The fee Stripe kept on the charge, from its (expanded) balance transaction."""
        charge = document["charge"]
        balance = charge.get("balance_transaction")
        if not isinstance(balance, dict) or not int(balance.get("fee") or 0):
            return None
        return ProcessorFee(reference=str(balance["id"]),
                            amount=mapping.money(int(balance["fee"]),
                                                 str(balance.get("currency")
                                                     or charge["currency"])),
                            payment_reference=str(charge["id"]))

    def read_refunds(self, payment_id: str) -> list[Document]:
        return [refund for refund in self.client.iterate(Kind.REFUNDS, charge=payment_id)
                if refund.get("status") == "succeeded"]

    def refund_id(self, document: Document) -> str:
        return str(document["id"])

    def to_refund(self, document: Document, *, canonical_id: str, payment_id: str,
                  customer_id: str) -> Refund:
        return mapping.refund_from_stripe(document, payment_id=payment_id,
                                          customer_id=customer_id, canonical_id=canonical_id)

    # -- what operators look up -----------------------------------------------------------
    def find_invoice(self, number: str) -> BillingInvoiceView | None:
        return lookups.find_invoice(self.client, number)

    def close(self) -> None:
        """Nothing to release: the official client keeps no connection open."""


__all__ = ["StripeBilling"]
