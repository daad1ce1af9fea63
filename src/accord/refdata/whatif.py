"""What-if before activation: re-map a period's invoices under another version, post nothing.

Every invoice accord linked in a billing system is read from billing again (one read per
invoice) and mapped twice with the same mapping the posting flow uses
(:func:`accord.flows.invoice_posting.map_invoice`): under the active version and under the
proposed one. Invoices issued in the period whose lines would post differently are
reported, with the amounts that would move, per legal entity (the ERP subsidiary), currency
and what moves: the ERP item a line posts as (whose income account is the ERP's), the GL
account its revenue waits in until recognized (deferred revenue) and the GL account it is
recognized to (:mod:`accord.revenue`). Nothing is written anywhere.
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
from accord.flows.skus import SkuMapping
from accord.flows.systems import Systems
from accord.refdata.bundle import RefdataBundle
from accord.revenue.schedules import rules_for
from accord.store import Database
from accord.store.models import Xref

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


ERP_ITEM = "ERP item"
DEFERRED_ACCOUNT = "deferred revenue account"
REVENUE_ACCOUNT = "revenue account"


@dataclass(frozen=True)
class Shift:
    """Amount that would post to ``after`` instead of ``before``; ``kind`` says what they
    are (an ERP item, a deferred revenue or a revenue GL account)."""

    legal_entity: str
    currency: str
    before: str | None
    after: str | None
    amount: Decimal
    invoices: int
    kind: str = ERP_ITEM

    def describe(self) -> str:
        return (f"{self.legal_entity} {self.currency}: {self.amount} from {self.kind} "
                f"{self.before or '(none)'} to {self.after or '(none)'} "
                f"({self.invoices} invoices)")


def _posts_to(skus: SkuMapping, code: str | None) -> dict[str, str | None]:
    """Where a mapped line posts under ``skus``: its ERP item, and the GL accounts of the
    SKU behind it (as the posting plans its revenue schedule)."""
    found = rules_for(skus, code)
    entry = found[1] if found is not None else None
    return {ERP_ITEM: code,
            DEFERRED_ACCOUNT: entry.deferred_revenue_account if entry else None,
            REVENUE_ACCOUNT: entry.revenue_account if entry else None}


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
    totals: dict[tuple[str, str, str, str | None, str | None], Decimal] = defaultdict(Decimal)
    counts: dict[tuple[str, str, str, str | None, str | None], set[str]] = defaultdict(set)
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
                was = _posts_to(before.skus, line_before.product_sku)
                becomes = _posts_to(after.skus, line_after.product_sku)
                for kind in (ERP_ITEM, DEFERRED_ACCOUNT, REVENUE_ACCOUNT):
                    if was[kind] == becomes[kind]:
                        continue
                    key = (old.legal_entity, old.currency, kind, was[kind], becomes[kind])
                    totals[key] += line_before.amount.amount
                    counts[key].add(old.id)
                    moved = True
            if moved:
                changed.append(old.id)
    shifts = tuple(Shift(entity, currency, was, becomes, totals[key], len(counts[key]), kind)
                   for key in sorted(totals, key=lambda k: tuple(str(part) for part in k))
                   for entity, currency, kind, was, becomes in (key,))
    return WhatIf(period, examined, tuple(changed), shifts)


__all__ = ["DEFERRED_ACCOUNT", "ERP_ITEM", "REVENUE_ACCOUNT", "Shift", "WhatIf",
           "replay_period"]
