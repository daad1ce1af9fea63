"""Recognition: one balanced journal per period, legal entity and currency, posted to the ERP
once.

For a period, every entry not recognized yet whose period is that one or earlier (the
catch-up of a period that was not run) is recognized: per legal entity and currency, the
entries sum per account into one journal dated the period's last day - a debit of each
deferred revenue account and a credit of each revenue account (the other way round where a
credit made the net negative). The journal's id is derived from (period, legal entity,
currency) and the ERP upserts on it; the journal and the entries it recognized are recorded
in one transaction, so a re-run of the period posts nothing new, and a run interrupted
between the post and the record posts the same journal again when re-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.ledger import JournalEntry, JournalLine, Side
from accord.canonical.money import Money
from accord.canonical.period import Period
from accord.canonical.roles import Role
from accord.flows.systems import Systems
from accord.store import Database
from accord.store.models import RevenueEntryRow, RevenueRecognitionRow, RevenueScheduleRow


class RecognitionError(ValueError):
    """A recognition run was asked for something it cannot do (a period not ended yet);
    the message names the field."""


def journal_id_for(period: str, legal_entity: str, currency: str) -> str:
    return derived_id(EntityType.JOURNAL_ENTRY, "revenue-recognition", period, legal_entity,
                      currency)


def last_day(period: str) -> date:
    return Period.parse(period).end - timedelta(days=1)


@dataclass(frozen=True)
class Recognized:
    """One legal entity and currency of a run: the journal, and whether it was new."""

    legal_entity: str
    currency: str
    journal_id: str
    amount: Money
    posted: bool
    erp: str | None = None
    erp_id: str | None = None


@dataclass
class RecognitionRun:
    period: str
    results: list[Recognized] = field(default_factory=list)

    @property
    def posted(self) -> list[Recognized]:
        return [result for result in self.results if result.posted]


def _groups(session: Session, period: str) -> list[tuple[str, str]]:
    """The legal entities and currencies with something due, or recognized for the period
    already (a re-run lists them as posted before)."""
    due = session.execute(
        select(RevenueScheduleRow.legal_entity, RevenueScheduleRow.currency)
        .join(RevenueEntryRow, RevenueEntryRow.schedule_id == RevenueScheduleRow.id)
        .where(RevenueEntryRow.recognized_in.is_(None), RevenueEntryRow.period <= period)
        .distinct()).all()
    done = session.execute(
        select(RevenueRecognitionRow.legal_entity, RevenueRecognitionRow.currency)
        .where(RevenueRecognitionRow.period == period)).all()
    return sorted(set(due) | set(done))


def _due(session: Session, period: str, legal_entity: str, currency: str
         ) -> list[tuple[int, str, str, int]]:
    """(entry id, deferred account, revenue account, minor units) of what is due."""
    return list(session.execute(
        select(RevenueEntryRow.id, RevenueScheduleRow.deferred_account,
               RevenueScheduleRow.revenue_account, RevenueEntryRow.amount_minor)
        .join(RevenueScheduleRow, RevenueEntryRow.schedule_id == RevenueScheduleRow.id)
        .where(RevenueScheduleRow.legal_entity == legal_entity,
               RevenueScheduleRow.currency == currency,
               RevenueEntryRow.recognized_in.is_(None), RevenueEntryRow.period <= period)
        .order_by(RevenueEntryRow.id)).all())


def recognition_journal(period: str, legal_entity: str, currency: str,
                        due: list[tuple[int, str, str, int]]) -> JournalEntry | None:
    """The balanced journal for ``due`` (None when it nets to nothing)."""
    net: dict[tuple[str, Side], int] = {}
    for _id, deferred, revenue, minor in due:
        net[(deferred, Side.DEBIT)] = net.get((deferred, Side.DEBIT), 0) + minor
        net[(revenue, Side.CREDIT)] = net.get((revenue, Side.CREDIT), 0) + minor
    lines = []
    for (account, side), minor in sorted(net.items()):
        if minor == 0:
            continue
        flipped = side if minor > 0 else (Side.CREDIT if side is Side.DEBIT else Side.DEBIT)
        lines.append(JournalLine(account=account, side=flipped,
                                 amount=Money.from_minor_units(abs(minor), currency),
                                 memo=f"revenue recognized {period}"))
    if len(lines) < 2:
        return None
    return JournalEntry(id=journal_id_for(period, legal_entity, currency),
                        legal_entity=legal_entity, period=period, entry_date=last_day(period),
                        currency=currency, lines=tuple(lines),
                        memo=f"Revenue recognition {period} {legal_entity} {currency}",
                        source_document=f"REVREC-{period}-{legal_entity}-{currency}")


def recognize(database: Database, found: Systems, period: str, *, as_of: date,
              attempts: int = 3) -> RecognitionRun:
    """Recognize ``period`` for every legal entity and currency with something due. Refuses
    a period that has not ended by ``as_of``."""
    Period.parse(period)
    if last_day(period) > as_of:
        raise RecognitionError(f"period: {period} has not ended on {as_of.isoformat()}; "
                               "revenue is recognized once a period is over")
    run = RecognitionRun(period)
    with database.session() as session:
        groups = _groups(session, period)
    for legal_entity, currency in groups:
        for _attempt in range(attempts):
            result = _recognize_one(database, found, period, legal_entity, currency)
            if result is not None:
                run.results.append(result)
                break
    return run


def _recognize_one(database: Database, found: Systems, period: str, legal_entity: str,
                   currency: str) -> Recognized | None:
    """One legal entity and currency; None when its entries changed under the run (a credit
    re-planned them): the caller runs it again, and the ERP upsert keeps one journal."""
    journal_id = journal_id_for(period, legal_entity, currency)
    with database.session() as session:
        done = session.scalar(select(RevenueRecognitionRow).where(
            RevenueRecognitionRow.period == period,
            RevenueRecognitionRow.legal_entity == legal_entity,
            RevenueRecognitionRow.currency == currency))
        if done is not None:
            return Recognized(legal_entity, currency, done.journal_id, Money.zero(currency),
                              posted=False, erp=done.system, erp_id=done.system_id)
        due = _due(session, period, legal_entity, currency)
    entry = recognition_journal(period, legal_entity, currency, due)
    erp = found.target(Role.ERP, legal_entity, currency)
    erp_id = found.erp(erp).post_journal(entry) if entry is not None else ""
    amount = Money.from_minor_units(sum(minor for *_rest, minor in due), currency)
    ids = [entry_id for entry_id, *_rest in due]
    try:
        with database.session() as session:
            changed = session.execute(update(RevenueEntryRow).where(
                RevenueEntryRow.id.in_(ids), RevenueEntryRow.recognized_in.is_(None)
            ).values(recognized_in=journal_id).execution_options(synchronize_session=False))
            if getattr(changed, "rowcount", len(ids)) != len(ids):
                raise _Changed
            session.add(RevenueRecognitionRow(period=period, legal_entity=legal_entity,
                                              currency=currency, journal_id=journal_id,
                                              system=erp, system_id=erp_id))
    except _Changed:
        return None
    except IntegrityError:
        return None  # another run recorded it first; the next attempt reads its record
    return Recognized(legal_entity, currency, journal_id, amount, posted=entry is not None,
                      erp=erp, erp_id=erp_id or None)


class _Changed(Exception):
    """The entries due changed between the read and the record."""


def is_month_end(day: date) -> bool:
    return (day + timedelta(days=1)).month != day.month


__all__ = ["RecognitionError", "RecognitionRun", "Recognized", "is_month_end",
           "journal_id_for", "last_day", "recognition_journal", "recognize"]
