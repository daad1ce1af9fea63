"""Amendments and renewals: a closed-won deal on an account that already subscribes.

An opportunity of type ``Existing Business - Upgrade`` (a quantity change or a co-termed
add-on) updates the customer's Stripe subscription with proration: a line whose SKU the
subscription already has sets that item's quantity, a new SKU is added as an item. A
``Renewal`` extends the term (the subscription's ``contract_end``). Either way the update
carries ``Idempotency-Key: accord:<contract id>:amend``, and the resulting invoices flow on
through invoice posting like any other.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from accord.canonical.contract import Contract
from accord.connectors.stripe.client import Kind, StripeClient, idempotency_key
from accord.errors import DataQualityError, Team


class DealType(StrEnum):
    NEW = "New Business"
    UPGRADE = "Existing Business - Upgrade"
    RENEWAL = "Renewal"


def deal_type(opportunity: dict[str, Any]) -> DealType:
    value = opportunity.get("Type") or DealType.NEW.value
    try:
        return DealType(value)
    except ValueError:
        return DealType.NEW


def current_subscription(client: StripeClient, stripe_customer: str) -> dict[str, Any]:
    """The customer's live subscription (the one an amendment co-terms with)."""
    for subscription in client.iterate(Kind.SUBSCRIPTIONS, customer=stripe_customer):
        if subscription.get("status") not in ("canceled", "incomplete_expired"):
            return subscription
    raise DataQualityError("Type", "an amendment or renewal needs a live subscription; the "
                           "customer has none", owner=Team.REVENUE_OPERATIONS,
                           system="stripe")


def amendment_params(subscription: dict[str, Any], contract: Contract,
                     prices: list[str], kind: DealType,
                     recurring: frozenset[str]) -> dict[str, Any]:
    """Items to change (by SKU) or add, prorated; the new term end in metadata. Only
    ``recurring`` SKUs are subscription items (one-time lines of an amendment are not
    billed through the subscription)."""
    items: list[dict[str, Any]] = []
    by_sku = {str((item.get("metadata") or {}).get("sku")): item
              for item in (subscription.get("items") or {}).get("data") or []}
    if kind is DealType.UPGRADE:
        for line, price in zip(contract.lines, prices, strict=True):
            if line.product_sku not in recurring:
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
    return params


def amend(client: StripeClient, subscription_id: str, contract_id: str,
          params: dict[str, Any]) -> dict[str, Any]:
    service = client.v1.subscriptions
    options = {"idempotency_key": idempotency_key(contract_id, "amend")}
    updated: dict[str, Any] = client.call(
        lambda: service.update(subscription_id, params=params, options=options)).to_dict()
    return updated


__all__ = ["DealType", "amend", "amendment_params", "current_subscription", "deal_type"]
