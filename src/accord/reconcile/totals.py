"""Control totals per system, currency, subsidiary and accounting period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from accord.canonical.money import Money
from accord.canonical.reconciliation import Contribution, Measure
from accord.store.scratch import load, scratch_db


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


@dataclass(frozen=True)
class TotalDifference:
    """A control total on which two systems disagree."""

    currency: str
    subsidiary: str
    period: str
    measure: Measure
    left_system: str
    left: Money
    right_system: str
    right: Money

    def describe(self) -> str:
        return (f"{self.measure.value} {self.subsidiary} {self.period}: {self.left_system} "
                f"{self.left}, {self.right_system} {self.right}")


# Measures both sides can know; Stripe's fees are not in its API objects the readers list.
COMPARED = (Measure.INVOICED, Measure.TAX, Measure.CREDITS, Measure.CASH,
            Measure.OPEN_RECEIVABLES)


def cross_system_differences(totals: Iterable[ControlTotal], left: str, right: str
                             ) -> list[TotalDifference]:
    """Totals (per currency, subsidiary, period, measure) where ``left`` and ``right`` differ;
    a total one side lacks counts as zero there."""
    table: dict[tuple[str, str, str, Measure], dict[str, Money]] = {}
    for total in totals:
        if total.system in (left, right) and total.measure in COMPARED:
            key = (total.currency, total.subsidiary, total.period, total.measure)
            table.setdefault(key, {})[total.system] = total.total
    found = []
    for key in sorted(table):
        sides = table[key]
        zero = Money.zero(key[0])
        a, b = sides.get(left, zero), sides.get(right, zero)
        if a != b:
            found.append(TotalDifference(*key, left, a, right, b))
    return found


__all__ = ["COMPARED", "ControlTotal", "TotalDifference",
           "control_totals", "cross_system_differences", "total_differences"]
