"""A Stripe invoice by its number, as the operator's invoice-status view shows it (Stripe's
invoice search ``number:'<number>'``)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accord.canonical.lookups import BillingInvoiceView
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.mapping import ACCORD_ID, money, subscription_of_invoice


def _moment(value: Any) -> datetime | None:
    return datetime.fromtimestamp(int(value), UTC) if isinstance(value, int) else None


def find_invoice(client: StripeClient, number: str) -> BillingInvoiceView | None:
    query = f"number:'{number}'"
    found = client.call(lambda: client.v1.invoices.search(params={"query": query, "limit": 1}))
    if not found.data:
        return None
    invoice: dict[str, Any] = found.data[0].to_dict()
    currency = str(invoice["currency"]).upper()

    def amount(field: str) -> Decimal | None:
        value = invoice.get(field)
        return money(value, currency).amount if isinstance(value, int) else None

    transitions = invoice.get("status_transitions") or {}
    subscription = subscription_of_invoice(invoice) or invoice.get("subscription")
    carried = (invoice.get("metadata") or {}).get(ACCORD_ID)
    customer = invoice.get("customer")
    return BillingInvoiceView(
        invoice_id=str(invoice["id"]), status=invoice.get("status"), currency=currency,
        total=amount("total"), amount_paid=amount("amount_paid"),
        amount_remaining=amount("amount_remaining"),
        customer_ref=customer if isinstance(customer, str) else None,
        subscription_ref=subscription if isinstance(subscription, str) else None,
        finalized_at=_moment(transitions.get("finalized_at")),
        paid_at=_moment(transitions.get("paid_at")),
        carried_id=str(carried) if carried else None)


__all__ = ["find_invoice"]
