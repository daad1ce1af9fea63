"""The recurring jobs of a deployment, from the connectors' declared polls and settings.

* ``poll.<system>.<stream>``: every change stream a configured system's connector declares
  (Salesforce deals and accounts, NetSuite customers, the Stripe events fallback). The job
  reads the stream's durable cursor, stores each change in the inbox (a duplicate is a
  no-op) and advances the cursor only past what it stored; the workers' inbox pump starts
  the flows. A worker killed mid-poll has advanced the cursor no further than what is
  stored, so the next firing, on any worker, reads the rest.
* ``reconcile``: the nightly reconciliation of the configured systems, for the month of
  the firing (exceptions for every difference, as ``accord reconcile`` opens them).
* ``revenue.recognize``: at month end (23:30 UTC on a month's last day), the month's revenue
  recognition journals (``accord revenue recognize``; a re-run posts nothing new).
* ``products.sync``: the product master sync (the ERP's items and list prices published to
  billing and the CRM), hourly.
* ``exceptions.retry``: re-runs flows whose exception was only a system being away too long
  (retries exhausted on a transient error or a rate limit), a few times, spaced out.

Each can be tuned or turned off in ``accord.toml``::

    [schedules."poll.salesforce.opportunity"]
    every = 15              # seconds; or cron = "*/15 * * * * *"

    [schedules.reconcile]
    cron = "0 2 * * *"      # 02:00 UTC every night
    heal = false

    [schedules."exceptions.retry"]
    enabled = false
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import partial
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select

from accord.canonical.period import Period, period_of
from accord.connectors.base import ChangePoller
from accord.connectors.registry import connector_for
from accord.engine.context import current
from accord.engine.dispatch import store
from accord.engine.exception_queue import ExceptionStatus, retry_exception
from accord.engine.flow import CallStats, gated_call
from accord.engine.polling import read_cursor, start_cursor, storable, write_cursor
from accord.engine.schedules import JobResult, Schedule, ScheduleError, check_cron, every
from accord.errors import AccordError
from accord.flows.product_sync import product_master_sync
from accord.flows.systems import Systems
from accord.notify import notification_settings, notify
from accord.observability.settings import observability_settings
from accord.observability.slas import slas_of
from accord.observability.spanstore import prune
from accord.reconcile.heal import HEALERS
from accord.reconcile.service import adapter_readers, reconcile, summary_line
from accord.revenue.recognition import is_month_end, recognize
from accord.store import Database
from accord.store.models import AuditLog, ExceptionRecord

log = logging.getLogger(__name__)
RECONCILE = "reconcile"
RETRY_SWEEP = "exceptions.retry"
PRODUCTS_SYNC = "products.sync"
REVENUE = "revenue.recognize"
RETRY_ACTOR = "engine:retry-sweep"
NOTIFY = "notify.owners"
PRUNE_TRACES = "traces.prune"
POLL_PAGE = 100


class Start(StrEnum):
    """Where a stream accord never polled starts."""

    NOW = "now"
    """after every change the system holds when accord first reaches it"""
    BEGINNING = "beginning"
    """from the oldest change the system still has (a backfill)"""


class ScheduleSetting(BaseModel):
    """One ``[schedules.<name>]`` table."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    every: int | None = Field(default=None, gt=0, description="seconds between firings")
    cron: str | None = Field(default=None, description="cron, five fields or six with seconds")
    heal: bool = Field(default=False, description="reconcile only: re-drive what is missing")
    systems: list[str] | None = Field(default=None, description="reconcile only: the systems "
                                      "to compare (default: every configured one)")
    cooldown_seconds: int = Field(default=900, gt=0, description="exceptions.retry only")
    max_retries: int = Field(default=5, ge=1, description="exceptions.retry only")
    start: Start = Field(default=Start.NOW, description="polls only: where a stream accord "
                         "never polled starts: now, or the beginning (a backfill)")
    lease_seconds: float | None = Field(default=None, gt=0, description="how long one run may "
                                        "hold the schedule (default: three intervals, at "
                                        "least a minute, for polls)")


