"""What-if before activation: re-map a period's invoices under another version, post nothing.

Every invoice accord linked in a billing system is read from billing again (one read per
invoice) and mapped twice with the same mapping the posting flow uses
(:func:`accord.flows.invoice_posting.map_invoice`): under the active version and under the
proposed one. Invoices issued in the period whose lines would post to another ERP item are
reported, with the amounts that would move, per legal entity (the ERP subsidiary), currency
and ERP item (whose income account is the ERP's). Nothing is written anywhere.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select

from accord.canonical.ids import EntityType
from accord.canonical.period import period_of
from accord.canonical.roles import Role
from accord.flows.invoice_posting import map_invoice
from accord.flows.systems import Systems
from accord.refdata.bundle import RefdataBundle
from accord.store import Database
from accord.store.models import Xref

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Shift:
    """Amount that would post to ``after`` instead of ``before``."""

    legal_entity: str
    currency: str
    before: str | None
    after: str | None
    amount: Decimal
    invoices: int

    def describe(self) -> str:
        return (f"{self.legal_entity} {self.currency}: {self.amount} from ERP item "
                f"{self.before or '(default)'} to {self.after or '(default)'} "
                f"({self.invoices} invoices)")


@dataclass(frozen=True)
class WhatIf:
    period: str
    examined: int
    """Invoices issued in the period."""
    changed: tuple[str, ...]
    """Canonical ids of the invoices that would post differently."""
    shifts: tuple[Shift, ...]


def replay_period(database: Database, found: Systems, period: str, *,
                  before: RefdataBundle, after: RefdataBundle) -> WhatIf:
    """Which of the period's invoices would post differently under ``after``, and how."""
    if not PERIOD.match(period):
        raise ValueError(f"period: {period!r} is not YYYY-MM")
    totals: dict[tuple[str, str, str | None, str | None], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str, str | None, str | None], set[str]] = defaultdict(set)
    examined = 0
    changed: list[str] = []
    for billing in found.instances(Role.BILLING):
        with database.session() as session:
            ids = list(session.scalars(select(Xref.system_id).where(
                Xref.system == billing, Xref.entity_type == EntityType.INVOICE.value
            ).order_by(Xref.id)))
        for invoice_id in ids:
            document = found.billing(billing).read_invoice(invoice_id)
            with database.session() as session:
                old = map_invoice(session, found, before.skus, billing, invoice_id, document)
                if period_of(old.issue_date) != period:
                    continue
                new = map_invoice(session, found, after.skus, billing, invoice_id, document)
            examined += 1
            moved = False
            for line_before, line_after in zip(old.lines, new.lines, strict=True):
                if line_before.product_sku == line_after.product_sku:
                    continue
                key = (old.legal_entity, old.currency, line_before.product_sku,
                       line_after.product_sku)
                totals[key] += line_before.amount.amount
                counts[key].add(old.id)
                moved = True
            if moved:
                changed.append(old.id)
    shifts = tuple(Shift(entity, currency, item_before, item_after, totals[key],
                         len(counts[key]))
                   for key in sorted(totals, key=lambda k: tuple(str(part) for part in k))
                   for entity, currency, item_before, item_after in (key,))
    return WhatIf(period, examined, tuple(changed), shifts)


__all__ = ["Shift", "WhatIf", "replay_period"]
