"""Deterministic canonical ids for records accord first meets in a source system.

A flow that sees the same source record twice (a redelivered webhook, a re-run poll, a
replay after a crash) must name it the same canonical id, because that id is the NetSuite
``externalId`` and part of every Stripe idempotency key. So the id is derived from the source
system and the record's id there, in the canonical ``<prefix>_<ULID>`` shape.
"""

from __future__ import annotations

import hashlib

from accord.canonical.ids import ID_PREFIXES, EntityType

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def derived_id(entity_type: EntityType, *parts: str) -> str:
    """``derived_id(EntityType.INVOICE, "stripe", "in_123")`` -> ``inv_...`` (stable)."""
    digest = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode()).digest()[:17], "big")
    value = digest >> 6  # 130 bits -> 26 base-32 digits; the top digit stays below 8
    text = "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in reversed(range(26)))
    return f"{ID_PREFIXES[entity_type]}_{text}"


__all__ = ["derived_id"]
