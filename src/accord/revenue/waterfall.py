"""The revenue waterfall: per legal entity, currency and period, what was recognized and
what is scheduled but not recognized yet, from accord's schedules."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from accord.canonical.money import Money
from accord.store.models import RevenueEntryRow, RevenueScheduleRow


@dataclass(frozen=True)
class WaterfallRow:
    legal_entity: str
    currency: str
    period: str
    recognized: Money
    scheduled: Money


def waterfall(session: Session) -> list[WaterfallRow]:
    """One row per legal entity, currency and period with any entry, in that order."""
    recognized = func.sum(case((RevenueEntryRow.recognized_in.is_not(None),
                                RevenueEntryRow.amount_minor), else_=0))
    scheduled = func.sum(case((RevenueEntryRow.recognized_in.is_(None),
                               RevenueEntryRow.amount_minor), else_=0))
    rows = session.execute(
        select(RevenueScheduleRow.legal_entity, RevenueScheduleRow.currency,
               RevenueEntryRow.period, recognized, scheduled)
        .join(RevenueEntryRow, RevenueEntryRow.schedule_id == RevenueScheduleRow.id)
        .group_by(RevenueScheduleRow.legal_entity, RevenueScheduleRow.currency,
                  RevenueEntryRow.period)
        .order_by(RevenueScheduleRow.legal_entity, RevenueScheduleRow.currency,
                  RevenueEntryRow.period))
    return [WaterfallRow(entity, currency, period,
                         Money.from_minor_units(int(done or 0), currency),
                         Money.from_minor_units(int(left or 0), currency))
            for entity, currency, period, done, left in rows]


def waterfall_csv(rows: list[WaterfallRow]) -> str:
    """``legal_entity,currency,period,recognized,scheduled`` with exact decimal amounts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["legal_entity", "currency", "period", "recognized", "scheduled"])
    for row in rows:
        writer.writerow([row.legal_entity, row.currency, row.period, row.recognized.amount,
                         row.scheduled.amount])
    return out.getvalue()


__all__ = ["WaterfallRow", "waterfall", "waterfall_csv"]
