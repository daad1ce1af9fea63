"""Duplicate prevention for customers.

Order of evidence: an existing xref for the source record or any of its external ids; then a
tax registration; then e-mail/web domain together with the normalized name. A single strong
match links to the existing record. Weak or ambiguous evidence (same domain but another name,
same name but another domain, two records sharing a tax id) is a probable duplicate: a person
decides, accord never creates a second record silently.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType
from accord.canonical.party import Customer
from accord.registry.normalize import FREE_MAIL, normalize_domain, normalize_name, normalize_tax_id
from accord.registry.xref import Xrefs
from accord.store.models import MatchKey
from accord.store.sealing import keyring_for


class MatchKind(StrEnum):
    XREF = "xref"
    TAX_ID = "tax_id"
    DOMAIN_AND_NAME = "domain_and_name"
    NEW = "new"
    PROBABLE_DUPLICATE = "probable_duplicate"


class KeyKind(StrEnum):
    TAX_ID = "tax_id"
    DOMAIN = "domain"
    NAME = "name"


@dataclass(frozen=True)
class MatchResult:
    kind: MatchKind
    canonical_id: str | None = None
    candidates: tuple[str, ...] = ()
    reason: str = ""


def customer_keys(customer: Customer) -> dict[KeyKind, set[str]]:
    domains = set()
    if customer.domain:
        domains.add(normalize_domain(customer.domain))
    for contact in customer.contacts:
        domains.add(normalize_domain(str(contact.email)))
    return {
        KeyKind.TAX_ID: {normalize_tax_id(r.value) for r in customer.tax_profile.registrations},
        KeyKind.DOMAIN: {d for d in domains if d and d not in FREE_MAIL},
        KeyKind.NAME: {normalize_name(customer.legal_name)} - {""},
    }


def _holders(session: Session, kind: KeyKind, values: set[str]) -> set[str]:
    if not values:
        return set()
    rows = session.scalars(select(MatchKey.canonical_id).where(
        MatchKey.entity_type == EntityType.CUSTOMER.value, MatchKey.kind == kind.value,
        MatchKey.value.in_(sorted(values))))
    return set(rows)


def match_customer(session: Session, customer: Customer, *, source_system: str,
                   source_id: str) -> MatchResult:
    xrefs = Xrefs(session)
    linked = xrefs.canonical_id(source_system, EntityType.CUSTOMER, source_id)
    if linked:
        return MatchResult(MatchKind.XREF, linked, reason=f"{source_system} id {source_id}")
    for system, system_id in sorted(customer.external_ids.items()):
        linked = xrefs.canonical_id(system, EntityType.CUSTOMER, system_id)
        if linked:
            return MatchResult(MatchKind.XREF, linked, reason=f"{system} id {system_id}")

    keys = customer_keys(customer)
    by_tax = _holders(session, KeyKind.TAX_ID, keys[KeyKind.TAX_ID])
    if len(by_tax) == 1:
        (only,) = by_tax
        return MatchResult(MatchKind.TAX_ID, only, reason="same tax registration")
    if len(by_tax) > 1:
        return MatchResult(MatchKind.PROBABLE_DUPLICATE, candidates=tuple(sorted(by_tax)),
                           reason="several customers share this tax registration")

    by_domain = _holders(session, KeyKind.DOMAIN, keys[KeyKind.DOMAIN])
    by_name = _holders(session, KeyKind.NAME, keys[KeyKind.NAME])
    both = by_domain & by_name
    if len(both) == 1:
        (only,) = both
        return MatchResult(MatchKind.DOMAIN_AND_NAME, only, reason="same domain and name")
    either = by_domain | by_name
    if either:
        what = "name" if by_name and not by_domain else "domain" if by_domain and not by_name \
            else "domain or name"
        return MatchResult(MatchKind.PROBABLE_DUPLICATE, candidates=tuple(sorted(either)),
                           reason=f"same {what} as an existing customer")
    return MatchResult(MatchKind.NEW, reason="no existing customer matches")


def index_customer(session: Session, canonical_id: str, customer: Customer) -> None:
    """Record the customer's matching keys (idempotent)."""
    existing = set(session.execute(
        select(MatchKey.kind, MatchKey.value).where(MatchKey.canonical_id == canonical_id)))
    # the table holds keyed digests (accord.store.sealing.BlindIndex)
    ring = keyring_for(session.get_bind().dialect)
    for kind, values in customer_keys(customer).items():
        for value in values:
            if (kind.value, ring.blind(value)) not in existing:
                session.add(MatchKey(canonical_id=canonical_id,
                                     entity_type=EntityType.CUSTOMER.value,
                                     kind=kind.value, value=value))
    session.flush()


__all__ = ["KeyKind", "MatchKind", "MatchResult", "customer_keys", "index_customer",
           "match_customer"]
