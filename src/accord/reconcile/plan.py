"""Which comparisons a run makes between the systems it reads, and their control totals.

Customers are compared along the chain the flows follow (a won account becomes a Stripe
customer, which the ERP must hold), so an account that never reached billing is reported
once, as missing in Stripe, not once per downstream system.

| entity | source -> target | key |
|---|---|---|
| customer | salesforce -> stripe -> netsuite | canonical id |
| invoice | stripe -> netsuite | invoice number (tranId), else canonical id |
| payment, refund | stripe -> netsuite | canonical id |
| subscription | stripe -> salesforce | Stripe subscription id |
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from accord.reconcile.readers.base import Entity, Reader
from accord.reconcile.readers.salesforce import status_labels
from accord.reconcile.runs import Comparison
from accord.reconcile.totals import Contribution

PAIRS: tuple[tuple[Entity, str, str], ...] = (
    (Entity.CUSTOMER, "salesforce", "stripe"),
    (Entity.CUSTOMER, "stripe", "netsuite"),
    (Entity.INVOICE, "stripe", "netsuite"),
    (Entity.PAYMENT, "stripe", "netsuite"),
    (Entity.REFUND, "stripe", "netsuite"),
    (Entity.SUBSCRIPTION, "stripe", "salesforce"),
)
FALLBACK_PAIRS = ((Entity.CUSTOMER, "salesforce", "netsuite"),)  # when Stripe is not read


def status_map(entity: Entity, source: str, target: str) -> Mapping[str, str] | None:
    if (entity, source, target) == (Entity.INVOICE, "stripe", "netsuite"):
        return {"paid": "Paid In Full", "open": "Open"}
    if (entity, source, target) == (Entity.SUBSCRIPTION, "stripe", "salesforce"):
        return status_labels()
    return None


def comparisons(readers: Mapping[str, Reader]) -> list[Comparison]:
    """Every comparison whose two systems are both read."""
    pairs = list(PAIRS) if "stripe" in readers else [*FALLBACK_PAIRS, *PAIRS]
    made = []
    for entity, source, target in pairs:
        if source in readers and target in readers:
            src, tgt = readers[source], readers[target]
            made.append(Comparison(
                entity.value, source, target,
                source=lambda src=src, entity=entity: src.records(entity),  # type: ignore[misc]
                target=lambda tgt=tgt, entity=entity: tgt.records(entity),  # type: ignore[misc]
                status_map=status_map(entity, source, target)))
    return made


def contributions(readers: Mapping[str, Reader]) -> Iterator[Contribution]:
    for reader in readers.values():
        yield from reader.contributions()


__all__ = ["FALLBACK_PAIRS", "PAIRS", "comparisons", "contributions", "status_map"]
