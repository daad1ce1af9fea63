"""The revenue book in accord's store: schedules, their entries per period, the credits that
changed them and the recognition journal of each period (``accord.store.models``).

Writes are idempotent: a schedule is written once under its id (derived from the invoice and
line), a credit is applied once per schedule and document, and a recognized entry never
changes. Re-planning replaces only the entries not recognized yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from accord.canonical.money import Money
from accord.canonical.period import Period
from accord.revenue.planning import PlannedEntry, Share, apportion, replan
from accord.revenue.schedules import PlannedSchedule
from accord.store.models import (
    RevenueChangeRow,
    RevenueEntryRow,
    RevenueRecognitionRow,
    RevenueScheduleRow,
)


def next_period(period: str) -> str:
    return Period.parse(period).end.strftime("%Y-%m")


def open_from(session: Session, legal_entity: str, currency: str) -> str | None:
    """The first period after the last one recognized for the legal entity and currency
    (None when none was)."""
    last = session.scalar(select(func.max(RevenueRecognitionRow.period)).where(
        RevenueRecognitionRow.legal_entity == legal_entity,
        RevenueRecognitionRow.currency == currency))
    return next_period(last) if last else None


def record_schedules(session: Session, planned: Iterable[PlannedSchedule]) -> int:
    """Write the schedules not written yet (a re-run writes nothing); how many were new."""
    written = 0
    for item in planned:
        schedule = item.schedule
        if session.get(RevenueScheduleRow, schedule.id) is not None:
            continue
        session.add(RevenueScheduleRow(
            id=schedule.id, invoice_id=schedule.invoice_id, line=item.line,
            product_sku=schedule.product_sku, legal_entity=schedule.legal_entity,
            currency=schedule.currency, recognition=schedule.recognition.value,
            deferred_account=item.deferred_account, revenue_account=item.revenue_account,
            total_minor=schedule.total.to_minor_units(), service_start=item.service_start,
            service_end=item.service_end))
        session.flush()
        for entry in schedule.entries:
            session.add(RevenueEntryRow(schedule_id=schedule.id, period=entry.period,
                                        amount_minor=entry.amount.to_minor_units()))
        written += 1
    return written


def schedules_of(session: Session, invoice_id: str) -> list[RevenueScheduleRow]:
    return list(session.scalars(select(RevenueScheduleRow).where(
        RevenueScheduleRow.invoice_id == invoice_id).order_by(RevenueScheduleRow.line)))


def entries_of(session: Session, schedule_id: str) -> list[RevenueEntryRow]:
    return list(session.scalars(select(RevenueEntryRow).where(
        RevenueEntryRow.schedule_id == schedule_id).order_by(RevenueEntryRow.period,
                                                             RevenueEntryRow.id)))


def unrecognized(session: Session, schedule_id: str) -> int:
    return int(session.scalar(select(func.coalesce(func.sum(RevenueEntryRow.amount_minor), 0))
                              .where(RevenueEntryRow.schedule_id == schedule_id,
                                     RevenueEntryRow.recognized_in.is_(None))) or 0)


def replan_schedule(session: Session, row: RevenueScheduleRow, change_minor: int) -> None:
    """Change the schedule's total by ``change_minor`` and re-spread what is not recognized
    yet from the first open period (``accord.revenue.planning.replan``)."""
    entries = entries_of(session, row.id)
    first_open = open_from(session, row.legal_entity, row.currency) or \
        min((entry.period for entry in entries), default=None)
    row.total_minor += change_minor
    if first_open is None:
        return
    shares = replan([PlannedEntry(entry.period, entry.amount_minor,
                                  entry.recognized_in is not None) for entry in entries],
                    row.total_minor, open_from=first_open, service_end=row.service_end,
                    service_start=row.service_start)
    session.execute(delete(RevenueEntryRow).where(RevenueEntryRow.schedule_id == row.id,
                                                  RevenueEntryRow.recognized_in.is_(None)))
    for share in shares:
        session.add(RevenueEntryRow(schedule_id=row.id, period=share.period,
                                    amount_minor=share.minor))


@dataclass(frozen=True)
class CreditLine:
    """A credit note line as the revenue book sees it: its SKU code and amount."""

    product_sku: str | None
    amount: Money


def credit_accounts(session: Session, invoice_id: str, lines: Sequence[CreditLine],
                    sku_matches: Sequence[set[str]]) -> list[tuple[str | None,
                                                                   list[RevenueScheduleRow]]]:
    """Per credit line, the deferred account it posts to and the schedules it reduces: the
    invoice's schedules of the line's SKU (``sku_matches[i]``: the canonical SKUs the line's
    code stands for), else all of them; of those, the ones sharing the first one's deferred
    account. (None, []) when the invoice has no schedule: the credit is income's."""
    schedules = schedules_of(session, invoice_id)
    found: list[tuple[str | None, list[RevenueScheduleRow]]] = []
    for line, skus in zip(lines, sku_matches, strict=True):
        candidates = [row for row in schedules if row.product_sku in skus] or schedules
        if not candidates or line.amount.is_zero():
            found.append((None, []))
            continue
        account = candidates[0].deferred_account
        found.append((account, [row for row in candidates if row.deferred_account == account]))
    return found


def apply_credit(session: Session, document_id: str, effective: date, amount: Money,
                 schedules: Sequence[RevenueScheduleRow]) -> int:
    """Reduce ``schedules`` by ``amount`` (a credit), in proportion to what each has not
    recognized yet (to their totals when nothing is left), each once per document; returns
    how many schedules were changed now (0 on a re-run)."""
    if not schedules or session.scalar(select(RevenueChangeRow.id).where(
            RevenueChangeRow.document_id == document_id,
            RevenueChangeRow.schedule_id.in_([row.id for row in schedules])).limit(1)):
        return 0
    weights = [(row.id, max(unrecognized(session, row.id), 0)) for row in schedules]
    if sum(weight for _id, weight in weights) == 0:
        weights = [(row.id, abs(row.total_minor)) for row in schedules]
    shares: list[Share] = apportion(-amount.to_minor_units(), weights)
    changed = 0
    for row, share in zip(schedules, shares, strict=True):
        if share.minor == 0:
            continue
        session.add(RevenueChangeRow(schedule_id=row.id, document_id=document_id,
                                     amount_minor=share.minor, effective=effective))
        replan_schedule(session, row, share.minor)
        changed += 1
    return changed


def remainders(session: Session) -> dict[tuple[str, str], Money]:
    """The unrecognized remainder of every schedule, per legal entity and currency."""
    rows = session.execute(
        select(RevenueScheduleRow.legal_entity, RevenueScheduleRow.currency,
               func.sum(RevenueEntryRow.amount_minor))
        .join(RevenueEntryRow, RevenueEntryRow.schedule_id == RevenueScheduleRow.id)
        .where(RevenueEntryRow.recognized_in.is_(None))
        .group_by(RevenueScheduleRow.legal_entity, RevenueScheduleRow.currency))
    return {(entity, currency): Money.from_minor_units(int(total or 0), currency)
            for entity, currency, total in rows}


def deferred_accounts(session: Session) -> set[str]:
    """Every deferred revenue account a schedule uses."""
    return set(session.scalars(select(RevenueScheduleRow.deferred_account).distinct()))


__all__ = ["CreditLine", "apply_credit", "credit_accounts", "deferred_accounts",
           "entries_of", "next_period", "open_from", "record_schedules", "remainders",
           "replan_schedule", "schedules_of", "unrecognized"]
