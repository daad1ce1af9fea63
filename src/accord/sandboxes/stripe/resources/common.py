"""Helpers shared by resource handlers."""

from __future__ import annotations

from typing import Any

from accord.canonical.currencies import is_supported
from accord.sandboxes.stripe.errors import invalid
from accord.sandboxes.stripe.params import Params


def currency(params: Params, key: str = "currency", *, required: bool = True) -> str | None:
    value = params.str(key, required=required)
    if value is None:
        return None
    if value != value.lower() and not value.isalpha():
        raise invalid(f"Invalid currency: {value}", param=params.name(key))
    if not is_supported(value.upper()):
        raise invalid(f"Invalid currency: {value.lower()}. Stripe currently supports these "
                      "currencies: ISO 4217 codes in lowercase.", param=params.name(key))
    return value.lower()


def address(params: Params | None) -> dict[str, Any] | None:
    if params is None:
        return None
    return {key: params.str(key) for key in
            ("city", "country", "line1", "line2", "postal_code", "state")}


def deleted(object_name: str, object_id: str) -> dict[str, Any]:
    return {"id": object_id, "object": object_name, "deleted": True}


def previous(obj: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """``previous_attributes`` for an update event: old values of keys that change."""
    return {key: obj.get(key) for key, value in changed.items() if obj.get(key) != value}
