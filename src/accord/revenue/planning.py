"""Revenue planning: pure functions from amounts and dates to per-period amounts.

Everything is computed in integer minor units of the line's currency, so a plan always
adds up exactly to what it spreads:

* :func:`ratable` spreads an amount over an inclusive range of days, each month weighted by
  its days in the range; the minor units that do not divide go one each to the months with
  the largest remainders, the earlier month first on a tie (deterministic).
* :func:`point_in_time` puts the whole amount in one period.
* :func:`replan` re-spreads what is left of a schedule after a change (a credit, a
  cancellation, a downgrade): the recognized entries stay, and the remaining amount (new
  total less what was recognized) is spread ratably from the first day of the first open
  period to the end of the service; when the service has ended, or the remaining amount is
  negative (more was credited than was left), all of it is the catch-up in that period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from accord.canonical.period import Period, period_of


@dataclass(frozen=True)
class Share:
    """One period's amount of a plan, in minor units."""

    period: str
    minor: int


@dataclass(frozen=True)
class PlannedEntry:
    """An entry of a stored schedule as re-planning sees it."""

    period: str
    minor: int
    recognized: bool


def days_by_month(start: date, end: date) -> list[tuple[str, int]]:
    """The months an inclusive date range touches, each with its days in the range."""
    if end < start:
        raise ValueError(f"service_period: end {end} is before start {start}")
    months: list[tuple[str, int]] = []
    day = start
    while day <= end:
        month_end = Period.parse(period_of(day)).end - timedelta(days=1)
        last = min(month_end, end)
        months.append((period_of(day), (last - day).days + 1))
        day = last + timedelta(days=1)
    return months


def apportion(minor: int, weights: Sequence[tuple[str, int]]) -> list[Share]:
    """``minor`` split in proportion to the weights (each a period or other key with a
    non-negative weight), the left-over units to the largest remainders, earlier first."""
    total_weight = sum(weight for _period, weight in weights)
    if total_weight <= 0:
        raise ValueError("weights: nothing to spread over")
    sign = -1 if minor < 0 else 1
    amount = abs(minor)
    floors = [(amount * weight) // total_weight for _period, weight in weights]
    remainders = [(amount * weight) % total_weight for _period, weight in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda index: (-remainders[index], index))
    for index in order[:left]:
        floors[index] += 1
    return [Share(period, sign * share) for (period, _weight), share in zip(weights, floors,
                                                                           strict=True)]


def ratable(minor: int, start: date, end: date) -> list[Share]:
    """``minor`` spread daily over the inclusive range ``start``..``end``, one share per
    month; the shares add up to ``minor`` exactly."""
    return apportion(minor, days_by_month(start, end))


def point_in_time(minor: int, on: date) -> list[Share]:
    """The whole amount in the period of ``on``."""
    return [Share(period_of(on), minor)]


def first_day(period: str) -> date:
    return Period.parse(period).start


def replan(entries: Sequence[PlannedEntry], new_total: int, *, open_from: str,
           service_end: date, service_start: date | None = None) -> list[Share]:
    """The unrecognized shares of a schedule whose total became ``new_total``: the entries
    already recognized stay as they are (and are not returned); the rest (``new_total``
    less the recognized amount) is spread ratably over the days from the start of
    ``open_from`` (the first period still open for recognition; not before
    ``service_start``) to ``service_end``, or put whole in ``open_from`` when the service
    has ended by then or the rest is negative."""
    recognized = sum(entry.minor for entry in entries if entry.recognized)
    rest = new_total - recognized
    if rest == 0:
        return []
    start = max(first_day(open_from), service_start or first_day(open_from))
    if rest < 0 or service_end < start:
        return [Share(open_from, rest)]
    return [share for share in ratable(rest, start, service_end) if share.minor != 0]


def merge(shares: Sequence[Share]) -> list[Share]:
    """Shares of the same period summed, in period order, zeros dropped."""
    totals: dict[str, int] = {}
    for share in shares:
        totals[share.period] = totals.get(share.period, 0) + share.minor
    return [Share(period, minor) for period, minor in sorted(totals.items()) if minor != 0]


def carry_forward(shares: Sequence[Share], open_from: str | None) -> list[Share]:
    """Shares for periods already recognized (before ``open_from``) move into
    ``open_from``: the catch-up of a document that arrives after its periods were closed."""
    if open_from is None:
        return merge(shares)
    return merge([Share(max(share.period, open_from), share.minor) for share in shares])


__all__ = ["PlannedEntry", "Share", "apportion", "carry_forward", "days_by_month",
           "first_day", "merge", "point_in_time", "ratable", "replan"]