def _settings(config: Mapping[str, Any]) -> dict[str, ScheduleSetting]:
    tables = config.get("schedules", {})
    if not isinstance(tables, Mapping):
        raise ScheduleError("schedules: must be a table of [schedules.<name>] tables")
    found: dict[str, ScheduleSetting] = {}
    for name, values in tables.items():
        try:
            found[str(name)] = ScheduleSetting.model_validate(values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise ScheduleError(f"schedules.{name}.{where}: {problem['msg']}") from None
    return found


def _cron(name: str, setting: ScheduleSetting | None, default: str) -> str:
    if setting is None:
        return default
    if setting.cron:
        return check_cron(setting.cron, setting=f"schedules.{name}.cron")
    if setting.every:
        return every(setting.every, setting=f"schedules.{name}.every")
    return default


# -- polls ------------------------------------------------------------------------------------
def begin_stream(database: Database, system: str, stream: str, poller: ChangePoller,
                 start: Start) -> bool:
    """Fix where a never-polled stream starts; False when it had started already."""
    if read_cursor(database, system, stream) is not None:
        return False
    first = poller.initial_cursor() if start is Start.NOW else None
    return start_cursor(database, system, stream, first)


def begin_streams(database: Database, schedules: Iterable[Schedule]) -> list[str]:
    """At a worker's start: fix the start of every poll's stream not polled yet, so changes
    made from now on are read even before the first firing. A system that does not answer
    is left to its first firing. Returns the streams started."""
    started = []
    for schedule in schedules:
        if not isinstance(schedule.job, PollJob):
            continue
        job = schedule.job
        try:
            if begin_stream(database, job.system, job.stream, job.poller, job.start):
                started.append(schedule.name)
        except AccordError as exc:
            log.warning("%s: where to start is fixed at its first poll (%s)", schedule.name,
                        exc.message)
    return started


@dataclass(frozen=True)
class PollJob:
    """The job of a ``poll.<system>.<stream>`` schedule."""

    system: str
    stream: str
    poller: ChangePoller
    start: Start = Start.NOW

    def __call__(self, _due: datetime) -> JobResult:
        return poll_into_inbox(self.system, self.stream, self.poller, self.start)


def poll_into_inbox(system: str, stream: str, poller: ChangePoller,
                    start: Start = Start.NOW) -> JobResult:
    """Drain ``poller`` from the stream's cursor: store each change, then advance the cursor
    past what was stored. A stream never polled starts where ``start`` says."""
    database = current().database
    if begin_stream(database, system, stream, poller, start):
        return JobResult(detail=f"stream started ({start.value}); changes from here on")
    position = read_cursor(database, system, stream) or None
    stored = duplicates = 0
    stats = CallStats()
    while True:
        # through the system's limits, as a flow's calls go: a poll shares the system's
        # concurrency and rate with every flow of every worker
        batch = gated_call(system, stats, partial(poller.poll, position, POLL_PAGE))
        for event in batch.events:
            _, duplicate = store(database, storable(event))
            duplicates += int(duplicate)
            stored += int(not duplicate)
        if not batch.events or batch.cursor is None or batch.cursor == position:
            break
        position = batch.cursor
        write_cursor(database, system, stream, position)
    detail = f"{stored} new changes" + (f", {duplicates} already known" if duplicates else "")
    return JobResult(items=stored, detail=detail)


def _poll_schedules(systems: Systems, settings: Mapping[str, ScheduleSetting]
                    ) -> list[Schedule]:
    schedules: list[Schedule] = []
    seen: set[int] = set()
    for system, adapter in sorted(systems.adapters().items()):
        definition = connector_for(system)
        if definition is None or id(adapter) in seen:
            continue  # ERP instances sharing one account are polled once
        seen.add(id(adapter))
        for spec in definition.polls:
            name = f"poll.{system}.{spec.stream}"
            setting = settings.get(name)
            if setting is not None and not setting.enabled:
                continue
            job = PollJob(system, spec.stream, spec.poller(adapter),
                          setting.start if setting else Start.NOW)

            cron = _cron(name, setting, every(spec.every_seconds))
            schedule = Schedule(name=name, cron=cron, job=job,
                                description=f"{system}: {spec.description}", system=system)
            lease = setting.lease_seconds if setting and setting.lease_seconds else \
                max(60.0, 3 * schedule.interval())
            schedules.append(dataclasses.replace(schedule, lease_seconds=lease))
    return schedules


# -- reconciliation ---------------------------------------------------------------------------
def _reconcile_schedule(systems: Systems, setting: ScheduleSetting | None) -> Schedule | None:
    if setting is not None and not setting.enabled:
        return None
    heal = bool(setting and setting.heal)
    chosen = list(setting.systems) if setting and setting.systems else None

    def job(due: datetime) -> JobResult:
        runtime = current()
        period = Period.parse(period_of(due.date()))
        readers = adapter_readers(runtime.database, systems.adapters(), period=period,
                                  wanted=chosen)
        if len(readers) < 2:
            return JobResult(detail="fewer than two roles configured: nothing to compare")
        outcome = reconcile(runtime.database, runtime.options.routing, readers,
                            period=period, healers=HEALERS if heal else None)
        return JobResult(items=len(outcome.report.differences), detail=summary_line(outcome))

    return Schedule(name=RECONCILE, cron=_cron(RECONCILE, setting, "0 0 2 * * *"), job=job,
                    description="reconcile the configured systems for the current month",
                    lease_seconds=6 * 3600.0)


# -- revenue recognition at month end ---------------------------------------------------------
def recognize_month_end(systems: Systems, due: datetime) -> JobResult:
    """The month's recognition when ``due`` falls on its last day; otherwise nothing."""
    day = due.astimezone(UTC).date()
    if not is_month_end(day):
        return JobResult(detail=f"{day.isoformat()} is not a month end")
    run = recognize(current().database, systems, period_of(day), as_of=day)
    return JobResult(items=len(run.posted),
                     detail=f"{len(run.posted)} recognition journals posted for {run.period}")


def _revenue_schedule(systems: Systems, setting: ScheduleSetting | None) -> Schedule | None:
    if setting is not None and not setting.enabled:
        return None
    return Schedule(name=REVENUE, cron=_cron(REVENUE, setting, "0 30 23 * * *"),
                    job=partial(recognize_month_end, systems),
                    description="recognize the month's revenue into the ERP on its last day")


# -- retrying what only waited on a system ----------------------------------------------------
AUTOMATIC_KINDS = ("retries_exhausted", "transient", "rate_limited")
"""Exception kinds that mean 'a system was away longer than the step's retry budget': their
data is fine, so trying again later is what a person would do first."""


def retry_waiting(cooldown: timedelta, max_retries: int) -> JobResult:
    """Retry each open exception of :data:`AUTOMATIC_KINDS` untouched for ``cooldown``, up
    to ``max_retries`` times (counted in the audit log); others wait for a person."""
    runtime = current()
    database = runtime.database
    cutoff = datetime.now(UTC) - cooldown
    with database.session() as session:
        candidates = list(session.scalars(select(ExceptionRecord.id).where(
            ExceptionRecord.status == ExceptionStatus.OPEN.value,
            ExceptionRecord.kind.in_(AUTOMATIC_KINDS),
            ExceptionRecord.workflow_id.is_not(None),
            ExceptionRecord.updated_at < cutoff).order_by(ExceptionRecord.id)))
        tried = dict(session.execute(select(AuditLog.target_id, func.count()).where(
            AuditLog.action == "exception.retry", AuditLog.actor == RETRY_ACTOR,
            AuditLog.target_id.in_([str(i) for i in candidates])
        ).group_by(AuditLog.target_id)).tuples().all())
    retried = 0
    for exception_id in candidates:
        if tried.get(str(exception_id), 0) >= max_retries:
            continue
        retry_exception(database, exception_id, actor=RETRY_ACTOR,
                        note="retried automatically: the system it waited for was away")
        retried += 1
    return JobResult(items=retried, detail=f"{retried} flows retried")


def _retry_schedule(setting: ScheduleSetting | None) -> Schedule | None:
    if setting is not None and not setting.enabled:
        return None
    cooldown = timedelta(seconds=setting.cooldown_seconds if setting else 900)
    limit = setting.max_retries if setting else 5

    def job(_due: datetime) -> JobResult:
        return retry_waiting(cooldown, limit)

    return Schedule(name=RETRY_SWEEP, cron=_cron(RETRY_SWEEP, setting, every(300)), job=job,
                    description="retry flows stopped only by a system being away")


# -- the product catalog ----------------------------------------------------------------------
def _products_schedule(setting: ScheduleSetting | None) -> Schedule | None:
    if setting is not None and not setting.enabled:
        return None
    return Schedule(name=PRODUCTS_SYNC, cron=_cron(PRODUCTS_SYNC, setting, "0 0 * * * *"),
                    flow=product_master_sync,
                    description="publish the ERP's products and list prices to billing and "
                                "the CRM")


# -- telling the owners -----------------------------------------------------------------------
def _notify_schedule(config: Mapping[str, Any], setting: ScheduleSetting | None
                     ) -> Schedule | None:
    """The owners' notifications (:mod:`accord.notify`), when ``[notifications]`` names
    any owner."""
    found = notification_settings(config)
    if not found.configured or (setting is not None and not setting.enabled):
        return None
    slas = slas_of(config)

    def job(_due: datetime) -> JobResult:
        result = notify(current().database, found, slas, datetime.now(UTC))
        return JobResult(items=result.sent,
                         detail=f"{result.sent} sent, {result.failed} failed")

    return Schedule(name=NOTIFY, cron=_cron(NOTIFY, setting, every(found.every_seconds)),
                    job=job, description="tell owners about their exceptions and SLA "
                                         "breaches")


def _prune_schedule(config: Mapping[str, Any], setting: ScheduleSetting | None
                    ) -> Schedule | None:
    """Daily: spans older than ``[observability] trace_retention_days`` leave the local
    trace store."""
    found = observability_settings(config)
    if not found.local_traces or (setting is not None and not setting.enabled):
        return None
    keep = timedelta(days=found.trace_retention_days)

    def job(_due: datetime) -> JobResult:
        removed = prune(current().database, keep)
        return JobResult(items=removed, detail=f"{removed} spans older than "
                                               f"{found.trace_retention_days} days removed")

    return Schedule(name=PRUNE_TRACES, cron=_cron(PRUNE_TRACES, setting, "0 30 3 * * *"),
                    job=job, description="remove spans past their retention from the local "
                                         "trace store")


# -- all of them ------------------------------------------------------------------------------
def possible_names(system_names: Iterable[str]) -> set[str]:
    """Every schedule name a configuration may tune, configured systems or not."""
    names = {RECONCILE, RETRY_SWEEP, PRODUCTS_SYNC, NOTIFY, PRUNE_TRACES, REVENUE}
    for system in system_names:
        definition = connector_for(system)
        if definition is not None:
            names |= {f"poll.{system}.{spec.stream}" for spec in definition.polls}
    return names


def build_schedules(config: Mapping[str, Any], systems: Systems,
                    system_names: Iterable[str]) -> tuple[Schedule, ...]:
    """The schedules a worker runs. Raises :class:`ScheduleError` naming a bad setting."""
    settings = _settings(config)
    polls = _poll_schedules(systems, settings)
    known = possible_names(system_names)
    unknown = sorted(set(settings) - known)
    if unknown:
        raise ScheduleError(f"schedules.{unknown[0]}: no such schedule (known: "
                            f"{', '.join(sorted(known))})")
    found = [*polls, _products_schedule(settings.get(PRODUCTS_SYNC)),
             _reconcile_schedule(systems, settings.get(RECONCILE)),
             _revenue_schedule(systems, settings.get(REVENUE)),
             _retry_schedule(settings.get(RETRY_SWEEP)),
             _notify_schedule(config, settings.get(NOTIFY)),
             _prune_schedule(config, settings.get(PRUNE_TRACES))]
    return tuple(schedule for schedule in found if schedule is not None)


__all__ = ["AUTOMATIC_KINDS", "NOTIFY", "PRODUCTS_SYNC", "PRUNE_TRACES", "RECONCILE",
           "RETRY_ACTOR", "RETRY_SWEEP", "REVENUE",
           "PollJob", "ScheduleSetting", "Start", "begin_stream", "begin_streams",
           "build_schedules", "poll_into_inbox", "possible_names", "retry_waiting"]
