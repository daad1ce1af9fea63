"""Resolving an inbound customer to a canonical id, with duplicate prevention."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.errors import DataQualityError, Team
from accord.registry.matching import MatchKind, MatchResult, index_customer, match_customer
from accord.registry.xref import Xrefs


@dataclass(frozen=True)
class CustomerResolution:
    canonical_id: str
    match: MatchResult

    @property
    def is_new(self) -> bool:
        return self.match.kind is MatchKind.NEW


def resolve_customer(session: Session, customer: Customer, *, source_system: str,
                     source_id: str) -> CustomerResolution:
    """Find or register the customer and link ``source_id``.

    A probable duplicate raises :class:`DataQualityError` for master data, naming the
    candidates; nothing is created.
    """
    match = match_customer(session, customer, source_system=source_system, source_id=source_id)
    if match.kind is MatchKind.PROBABLE_DUPLICATE:
        raise DataQualityError(
            "legal_name",
            f"probable duplicate of {', '.join(match.candidates)}: {match.reason}",
            owner=Team.MASTER_DATA, system=source_system)
    canonical_id = match.canonical_id or customer.id
    xrefs = Xrefs(session)
    xrefs.link(canonical_id, EntityType.CUSTOMER, source_system, source_id)
    for system, system_id in customer.external_ids.items():
        xrefs.link(canonical_id, EntityType.CUSTOMER, system, system_id)
    index_customer(session, canonical_id, customer)
    return CustomerResolution(canonical_id, match)


__all__ = ["CustomerResolution", "resolve_customer"]
