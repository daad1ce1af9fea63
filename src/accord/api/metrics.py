"""``/metrics`` figures computed from the database at scrape time.

With ``accord serve --no-workers`` and N ``accord worker`` processes the flows run in the
workers while Prometheus scrapes the API: a counter kept in a process's memory would show
only that process's share and reset on each restart. Every figure here is therefore read
from what the engine already writes - DBOS's workflow table, the timeline (one row per step
attempt), the inbox, the exception queue, the reconciliation runs, the notifications - and
the business figures come from the same code as ``/v1/kpis`` (:mod:`accord.api.kpis`). Any
process reports the same totals.

A scrape costs a few grouped queries plus the KPI report's record scan; the result is kept
for :data:`CACHE_SECONDS` so that several scrapers (or a fast scrape interval) do not repeat
it.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import case, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from accord.api import sla as _sla  # noqa: F401 - registers the SLA probe for notifications
from accord.api.configured_systems import connector_for
from accord.api.kpis import (
    Backlog,
    Percentiles,
    backlog,
    business,
    dbos_figures,
    load_records,
    workflow_table,
)
from accord.engine.exception_queue import ExceptionStatus
from accord.engine.inbox import PENDING_STATUSES
from accord.engine.timeline import Milestone
from accord.errors import RateLimited
from accord.flows.keys import Key
from accord.observability.catalog import AGE_BANDS, STEP_BUCKETS, M, info
from accord.store import Database
from accord.store.models import (
    ExceptionRecord,
    InboxEntry,
    Notification,
    ReconDifference,
    ReconRun,
    TimelineEntry,
)

CACHE_SECONDS = 5.0
FINISHED = ("SUCCESS",)
FAILED = ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "RETRIES_EXCEEDED")


def _counter(name: M) -> CounterMetricFamily:
    meta = info(name)
    return CounterMetricFamily(meta.name, meta.help, labels=list(meta.labels))


def _gauge(name: M, value: float | None = None) -> GaugeMetricFamily:
    meta = info(name)
    if value is not None:
        return GaugeMetricFamily(meta.name, meta.help, value=value)
    return GaugeMetricFamily(meta.name, meta.help, labels=list(meta.labels))


def flows(database: Database) -> Iterator[Metric]:
    started, finished, failed = (_counter(M.FLOWS_STARTED), _counter(M.FLOWS_FINISHED),
                                 _counter(M.FLOWS_FAILED))
    table = workflow_table(database.engine)
    try:
        with database.engine.connect() as connection:
            rows = connection.execute(text(
                f"SELECT name, status, COUNT(*) FROM {table} GROUP BY name, status"  # noqa: S608
            )).all()
    except SQLAlchemyError:  # the engine never ran on this database: no DBOS tables yet
        rows = []
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for name, status, count in rows:
        row = totals[str(name)]
        row[0] += int(count)
        row[1] += int(count) if status in FINISHED else 0
        row[2] += int(count) if status in FAILED else 0
    for name in sorted(totals):
        started.add_metric([name], totals[name][0])
        finished.add_metric([name], totals[name][1])
        failed.add_metric([name], totals[name][2])
    depth = _gauge(M.QUEUE_DEPTH)
    figures = dbos_figures(database.engine)
    for queue in figures[0] if figures else []:
        depth.add_metric([queue.queue, "waiting"], queue.waiting)
        depth.add_metric([queue.queue, "running"], queue.running)
    yield from (started, finished, failed, depth)


def steps(database: Database) -> Iterator[Metric]:
    meta = info(M.STEP_DURATION)
    histogram = HistogramMetricFamily(meta.name, meta.help, labels=list(meta.labels))
    calls, throttles, errors = (_counter(M.VENDOR_CALLS), _counter(M.VENDOR_THROTTLES),
                                _counter(M.VENDOR_ERRORS))
    latency = TimelineEntry.latency_ms
    bounds = [func.sum(case((latency <= bound * 1000, 1), else_=0)) for bound in STEP_BUCKETS]
    with database.session() as session:
        timed = session.execute(select(
            TimelineEntry.system, TimelineEntry.step, func.count(), func.sum(latency), *bounds
        ).where(latency.is_not(None)).group_by(TimelineEntry.system, TimelineEntry.step)
          .order_by(TimelineEntry.system, TimelineEntry.step)).all()
        outcomes = session.execute(select(
            TimelineEntry.system, TimelineEntry.error_code, func.count()
        ).where(TimelineEntry.system.is_not(None)).group_by(
            TimelineEntry.system, TimelineEntry.error_code)).all()
    for system, step, count, total_ms, *within in timed:
        buckets = [(str(bound), float(n or 0)) for bound, n in zip(STEP_BUCKETS, within,
                                                                  strict=True)]
        buckets.append(("+Inf", float(count)))
        histogram.add_metric([str(system or "none"), str(step)], buckets,
                             sum_value=float(total_ms or 0) / 1000)
    by_system: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for system, code, count in outcomes:
        if connector_for(str(system)) is None:  # accord's own steps (schedules): no vendor
            continue
        row = by_system[str(system)]
        row[0] += int(count)
        row[1] += int(count) if code == RateLimited.code else 0
        row[2] += int(count) if code is not None and code != RateLimited.code else 0
    for system in sorted(by_system):
        calls.add_metric([system], by_system[system][0])
        throttles.add_metric([system], by_system[system][1])
        errors.add_metric([system], by_system[system][2])
    yield from (histogram, calls, throttles, errors)


def _age(now: datetime, at: datetime | None) -> float:
    return max(0.0, (now - at).total_seconds()) if at is not None else 0.0


def queue_and_exceptions(database: Database, now: datetime) -> Iterator[Metric]:
    with database.session() as session:
        backlog, oldest = session.execute(select(func.count(), func.min(
            InboxEntry.received_at)).where(InboxEntry.status.in_(PENDING_STATUSES))).one()
        open_rows = session.execute(select(ExceptionRecord.owner, ExceptionRecord.created_at)
                                    .where(ExceptionRecord.status ==
                                           ExceptionStatus.OPEN.value)).all()
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=UTC)
    yield _gauge(M.INBOX_BACKLOG, float(backlog or 0))
    yield _gauge(M.INBOX_OLDEST, _age(now, oldest))
    bands: dict[tuple[str, str], int] = defaultdict(int)
    eldest: dict[str, float] = {}
    for owner, created in open_rows:
        age = _age(now, created)
        band = next(name for name, bound in AGE_BANDS if age < bound)
        bands[(str(owner), band)] += 1
        eldest[str(owner)] = max(eldest.get(str(owner), 0.0), age)
    opened, aged = _gauge(M.EXCEPTIONS_OPEN), _gauge(M.EXCEPTIONS_OLDEST)
    for owner in sorted(eldest):
        for band, _bound in AGE_BANDS:
            opened.add_metric([owner, band], bands.get((owner, band), 0))
        aged.add_metric([owner], eldest[owner])
    yield from (opened, aged)


def reconciliation(database: Database) -> Iterator[Metric]:
    differences = _gauge(M.RECON_DIFFERENCES)
    with database.session() as session:
        latest = session.execute(select(ReconRun.id, ReconRun.finished_at).where(
            ReconRun.status == "finished").order_by(ReconRun.id.desc()).limit(1)).first()
        kinds = session.execute(select(ReconDifference.kind, func.count()).where(
            ReconDifference.run_id == latest[0]).group_by(ReconDifference.kind).order_by(
            ReconDifference.kind)).all() if latest else []
    for kind, count in kinds:
        differences.add_metric([str(kind)], int(count))
    yield differences
    if latest is not None and latest[1] is not None:
        yield _gauge(M.RECON_LAST_RUN, latest[1].timestamp())


def _quantiles(name: M, figures: Percentiles) -> Metric:
    gauge = _gauge(name)
    for quantile, value in (("0.5", figures.p50_seconds), ("0.95", figures.p95_seconds)):
        if value is not None:
            gauge.add_metric([quantile], value)
    return gauge


def _waiting(count: M, oldest: M, found: Backlog) -> Iterator[Metric]:
    yield _gauge(count, float(found.count))
    yield _gauge(oldest, float(found.oldest_seconds or 0.0))


def business_kpis(database: Database, now: datetime) -> Iterator[Metric]:
    """The business KPIs of ``/v1/kpis`` (:func:`accord.api.kpis.business`) over 24 h."""
    with database.session() as session:
        records = load_records(session)
        figures = business(session, records, now, timedelta(days=1))
    payments = records[Key.PAYMENT_ID]
    not_in_crm = backlog(payments.waiting(Milestone.CRM_UPDATED,
                                          after=Milestone.PAYMENT_POSTED), now)
    yield _quantiles(M.INVOICE_LATENCY, figures.invoice_posting_latency)
    yield _quantiles(M.PAYMENT_LAG, figures.payment_update_lag)
    yield from _waiting(M.ORDERS_PENDING, M.ORDERS_PENDING_OLDEST,
                        figures.orders_pending_activation)
    yield from _waiting(M.INVOICES_NOT_IN_ERP, M.INVOICES_NOT_IN_ERP_OLDEST,
                        figures.invoices_not_posted)
    yield from _waiting(M.PAYMENTS_NOT_IN_ERP, M.PAYMENTS_NOT_IN_ERP_OLDEST,
                        figures.payments_not_posted)
    yield from _waiting(M.PAYMENTS_NOT_IN_CRM, M.PAYMENTS_NOT_IN_CRM_OLDEST, not_in_crm)


def notifications(database: Database) -> Iterator[Metric]:
    sent = _counter(M.NOTIFICATIONS)
    with database.session() as session:
        rows = session.execute(select(
            Notification.owner, Notification.channel, Notification.reason,
            Notification.status, func.count()).group_by(
            Notification.owner, Notification.channel, Notification.reason,
            Notification.status)).all()
    for owner, channel, reason, status, count in rows:
        sent.add_metric([str(owner), str(channel), str(reason), str(status)], int(count))
    yield sent


class DatabaseCollector(Collector):
    """The database-backed metrics of one accord database (cached briefly)."""

    def __init__(self, database: Database, cache_seconds: float = CACHE_SECONDS) -> None:
        self.database = database
        self.cache_seconds = cache_seconds
        self._cached: tuple[float, list[Metric]] | None = None
        self._lock = threading.Lock()

    def compute(self, now: datetime | None = None) -> list[Metric]:
        at = now or datetime.now(UTC)
        found: list[Metric] = []
        for part in (flows(self.database), steps(self.database),
                     queue_and_exceptions(self.database, at), reconciliation(self.database),
                     business_kpis(self.database, at), notifications(self.database)):
            found.extend(part)
        return found

    def collect(self) -> Iterable[Metric]:
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > self.cache_seconds:
                self._cached = (time.monotonic(), self.compute())
            return list(self._cached[1])


__all__ = ["CACHE_SECONDS", "DatabaseCollector"]
