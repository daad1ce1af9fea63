"""Which comparisons a run makes between the systems it reads, and their control totals.

Comparisons are made between roles, so whichever CRM, billing system and ERP are read, the
same chain is followed. Customers are compared along the chain the flows follow (a won
account becomes a billing customer, which the ERP must hold), so an account that never
reached billing is reported once, as missing in billing, not once per downstream system.

| entity | source -> target | key |
|---|---|---|
| customer | CRM -> billing -> ERP (CRM -> ERP when billing is not read) | canonical id |
| invoice | billing -> ERP | invoice number, else canonical id |
| payment, refund | billing -> ERP | canonical id |
| subscription | billing -> CRM | the billing system's subscription id |

Where a role has several systems (ERP instances by legal entity), their records are read as
one side: a record is expected in one of them, whichever the routing table chose.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import chain

from accord.canonical.reconciliation import Contribution, Entity
from accord.canonical.roles import Role
from accord.ports.reconciliation import ReconciliationReader
from accord.reconcile.runs import Comparison

PAIRS: tuple[tuple[Entity, Role, Role], ...] = (
    (Entity.CUSTOMER, Role.CRM, Role.BILLING),
    (Entity.CUSTOMER, Role.BILLING, Role.ERP),
    (Entity.INVOICE, Role.BILLING, Role.ERP),
    (Entity.PAYMENT, Role.BILLING, Role.ERP),
    (Entity.REFUND, Role.BILLING, Role.ERP),
    (Entity.SUBSCRIPTION, Role.BILLING, Role.CRM),
)
FALLBACK_PAIRS = ((Entity.CUSTOMER, Role.CRM, Role.ERP),)  # when billing is not read

Readers = Mapping[Role, Sequence[ReconciliationReader]]
"""The readers of a run, by the role their systems play."""


def side_name(readers: Sequence[ReconciliationReader]) -> str:
    """The systems of one side, as differences name them (``a+b`` for several)."""
    return "+".join(reader.system for reader in readers)


def comparisons(readers: Readers) -> list[Comparison]:
    """Every comparison whose two roles are both read."""
    pairs = list(PAIRS) if readers.get(Role.BILLING) else [*FALLBACK_PAIRS, *PAIRS]
    made = []
    for entity, source, target in pairs:
        sources, targets = readers.get(source), readers.get(target)
        if sources and targets:
            made.append(Comparison(
                entity.value, side_name(sources), side_name(targets),
                source=lambda sources=sources, entity=entity: chain.from_iterable(  # type: ignore[misc]
                    reader.records(entity) for reader in sources),
                target=lambda targets=targets, entity=entity: chain.from_iterable(  # type: ignore[misc]
                    reader.records(entity) for reader in targets)))
    return made


def contributions(readers: Readers) -> Iterator[Contribution]:
    for group in readers.values():
        for reader in group:
            yield from reader.contributions()


def total_sides(readers: Readers) -> tuple[str, str] | None:
    """The two systems whose control totals must agree: the billing system and the ERP
    (compared when each role has one reader)."""
    billing, erp = readers.get(Role.BILLING, ()), readers.get(Role.ERP, ())
    return (billing[0].system, erp[0].system) if len(billing) == 1 and len(erp) == 1 else None


__all__ = ["FALLBACK_PAIRS", "PAIRS", "Readers", "comparisons", "contributions", "side_name",
           "total_sides"]
