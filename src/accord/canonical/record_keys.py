"""Business keys shared across systems, as each system's reconciliation reader finds them.

Every record is keyed by the canonical id accord gave it, found in this order: the id the
system carries itself (Stripe ``metadata["accord_id"]``, NetSuite ``externalId``, Salesforce
``Accord_Id__c``), the xref table, and otherwise ``<system>:<id>`` (a record accord never
linked, which reconciliation reports as an orphan or a missing posting). Invoices are keyed by
document number where they have one (Stripe ``number`` = NetSuite ``tranId``), so a second
posting of the same invoice under another external id is still seen as a duplicate.

xref lookups are batched (``CHUNK`` ids a query) so a stream stays a stream.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Protocol, TypeVar

from accord.canonical.ids import EntityType

CANONICAL_ID = re.compile(r"^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$")
CHUNK = 500
T = TypeVar("T")


def is_canonical(value: str | None) -> bool:
    return value is not None and CANONICAL_ID.match(value) is not None


def unlinked(system: str, system_id: str) -> str:
    return f"{system}:{system_id}"


class KeyResolver(Protocol):
    def canonical_ids(self, system: str, entity: EntityType, system_ids: Sequence[str]
                      ) -> Mapping[str, str]:
        """system id -> canonical id for those of ``system_ids`` that are linked."""


class NoKeys:
    """No xref: records are keyed only by what they carry."""

    def canonical_ids(self, system: str, entity: EntityType, system_ids: Sequence[str]
                      ) -> Mapping[str, str]:
        return {}


def keyed(items: Iterable[T], resolver: KeyResolver, *, system: str, entity: EntityType,
          system_id: Callable[[T], str], carried: Callable[[T], str | None]
          ) -> Iterator[tuple[str, T]]:
    """Each item with its key: carried canonical id, else xref, else ``system:id``."""
    iterator = iter(items)
    while chunk := list(islice(iterator, CHUNK)):
        wanted = [system_id(item) for item in chunk if not is_canonical(carried(item))]
        linked = resolver.canonical_ids(system, entity, wanted)
        for item in chunk:
            own = carried(item)
            if own is not None and is_canonical(own):
                yield own, item
            else:
                ident = system_id(item)
                yield linked.get(ident) or unlinked(system, ident), item


def relinked(pairs: Iterable[tuple[str, T]], resolver: KeyResolver, *, unlinked_prefix: str,
             system: str, entity: EntityType, system_id: Callable[[T], str | None]
             ) -> Iterator[tuple[str, T]]:
    """A second chance for items :func:`keyed` left unlinked: look ``system_id(item)`` up as an
    id of ``system`` (e.g. a Stripe id a NetSuite record carries as its external id), in
    batches."""
    iterator = iter(pairs)
    while chunk := list(islice(iterator, CHUNK)):
        wanted = [ident for key, item in chunk
                  if key.startswith(unlinked_prefix) and (ident := system_id(item))]
        linked = resolver.canonical_ids(system, entity, wanted)
        for key, item in chunk:
            ident = system_id(item) if key.startswith(unlinked_prefix) else None
            yield (linked.get(ident, key) if ident else key), item


__all__ = ["CHUNK", "KeyResolver", "NoKeys", "is_canonical", "keyed", "relinked", "unlinked"]
