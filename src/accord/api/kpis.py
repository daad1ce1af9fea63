"""Business and technical KPIs, computed from the store, the timeline and DBOS's tables.

The figures read only what the engine and the flows write, in their words (see
``docs/operations.md``, "KPIs"):

* a **record** is a business key a flow noted on its trace (:class:`accord.flows.keys.Key`):
  an *order* is a ``deal_id``, an *invoice* an ``invoice_number``, a *payment* a
  ``payment_id``. Every trace noting the key is about that record (the invoice's own flow,
  and the payment flow that posted it first; a deal's flow and its re-runs);
* a record *starts* at the earliest of its traces' first timeline rows and, for a trace
  started by an inbound event (correlation id ``<system>:<event id>``), the event's
  ``occurred_at``;
* a record *reaches* a milestone (:class:`accord.engine.timeline.Milestone`) when one of its
  traces has a succeeded row declaring it: an order is activated at ``order_activated`` and
  the CRM told at ``crm_updated``; an invoice is posted to the ERP at ``invoice_posted``; a
  payment at ``payment_posted``. Whatever the vendor, never by a step's name;
* steps are timeline rows, one per attempt: *failed* ones (``StepOutcome.FAILED``) are the
  errors, *retrying* ones the retries.

Percentiles use the nearest-rank method over the records that reached a milestone in the
window.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accord.api.configured_systems import connector_for
from accord.api.queries import StepCounts, step_counts
from accord.api.queries import kpis as summary
from accord.api.schemas import CountBy, Kpis
from accord.canonical.ids import EntityType
from accord.canonical.roles import CUSTOMER_ROLES, Role
from accord.engine.exception_queue import ExceptionStatus
from accord.engine.inbox import PENDING_STATUSES
from accord.engine.timeline import Milestone, StepOutcome
from accord.errors import DataQualityError
from accord.flows.closed_won import MATCH_CUSTOMER_STEP
from accord.flows.keys import Key
from accord.store.models import BusinessKey, ExceptionRecord, InboxEntry, TimelineEntry, Xref

ORDER = Key.DEAL_ID
INVOICE = Key.INVOICE_NUMBER
PAYMENT = Key.PAYMENT_ID
RECORD_KEYS = (ORDER, INVOICE, PAYMENT)
PENDING_INBOX = PENDING_STATUSES
QUEUED_STATUSES = ("ENQUEUED", "PENDING", "DELAYED")
LISTED = 20
"""How many waiting records a backlog names (the oldest first)."""
CHUNK = 500


class Percentiles(BaseModel):
    """Durations in seconds over ``count`` records."""

    count: int
    p50_seconds: float | None
    p95_seconds: float | None


class Backlog(BaseModel):
    """Records still waiting, with the age (seconds since the record started) of the oldest,
    and the business keys of the oldest few."""

    count: int
    oldest_seconds: float | None
    older_than_1h: int
    older_than_24h: int
    keys: list[str] = Field(default_factory=list,
                            description=f"the oldest {LISTED} waiting records, oldest first")


class QueueDepth(BaseModel):
    queue: str
    waiting: int
    running: int


class SystemUsage(BaseModel):
    """Calls recorded on the timeline (one step per outbound attempt) against the system's
    published limits."""

    system: str
    calls_last_hour: int
    calls_last_24h: int
    busiest_second_last_hour: int
    requests_per_second_limit: float | None
    daily_limit: int | None
    daily_used_ratio: float | None
    max_concurrency: int | None


class BusinessKpis(BaseModel):
    orders_activated: int
    orders_pending_activation: Backlog
    orders_not_in_crm: Backlog
    invoices_posted: int
    invoices_not_posted: Backlog
    invoice_posting_latency: Percentiles
    payments_posted: int
    payments_not_posted: Backlog
    payment_update_lag: Percentiles
    unmatched_customers: int
    customers_missing_links: list[CountBy]
    blocked_by_validation: int
    blocked_by_entity: list[CountBy]


class TechnicalKpis(BaseModel):
    queue_depth: list[QueueDepth] | None
    workflows_by_status: list[CountBy] | None
    workflow_recoveries: int | None
    inbox_backlog: int
    steps_last_24h: int
    step_errors_last_24h: int
    retries_last_24h: int
    error_rate_last_24h: float
    api_usage: list[SystemUsage]


class DayPoint(BaseModel):
    """One UTC day: steps run, steps failed, invoices and payments that reached the ERP."""

    day: date
    steps: int
    errors: int
    invoices_posted: int
    payments_posted: int


class KpiReport(Kpis):
    """The summary figures (exceptions, backlog, 24 h error rate) plus the business and
    technical KPIs."""

    computed_at: datetime
    window_days: int
    business: BusinessKpis
    technical: TechnicalKpis
    history: list[DayPoint]


# -- helpers ----------------------------------------------------------------------------------
def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest rank: the smallest value with at least ``q`` of the values at or below it."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]


def percentiles(values: Sequence[float]) -> Percentiles:
    return Percentiles(count=len(values), p50_seconds=percentile(values, 0.5),
                       p95_seconds=percentile(values, 0.95))


def backlog(waiting: Iterable[tuple[str, datetime]], now: datetime) -> Backlog:
    """``waiting``: (business key, start) of each waiting record."""
    aged = sorted(((now - start).total_seconds(), key) for key, start in waiting)
    aged.reverse()
    ages = [age for age, _key in aged]
    return Backlog(count=len(ages), oldest_seconds=ages[0] if ages else None,
                   older_than_1h=sum(age > 3600 for age in ages),
                   older_than_24h=sum(age > 86400 for age in ages),
                   keys=[key for _age, key in aged[:LISTED]])


def _earlier(found: dict[str, datetime], key: str, at: datetime) -> None:
    if key not in found or at < found[key]:
        found[key] = at


@dataclass
class Records:
    """One kind of record (orders, invoices or payments): when each started and when it
    first reached each milestone."""

    starts: dict[str, datetime] = field(default_factory=dict)
    reached: dict[Milestone, dict[str, datetime]] = field(
        default_factory=lambda: defaultdict(dict))

    def waiting(self, milestone: Milestone, *, after: Milestone | None = None
                ) -> list[tuple[str, datetime]]:
        """Records that have not reached ``milestone`` (of those that reached ``after``)."""
        done = self.reached[milestone]
        before = self.reached[after] if after is not None else self.starts
        return [(key, self.starts[key]) for key in sorted(before)
                if key not in done and key in self.starts]

    def reached_between(self, milestone: Milestone, since: datetime, until: datetime
                        ) -> dict[str, datetime]:
        return {key: at for key, at in self.reached[milestone].items() if since <= at <= until}

    def latencies(self, milestone: Milestone, since: datetime, until: datetime) -> list[float]:
        return [max(0.0, (at - self.starts[key]).total_seconds())
                for key, at in self.reached_between(milestone, since, until).items()
                if key in self.starts]


def load_records(session: Session) -> dict[Key, Records]:
    """Orders, invoices and payments from the business keys their flows noted, with the
    starts of their traces and the milestones those traces reached."""
    records = {kind: Records() for kind in RECORD_KEYS}
    about: dict[str, list[tuple[Key, str]]] = defaultdict(list)  # trace -> its records
    for cid, kind, value in session.execute(select(
            BusinessKey.correlation_id, BusinessKey.kind, BusinessKey.value).where(
            BusinessKey.kind.in_([str(kind) for kind in RECORD_KEYS]))):
        about[cid].append((Key(kind), value))
    traces = sorted(about)
    for start in range(0, len(traces), CHUNK):
        chunk = traces[start:start + CHUNK]
        starts: dict[str, datetime] = {}
        for cid, first in session.execute(select(
                TimelineEntry.correlation_id, func.min(TimelineEntry.occurred_at)).where(
                TimelineEntry.correlation_id.in_(chunk)).group_by(TimelineEntry.correlation_id)):
            _earlier(starts, cid, first)
        by_event = {tuple(cid.split(":", 1)): cid for cid in chunk if ":" in cid}
        events = {event_id for _system, event_id in by_event}
        if events:
            for system, event_id, occurred in session.execute(select(
                    InboxEntry.system, InboxEntry.external_event_id, InboxEntry.occurred_at
            ).where(InboxEntry.external_event_id.in_(events))):
                started = by_event.get((system, event_id))
                if started is not None and occurred is not None:
                    _earlier(starts, started, occurred)
        for cid, at in starts.items():
            for kind, value in about[cid]:
                _earlier(records[kind].starts, value, at)
        for cid, milestone, at in session.execute(select(
                TimelineEntry.correlation_id, TimelineEntry.milestone,
                func.min(TimelineEntry.occurred_at)).where(
                TimelineEntry.correlation_id.in_(chunk), TimelineEntry.milestone.is_not(None),
                TimelineEntry.outcome == StepOutcome.SUCCEEDED.value).group_by(
                TimelineEntry.correlation_id, TimelineEntry.milestone)):
            for kind, value in about[cid]:
                _earlier(records[kind].reached[Milestone(str(milestone))], value, at)
    return records


# -- business --------------------------------------------------------------------------------
def _role_of(system: str) -> Role | None:
    connector = connector_for(system)
    return connector.kind if connector is not None else None


def customers_missing_links(session: Session) -> list[CountBy]:
    """Per role (crm, billing, erp): customers linked somewhere but not to any system of
    that role."""
    roles: dict[str, set[Role]] = defaultdict(set)
    for canonical_id, system in session.execute(select(Xref.canonical_id, Xref.system).where(
            Xref.entity_type == EntityType.CUSTOMER.value)):
        kind = _role_of(system)
        roles[canonical_id].update({kind} if kind else set())
    return [CountBy(key=kind.value, count=sum(kind not in linked for linked in roles.values()))
            for kind in CUSTOMER_ROLES]


def business(session: Session, records: dict[Key, Records], now: datetime,
             window: timedelta) -> BusinessKpis:
    since = now - window
    orders, invoices, payments = records[ORDER], records[INVOICE], records[PAYMENT]
    open_quality = (ExceptionRecord.status == ExceptionStatus.OPEN.value,
                    ExceptionRecord.kind == DataQualityError.code)
    blocked = [CountBy(key=str(entity or "unknown"), count=int(count))
               for entity, count in session.execute(select(
                   ExceptionRecord.entity_type, func.count()).where(*open_quality).group_by(
                   ExceptionRecord.entity_type).order_by(ExceptionRecord.entity_type))]
    unmatched = session.scalar(select(func.count()).select_from(ExceptionRecord).where(
        *open_quality, ExceptionRecord.step == MATCH_CUSTOMER_STEP)) or 0
    return BusinessKpis(
        orders_activated=len(orders.reached_between(Milestone.ORDER_ACTIVATED, since, now)),
        orders_pending_activation=backlog(orders.waiting(Milestone.ORDER_ACTIVATED), now),
        orders_not_in_crm=backlog(orders.waiting(Milestone.CRM_UPDATED,
                                                 after=Milestone.ORDER_ACTIVATED), now),
        invoices_posted=len(invoices.reached_between(Milestone.INVOICE_POSTED, since, now)),
        invoices_not_posted=backlog(invoices.waiting(Milestone.INVOICE_POSTED), now),
        invoice_posting_latency=percentiles(invoices.latencies(Milestone.INVOICE_POSTED,
                                                               since, now)),
        payments_posted=len(payments.reached_between(Milestone.PAYMENT_POSTED, since, now)),
        payments_not_posted=backlog(payments.waiting(Milestone.PAYMENT_POSTED), now),
        payment_update_lag=percentiles(payments.latencies(Milestone.PAYMENT_POSTED, since,
                                                          now)),
        unmatched_customers=int(unmatched), customers_missing_links=customers_missing_links(
            session), blocked_by_validation=sum(row.count for row in blocked),
        blocked_by_entity=blocked)


# -- technical -------------------------------------------------------------------------------
def workflow_table(engine: Engine) -> str:
    """DBOS's workflow status table: schema ``dbos`` on PostgreSQL, none on SQLite."""
    return "dbos.workflow_status" if engine.dialect.name == "postgresql" else "workflow_status"


