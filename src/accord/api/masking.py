"""Personal data in a customer's golden record, masked for the ``viewer`` role.

Masked: e-mail addresses, postal addresses, tax ids and registrations, contacts and phone
numbers, wherever a field's name says it holds one. A masked field keeps its owner, source
and change time; its value becomes :data:`MASK`.
"""

from __future__ import annotations

MASK = "•••• (masked)"
PERSONAL_FIELDS = frozenset({"billing_address", "shipping_address", "contacts", "tax_profile"})
PERSONAL_PARTS = ("email", "address", "phone", "tax_id", "vat", "contact")


def is_personal(field: str) -> bool:
    name = field.lower()
    return name in PERSONAL_FIELDS or any(part in name for part in PERSONAL_PARTS)


__all__ = ["MASK", "PERSONAL_FIELDS", "is_personal"]
