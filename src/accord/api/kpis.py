"""Business and technical KPIs, computed from the store, the timeline and DBOS's tables.

Flows mark their progress on the timeline; the KPIs read these conventions (see
``docs/operations.md``, "KPIs"):

* a trace (correlation id) is an *order* when it has an ``opportunity_id`` business key, an
  *invoice* when it has an ``invoice_number`` key, a *payment* when it has a ``payment_id`` key;
* a trace *starts* at the earlier of its first timeline step and, for traces started by an
  inbound event (correlation id ``<system>:<event id>``), the event's ``occurred_at``;
* milestones are timeline steps with outcome ``ok`` whose ``step`` or ``action`` is
  ``activate_subscription`` (order activated), ``post_invoice`` (invoice posted to the ERP)
  or ``post_payment`` (payment applied in the ERP); a payment is *reflected in the CRM* once
  any ``ok`` step of its trace ran against a CRM system.

Percentiles use the nearest-rank method over the milestones reached in the window.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar

from pydantic import BaseModel
from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from accord.api.queries import kpis as summary
from accord.api.schemas import CountBy, Kpis
from accord.api.systems import connector_for
from accord.connectors.base import ConnectorKind
from accord.engine.inbox import PENDING_STATUSES
from accord.store.models import BusinessKey, ExceptionRecord, InboxEntry, TimelineEntry, Xref

ORDER_KEY = "opportunity_id"
INVOICE_KEY = "invoice_number"
PAYMENT_KEY = "payment_id"
ACTIVATED = "activate_subscription"
INVOICE_POSTED = "post_invoice"
PAYMENT_POSTED = "post_payment"
MILESTONES = (ACTIVATED, INVOICE_POSTED, PAYMENT_POSTED)
PENDING_INBOX = PENDING_STATUSES
QUEUED_STATUSES = ("ENQUEUED", "PENDING", "DELAYED")
K = TypeVar("K")


class Percentiles(BaseModel):
    """Durations in seconds over ``count`` items."""

    count: int
    p50_seconds: float | None
    p95_seconds: float | None


class Backlog(BaseModel):
    """Items still waiting, with the age (seconds since their trace started) of the oldest."""

    count: int
    oldest_seconds: float | None
    older_than_1h: int
    older_than_24h: int


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
    orders_pending_activation: Backlog
    invoices_not_posted: Backlog
    invoice_posting_latency: Percentiles
    payment_update_lag: Percentiles
    payments_not_in_crm: Backlog
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
    """One UTC day of the timeline: steps run, steps failed, invoices and payments posted."""

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


def backlog(starts: Iterable[datetime], now: datetime) -> Backlog:
    ages = [(now - start).total_seconds() for start in starts]
    return Backlog(count=len(ages), oldest_seconds=max(ages) if ages else None,
                   older_than_1h=sum(age > 3600 for age in ages),
                   older_than_24h=sum(age > 86400 for age in ages))


@dataclass
class Traces:
    """What the KPIs need of each trace: kinds, start, milestone times, CRM steps."""

    kinds: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    starts: dict[str, datetime] = field(default_factory=dict)
    reached: dict[tuple[str, str], datetime] = field(default_factory=dict)
    crm_at: dict[str, datetime] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[str]:
        return sorted(cid for cid, kinds in self.kinds.items() if kind in kinds)


def _earlier(found: dict[K, datetime], key: K, at: datetime) -> None:
    if key not in found or at < found[key]:
        found[key] = at


def load_traces(session: Session) -> Traces:
    traces = Traces()
    for cid, kind in session.execute(select(BusinessKey.correlation_id, BusinessKey.kind).where(
            BusinessKey.kind.in_((ORDER_KEY, INVOICE_KEY, PAYMENT_KEY)))):
        traces.kinds[cid].add(kind)
    ids = list(traces.kinds)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        for cid, first in session.execute(select(
                TimelineEntry.correlation_id, func.min(TimelineEntry.occurred_at)).where(
                TimelineEntry.correlation_id.in_(chunk)).group_by(TimelineEntry.correlation_id)):
            _earlier(traces.starts, cid, first)
        by_event = {tuple(cid.split(":", 1)): cid for cid in chunk if ":" in cid}
        events = {event_id for _system, event_id in by_event}
        if events:
            for system, event_id, occurred in session.execute(select(
                    InboxEntry.system, InboxEntry.external_event_id, InboxEntry.occurred_at
            ).where(InboxEntry.external_event_id.in_(events))):
                started = by_event.get((system, event_id))
                if started is not None and occurred is not None:
                    _earlier(traces.starts, started, occurred)
        for cid, step, action, ran_on, at in session.execute(select(
                TimelineEntry.correlation_id, TimelineEntry.step, TimelineEntry.action,
                TimelineEntry.system, TimelineEntry.occurred_at).where(
                TimelineEntry.correlation_id.in_(chunk), TimelineEntry.outcome == "ok")):
            for milestone in MILESTONES:
                if milestone in (step, action):
                    _earlier(traces.reached, (cid, milestone), at)
            if ran_on and (connector := connector_for(ran_on)) is not None and \
                    connector.kind is ConnectorKind.CRM:
                _earlier(traces.crm_at, cid, at)
    return traces


# -- business --------------------------------------------------------------------------------
def _pending(traces: Traces, kind: str, milestone: str, now: datetime) -> Backlog:
    return backlog((traces.starts[cid] for cid in traces.of_kind(kind)
                    if (cid, milestone) not in traces.reached and cid in traces.starts), now)


def _latencies(traces: Traces, kind: str, milestone: str, since: datetime) -> list[float]:
    values = []
    for cid in traces.of_kind(kind):
        reached = traces.reached.get((cid, milestone))
        if reached is not None and reached >= since and cid in traces.starts:
            values.append(max(0.0, (reached - traces.starts[cid]).total_seconds()))
    return values


def _role_of(system: str) -> ConnectorKind | None:
    connector = connector_for(system)
    return connector.kind if connector is not None else None


def customers_missing_links(session: Session) -> list[CountBy]:
    """Per role (crm, billing, erp): customers linked somewhere but not to any system of
    that role."""
    roles: dict[str, set[ConnectorKind]] = defaultdict(set)
    for canonical_id, system in session.execute(select(Xref.canonical_id, Xref.system).where(
            Xref.entity_type == "customer")):
        kind = _role_of(system)
        roles[canonical_id].update({kind} if kind else set())
    return [CountBy(key=kind.value, count=sum(kind not in linked for linked in roles.values()))
            for kind in ConnectorKind]


def business(session: Session, now: datetime, window: timedelta) -> BusinessKpis:
    traces = load_traces(session)
    since = now - window
    open_quality = (ExceptionRecord.status == "open", ExceptionRecord.kind == "data_quality")
    blocked = [CountBy(key=str(entity or "unknown"), count=int(count))
               for entity, count in session.execute(select(
                   ExceptionRecord.entity_type, func.count()).where(*open_quality).group_by(
                   ExceptionRecord.entity_type).order_by(ExceptionRecord.entity_type))]
    unmatched = session.scalar(select(func.count()).select_from(ExceptionRecord).where(
        *open_quality, or_(ExceptionRecord.reason.like("probable duplicate%"),
                           ExceptionRecord.reason.like("%probable duplicate of%")))) or 0
    payments = traces.of_kind(PAYMENT_KEY)
    return BusinessKpis(
        orders_pending_activation=_pending(traces, ORDER_KEY, ACTIVATED, now),
        invoices_not_posted=_pending(traces, INVOICE_KEY, INVOICE_POSTED, now),
        invoice_posting_latency=percentiles(_latencies(traces, INVOICE_KEY, INVOICE_POSTED,
                                                       since)),
        payment_update_lag=percentiles(_latencies(traces, PAYMENT_KEY, PAYMENT_POSTED, since)),
        payments_not_in_crm=backlog((traces.starts[cid] for cid in payments
                                     if cid not in traces.crm_at and cid in traces.starts),
                                    now),
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
    since = now - timedelta(hours=24)
    recent = (TimelineEntry.occurred_at >= since, TimelineEntry.occurred_at <= now)

    def count(*where: object) -> int:
        return int(session.scalar(select(func.count()).select_from(TimelineEntry).where(
            *recent, *where)) or 0)  # type: ignore[arg-type]

    steps, errors = count(), count(TimelineEntry.outcome != "ok")
    backlog_count = session.scalar(select(func.count()).select_from(InboxEntry).where(
        InboxEntry.status.in_(PENDING_INBOX))) or 0
    dbos = dbos_figures(engine)
    return TechnicalKpis(
        queue_depth=dbos[0] if dbos else None, workflows_by_status=dbos[1] if dbos else None,
        workflow_recoveries=dbos[2] if dbos else None, inbox_backlog=int(backlog_count),
        steps_last_24h=steps, step_errors_last_24h=errors,
        retries_last_24h=count(TimelineEntry.attempt > 1),
        error_rate_last_24h=round(errors / steps, 4) if steps else 0.0,
        api_usage=api_usage(session, now))


def history(session: Session, now: datetime, days: int = 14) -> list[DayPoint]:
    """The last ``days`` UTC days, oldest first, today included (for the console's charts)."""
    first = (now - timedelta(days=days - 1)).date()
    points = {first + timedelta(days=n): DayPoint(day=first + timedelta(days=n), steps=0,
                                                  errors=0, invoices_posted=0,
                                                  payments_posted=0) for n in range(days)}
    since = datetime(first.year, first.month, first.day, tzinfo=UTC)
    for at, step, action, outcome in session.execute(select(
            TimelineEntry.occurred_at, TimelineEntry.step, TimelineEntry.action,
            TimelineEntry.outcome).where(TimelineEntry.occurred_at >= since,
                                         TimelineEntry.occurred_at <= now)):
        point = points.get(at.astimezone(UTC).date())
        if point is None:
            continue
        point.steps += 1
        if outcome != "ok":
            point.errors += 1
        elif INVOICE_POSTED in (step, action):
            point.invoices_posted += 1
        elif PAYMENT_POSTED in (step, action):
            point.payments_posted += 1
    return [points[day] for day in sorted(points)]


def report(session: Session, engine: Engine, now: datetime | None = None,
           window_days: int = 30) -> KpiReport:
    now = now or datetime.now(UTC)
    return KpiReport(**summary(session, now).model_dump(), computed_at=now,
                     window_days=window_days,
                     business=business(session, now, timedelta(days=window_days)),
                     technical=technical(session, engine, now),
                     history=history(session, now))


__all__ = ["ACTIVATED", "INVOICE_KEY", "INVOICE_POSTED", "ORDER_KEY", "PAYMENT_KEY",
           "PAYMENT_POSTED", "Backlog", "BusinessKpis", "DayPoint", "KpiReport", "Percentiles",
           "QueueDepth", "SystemUsage", "TechnicalKpis", "dbos_figures", "history", "percentile",
           "report", "workflow_table"]