def dbos_figures(engine: Engine) -> tuple[list[QueueDepth], list[CountBy], int] | None:
    """Queue depth per queue, workflows by status and recovered workflows; None when the
    engine has never run on this database (no DBOS tables)."""
    table = workflow_table(engine)
    queued_in = ", ".join(f"'{status}'" for status in QUEUED_STATUSES)
    try:
        with engine.connect() as connection:
            by_status = connection.execute(text(
                f"SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status"  # noqa: S608
            )).all()
            queued = connection.execute(text(
                f"SELECT queue_name, status, COUNT(*) FROM {table} "  # noqa: S608
                f"WHERE queue_name IS NOT NULL AND status IN ({queued_in}) "
                "GROUP BY queue_name, status")).all()
            recovered = connection.execute(text(
                f"SELECT COUNT(*) FROM {table} WHERE recovery_attempts > 1")).scalar()  # noqa: S608
    except SQLAlchemyError:
        return None
    depth: dict[str, QueueDepth] = {}
    for queue, status, count in queued:
        row = depth.setdefault(str(queue), QueueDepth(queue=str(queue), waiting=0, running=0))
        if status == "PENDING":
            row.running += int(count)
        else:
            row.waiting += int(count)
    return ([depth[name] for name in sorted(depth)],
            [CountBy(key=str(status), count=int(count)) for status, count in by_status],
            int(recovered or 0))


