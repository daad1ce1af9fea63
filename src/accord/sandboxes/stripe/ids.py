"""Stripe-style object ids: a type prefix, an underscore and random characters."""

from __future__ import annotations

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits

# prefix -> collection (the object's ``object`` value) for expansion and lookups
PREFIXES: dict[str, str] = {
    "cus": "customer",
    "prod": "product",
    "price": "price",
    "sub": "subscription",
    "si": "subscription_item",
    "in": "invoice",
    "ii": "invoiceitem",
    "il": "line_item",
    "pi": "payment_intent",
    "ch": "charge",
    "re": "refund",
    "cn": "credit_note",
    "pm": "payment_method",
    "evt": "event",
    "we": "webhook_endpoint",
    "clock": "test_helpers.test_clock",
    "txr": "tax_rate",
    "inpay": "invoice_payment",
    "mtr": "billing.meter",
    "txn": "balance_transaction",
}


def new_id(prefix: str) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(24))}"


def collection_of(object_id: str) -> str | None:
    """The collection an id belongs to, judged by its prefix (None if unknown)."""
    prefix, _, rest = object_id.partition("_")
    return PREFIXES.get(prefix) if rest else None


def new_secret(prefix: str = "whsec") -> str:
    return f"{prefix}_{secrets.token_hex(24)}"
