"""Control totals per system, currency, subsidiary and accounting period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from accord.canonical.money import Money
from accord.reconcile.scratch import load, scratch_db


class Measure(StrEnum):
    INVOICED = "invoiced"
    TAX = "tax"
    CREDITS = "credits"
    CASH = "cash"
    FEES = "fees"
    OPEN_RECEIVABLES = "open_receivables"


@dataclass(frozen=True)
class Contribution:
    """One document's contribution to one measure."""

    system: str
    subsidiary: str
    period: str
    measure: Measure
    amount: Money


@dataclass(frozen=True)
class ControlTotal:
    system: str
    currency: str
    subsidiary: str
    period: str
    measure: Measure
    total: Money
    count: int


def control_totals(contributions: Iterable[Contribution]) -> list[ControlTotal]:
    """Sum contributions exactly (in minor units) per system/currency/subsidiary/period/measure."""
    with scratch_db() as db:
        db.execute("CREATE TABLE c (system TEXT, currency TEXT, subsidiary TEXT, period TEXT, "
                   "measure TEXT, minor INTEGER)")
        load(db, "c", ("system", "currency", "subsidiary", "period", "measure", "minor"),
             ((c.system, c.amount.currency, c.subsidiary, c.period, c.measure.value,
               c.amount.to_minor_units()) for c in contributions))
        rows = db.execute(
            "SELECT system, currency, subsidiary, period, measure, SUM(minor), COUNT(*) FROM c "
            "GROUP BY system, currency, subsidiary, period, measure "
            "ORDER BY system, currency, subsidiary, period, measure").fetchall()
    return [ControlTotal(system, currency, subsidiary, period, Measure(measure),
                         Money.from_minor_units(int(minor), currency), count)
            for system, currency, subsidiary, period, measure, minor, count in rows]


def total_differences(left: Iterable[ControlTotal], right: Iterable[ControlTotal]
                      ) -> list[tuple[tuple[str, str, str, Measure], Money, Money]]:
    """Pairs of totals (keyed without the system) that differ between two systems."""
    def index(totals: Iterable[ControlTotal]) -> dict[tuple[str, str, str, Measure], Money]:
        return {(t.currency, t.subsidiary, t.period, t.measure): t.total for t in totals}

    a, b = index(left), index(right)
    differing = []
    for key in sorted(set(a) | set(b)):
        zero = Money.zero(key[0])
        first, second = a.get(key, zero), b.get(key, zero)
        if first != second:
            differing.append((key, first, second))
    return differing


__all__ = ["Contribution", "ControlTotal", "Measure", "control_totals", "total_differences"]
