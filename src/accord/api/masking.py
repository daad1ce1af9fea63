"""Personal data, masked for the ``viewer`` role, and secrets, never shown to anyone.

Masked: e-mail addresses, postal addresses, tax ids and registrations, contacts and phone
numbers, wherever a field's name says it holds one. A masked field keeps its owner, source
and change time; its value becomes :data:`MASK`.
"""

from __future__ import annotations

from typing import Any

MASK = "•••• (masked)"
PERSONAL_FIELDS = frozenset({"billing_address", "shipping_address", "contacts", "tax_profile"})
PERSONAL_PARTS = ("email", "address", "phone", "tax_id", "vat", "contact")


SECRET_PARTS = ("secret", "token", "password", "passwd", "api_key", "apikey",
                "authorization", "signature", "session_id", "private_key", "credential")
REDACTED = "[redacted]"


def is_personal(field: str) -> bool:
    name = field.lower()
    return name in PERSONAL_FIELDS or any(part in name for part in PERSONAL_PARTS)


def is_secret(field: str) -> bool:
    name = field.lower().replace("-", "_")
    return any(part in name for part in SECRET_PARTS)


def scrub(value: Any, *, mask_personal: bool) -> Any:
    """A copy of a step's payload for display: secrets always redacted, personal data masked
    when ``mask_personal``, matched by key name at any depth."""
    if isinstance(value, dict):
        cleaned: dict[str, Any] = {}
        for key, item in value.items():
            if is_secret(str(key)):
                cleaned[key] = REDACTED
            elif mask_personal and is_personal(str(key)):
                cleaned[key] = MASK
            else:
                cleaned[key] = scrub(item, mask_personal=mask_personal)
        return cleaned
    if isinstance(value, list):
        return [scrub(item, mask_personal=mask_personal) for item in value]
    return value


__all__ = ["MASK", "PERSONAL_FIELDS", "REDACTED", "is_personal", "is_secret", "scrub"]