def api_usage(session: Session, now: datetime) -> list[SystemUsage]:
    day, hour = now - timedelta(hours=24), now - timedelta(hours=1)
    calls: dict[str, list[datetime]] = defaultdict(list)
    for system, at in session.execute(select(TimelineEntry.system, TimelineEntry.occurred_at)
                                      .where(TimelineEntry.system.is_not(None),
                                             TimelineEntry.occurred_at >= day,
                                             TimelineEntry.occurred_at <= now)):
        calls[str(system)].append(at)
    usage = []
    for system in sorted(calls):
        connector = connector_for(system)
        limits = connector.limits if connector is not None else None
        recent = [at for at in calls[system] if at >= hour]
        per_second: dict[int, int] = defaultdict(int)
        for at in recent:
            per_second[int(at.timestamp())] += 1
        daily = limits.daily_requests if limits else None
        usage.append(SystemUsage(
            system=system, calls_last_hour=len(recent), calls_last_24h=len(calls[system]),
            busiest_second_last_hour=max(per_second.values(), default=0),
            requests_per_second_limit=limits.requests_per_second if limits else None,
            daily_limit=daily,
            daily_used_ratio=round(len(calls[system]) / daily, 6) if daily else None,
            max_concurrency=limits.max_concurrency if limits else None))
    return usage


