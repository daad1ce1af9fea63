"""Canonical identifiers: ``<prefix>_<ULID>``, sortable by creation time."""

from __future__ import annotations

import hashlib
import os
import time
from enum import StrEnum
from typing import Annotated

from pydantic import Field

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class EntityType(StrEnum):
    CUSTOMER = "customer"
    PRODUCT = "product"
    PRICE = "price"
    CONTRACT = "contract"
    SUBSCRIPTION = "subscription"
    USAGE_RECORD = "usage_record"
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"
    PAYMENT = "payment"
    REFUND = "refund"
    JOURNAL_ENTRY = "journal_entry"
    REVENUE_SCHEDULE = "revenue_schedule"


ID_PREFIXES: dict[EntityType, str] = {
    EntityType.CUSTOMER: "cus",
    EntityType.PRODUCT: "prd",
    EntityType.PRICE: "prc",
    EntityType.CONTRACT: "ctr",
    EntityType.SUBSCRIPTION: "sub",
    EntityType.USAGE_RECORD: "use",
    EntityType.INVOICE: "inv",
    EntityType.CREDIT_NOTE: "crn",
    EntityType.PAYMENT: "pay",
    EntityType.REFUND: "ref",
    EntityType.JOURNAL_ENTRY: "jnl",
    EntityType.REVENUE_SCHEDULE: "rev",
}

CanonicalId = Annotated[
    str,
    Field(
        pattern=r"^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$",
        description="accord canonical id: a three-letter entity prefix and a ULID",
    ),
]

SystemName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9-]{0,39}$",
        description="a configured system instance, e.g. 'stripe' or 'netsuite-eu'",
    ),
]


def ulid(now_ms: int | None = None) -> str:
    """A 26-character Crockford base32 ULID: 48 bits of milliseconds, 80 random bits."""
    ms = int(time.time() * 1000) if now_ms is None else now_ms
    value = (ms << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))


def new_id(entity_type: EntityType) -> str:
    return f"{ID_PREFIXES[entity_type]}_{ulid()}"


def derived_id(entity_type: EntityType, *parts: str) -> str:
    """A stable canonical id for a record accord first meets in a source system:
    ``derived_id(EntityType.INVOICE, <billing system>, "in_123")`` -> ``inv_...``, the same
    every time. A redelivered webhook, a re-run poll or a replayed flow names the record the
    same id - the ERP's external id and part of every idempotency key - so it writes the same
    record again instead of a new one. The parts are the source system instance (as
    configured) and the record's id there."""
    digest = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:17], "big")
    value = digest >> 6  # 130 bits -> 26 base-32 digits; the top digit stays below 8
    text = "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    return f"{ID_PREFIXES[entity_type]}_{text}"


__all__ = ["ID_PREFIXES", "CanonicalId", "EntityType", "SystemName", "derived_id", "new_id",
           "ulid"]
