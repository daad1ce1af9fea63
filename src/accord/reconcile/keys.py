"""Business keys shared across systems.

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

from sqlalchemy import select

from accord.canonical.ids import EntityType
from accord.store import Database
from accord.store.models import Xref

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


class XrefKeys:
    """Looks system ids up in accord's xref table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def canonical_ids(self, system: str, entity: EntityType, system_ids: Sequence[str]
                      ) -> Mapping[str, str]:
        if not system_ids:
            return {}
        with self.database.session() as session:
            rows = session.execute(select(Xref.system_id, Xref.canonical_id).where(
                Xref.system == system, Xref.entity_type == entity.value,
                Xref.system_id.in_(list(system_ids))))
            return {str(row.system_id): str(row.canonical_id) for row in rows}


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


__all__ = ["CHUNK", "KeyResolver", "NoKeys", "XrefKeys", "is_canonical", "keyed", "relinked",
           "unlinked"]