def technical(session: Session, engine: Engine, now: datetime) -> TechnicalKpis:
    counts: StepCounts = step_counts(session, now - timedelta(hours=24), now)
    backlog_count = session.scalar(select(func.count()).select_from(InboxEntry).where(
        InboxEntry.status.in_(PENDING_INBOX))) or 0
    dbos = dbos_figures(engine)
    return TechnicalKpis(
        queue_depth=dbos[0] if dbos else None, workflows_by_status=dbos[1] if dbos else None,
        workflow_recoveries=dbos[2] if dbos else None, inbox_backlog=int(backlog_count),
        steps_last_24h=counts.steps, step_errors_last_24h=counts.failed,
        retries_last_24h=counts.retrying, error_rate_last_24h=counts.error_rate,
        api_usage=api_usage(session, now))


def history(session: Session, now: datetime, days: int = 14,
            records: dict[Key, Records] | None = None) -> list[DayPoint]:
    """The last ``days`` UTC days, oldest first, today included (for the console's charts):
    steps run and failed, and the invoices and payments that first reached the ERP."""
    first = (now - timedelta(days=days - 1)).date()
    points = {first + timedelta(days=n): DayPoint(day=first + timedelta(days=n), steps=0,
                                                  errors=0, invoices_posted=0,
                                                  payments_posted=0) for n in range(days)}
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    day = func.date(TimelineEntry.occurred_at)
    if session.get_bind().dialect.name == "postgresql":  # stored UTC; the session's zone may not be
        day = func.date(func.timezone("UTC", TimelineEntry.occurred_at))
    for on, outcome, count in session.execute(select(
            day, TimelineEntry.outcome, func.count()).where(
            TimelineEntry.occurred_at >= since, TimelineEntry.occurred_at <= now).group_by(
            day, TimelineEntry.outcome)):
        point = points.get(on if isinstance(on, date) else date.fromisoformat(str(on)))
        if point is None:
            continue
        point.steps += int(count)
        if outcome == StepOutcome.FAILED.value:
            point.errors += int(count)
    found = records if records is not None else load_records(session)
    for kind, milestone, attribute in ((INVOICE, Milestone.INVOICE_POSTED, "invoices_posted"),
                                       (PAYMENT, Milestone.PAYMENT_POSTED, "payments_posted")):
        for at in found[kind].reached_between(milestone, since, now).values():
            point = points.get(at.astimezone(UTC).date())
            if point is not None:
                setattr(point, attribute, getattr(point, attribute) + 1)
    return [points[day] for day in sorted(points)]


def report(session: Session, engine: Engine, now: datetime | None = None,
           window_days: int = 30) -> KpiReport:
    now = now or datetime.now(UTC)
    records = load_records(session)
    return KpiReport(**summary(session, now).model_dump(), computed_at=now,
                     window_days=window_days,
                     business=business(session, records, now, timedelta(days=window_days)),
                     technical=technical(session, engine, now),
                     history=history(session, now, records=records))


__all__ = ["INVOICE", "ORDER", "PAYMENT", "Backlog", "BusinessKpis", "DayPoint", "KpiReport",
           "Percentiles", "QueueDepth", "Records", "SystemUsage", "TechnicalKpis",
           "dbos_figures", "history", "load_records", "percentile", "report",
           "workflow_table"]
