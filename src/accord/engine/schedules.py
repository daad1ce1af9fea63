"""Schedules: recurring jobs that fire once per interval across every worker.

A :class:`Schedule` names a job - a plain function of the time it was due - and when it is
due (a cron expression with a seconds field, or :func:`every` for a fixed interval). The
launcher writes the schedules of a worker as DBOS schedules (:func:`apply`); DBOS's
scheduler, running in every process, enqueues each due firing under the workflow id
``sched-<name>-<due time>``, so however many workers notice the moment, the firing exists
once. Firings go to the ``accord-schedules`` queue, which only workers dequeue (a control
process, such as a CLI command, never runs a job).

A firing runs its job in one step, under the schedule's *lease*: a run that finds an
earlier run of the same schedule still holding the lease (a slow poll overlapping the next
interval) records ``skipped`` instead of running beside it. A worker killed mid-run leaves
its lease to expire after ``lease_seconds``. Every run writes a ``schedule_run`` row - due
time, worker, outcome, items handled, detail - which ``/readyz`` and the console read. A
job that fails :data:`FAILURES_BEFORE_EXCEPTION` times in a row opens one exception for
integration engineering (its repeats add occurrences); a job's own failure never fails the
firing, so the next interval simply runs again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from croniter import croniter
from dbos import DBOS, ScheduleInput
from sqlalchemy import Select, insert, select, update
from sqlalchemy.exc import IntegrityError

from accord.engine.context import current
from accord.engine.exception_queue import Problem, open_exception, resolve_recovered
from accord.engine.flow import FlowInput, start_flow
from accord.engine.queues import SCHEDULES_QUEUE
from accord.engine.tables import schedule_lease, schedule_run
from accord.errors import AccordError, PermanentError
from accord.store import Database
from accord.store.transient import retry_on_disconnect

WORKFLOW = "accord.schedule"
NAME_PREFIX = "accord:"
"""Every schedule accord writes to DBOS is named ``accord:<name>``; others are left alone."""
FAILURES_BEFORE_EXCEPTION = 3
log = logging.getLogger(__name__)


class ScheduleError(ValueError):
    """A schedule's timing is not valid; the message names the setting and the fix."""


class RunOutcome(StrEnum):
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class JobResult:
    """What a job did: how many items it handled (events stored, differences found, ...)
    and a line for people."""

    items: int = 0
    detail: str = ""


Job = Callable[[datetime], JobResult]


@dataclass(frozen=True)
class Schedule:
    """A recurring job. ``name`` is stable (it keys the firings, the lease and the runs).
    A schedule runs either ``job`` (a function, in one step under the lease) or ``flow``
    (started as a flow of its own, once per firing, under the id ``<name>:<due time>``)."""

    name: str
    cron: str
    description: str
    job: Job | None = None
    flow: Callable[[FlowInput], Any] | None = None
    system: str | None = None
    """The system the job talks to, if one: a repeatedly failing job's exception names it."""
    lease_seconds: float = 600.0
    """How long a run may hold the schedule; a worker that dies mid-run blocks the next
    runs at most this long (or until it starts again under its name)."""

    def interval(self) -> float:
        """Seconds between two firings (the first two after now)."""
        first = self.next_run(datetime.now(UTC))
        return (self.next_run(first) - first).total_seconds()

    def next_run(self, after: datetime) -> datetime:
        found: datetime = croniter(self.cron, after.astimezone(UTC),
                                   second_at_beginning=True).get_next(datetime)
        return found.astimezone(UTC)


def every(seconds: float, *, setting: str = "interval") -> str:
    """A six-field cron (seconds first) firing every ``seconds``: a divisor of a minute, a
    whole number of minutes dividing an hour, or of hours dividing a day."""
    whole = int(seconds)
    if whole != seconds or whole <= 0:
        raise ScheduleError(f"{setting}: {seconds!r} is not a whole, positive number of "
                            "seconds")
    if whole < 60 and 60 % whole == 0:
        return f"*/{whole} * * * * *"
    minutes, rest = divmod(whole, 60)
    if not rest and minutes < 60 and 60 % minutes == 0:
        return f"0 */{minutes} * * * *"
    hours, rest = divmod(whole, 3600)
    if not rest and hours <= 24 and 24 % hours == 0:
        return f"0 0 */{hours} * * *"
    raise ScheduleError(f"{setting}: {whole} s does not divide a minute, an hour or a day "
                        "evenly; choose e.g. 10, 15, 30, 60, 300 or 3600, or give a cron")


def check_cron(cron: str, *, setting: str = "cron") -> str:
    """``cron`` with five fields gets a seconds field of 0; invalid ones are refused."""
    fields = cron.split()
    if len(fields) == 5:
        cron = f"0 {cron}"
    if not croniter.is_valid(cron, second_at_beginning=True):
        raise ScheduleError(f"{setting}: {cron!r} is not a valid cron expression "
                            "(five fields, or six with seconds first)")
    return cron


# -- applying ---------------------------------------------------------------------------------
def apply(schedules: Sequence[Schedule]) -> None:
    """Write ``schedules`` as DBOS schedules (create or replace) and delete accord's
    schedules that are no longer configured. Call after the queues are registered."""
    wanted = {f"{NAME_PREFIX}{schedule.name}": schedule for schedule in schedules}
    entries: list[ScheduleInput] = [
        {"schedule_name": name, "workflow_fn": fire, "schedule": schedule.cron,
         "context": schedule.name, "queue_name": SCHEDULES_QUEUE}
        for name, schedule in wanted.items()]
    existing = {str(found["schedule_name"]): found
                for found in DBOS.list_schedules(schedule_name_prefix=NAME_PREFIX)}
    changed = [entry for entry in entries
               if entry["schedule_name"] not in existing
               or existing[entry["schedule_name"]]["schedule"] != entry["schedule"]]
    if changed:  # unchanged ones keep running: replacing would restart their timers
        DBOS.apply_schedules(changed)
    for name in existing.keys() - wanted.keys():
        DBOS.delete_schedule(name)


@DBOS.workflow(name=WORKFLOW)
def fire(scheduled_at: datetime, name: Any) -> None:
    """One firing of schedule ``name``, due at ``scheduled_at`` (its run row says how it
    went)."""
    schedule = current().schedules.get(str(name))
    if schedule is not None and schedule.flow is not None:
        due = scheduled_at.astimezone(UTC)
        handle = start_flow(schedule.flow, FlowInput(
            correlation_id=f"{schedule.name}:{due:%Y%m%dT%H%M%SZ}"),
            workflow_id=f"{schedule.name}:{due.isoformat()}")
        note_started(schedule.name, due.isoformat(), handle.get_workflow_id())
        return
    run_job(str(name), scheduled_at.isoformat())


@DBOS.step(name=f"{WORKFLOW}.started")
def note_started(name: str, scheduled_at: str, workflow_id: str) -> None:
    runtime = current()
    _record(runtime.database, name, datetime.fromisoformat(scheduled_at),
            runtime.options.executor_id, RunOutcome.OK, detail=f"started flow {workflow_id}")


@DBOS.step(name=f"{WORKFLOW}.run")
def run_job(name: str, scheduled_at: str) -> dict[str, Any]:
    runtime = current()
    due = datetime.fromisoformat(scheduled_at)
    database = runtime.database
    executor = runtime.options.executor_id
    _close_cut_short(database, name, due)
    schedule = runtime.schedules.get(name)
    if schedule is None:
        _record(database, name, due, executor, RunOutcome.SKIPPED,
                detail="not configured in this worker")
        return {"outcome": RunOutcome.SKIPPED.value}
    holder = f"{executor}:{uuid.uuid4().hex[:12]}"
    if not _take_lease(database, name, holder, runtime.options.clock(),
                       schedule.lease_seconds):
        _record(database, name, due, executor, RunOutcome.SKIPPED,
                detail="the previous run still holds the schedule")
        return {"outcome": RunOutcome.SKIPPED.value}
    run_id = _record(database, name, due, executor, RunOutcome.RUNNING)
    try:
        if schedule.job is None:
            raise PermanentError(f"schedule {name} has neither a job nor a flow")
        result = schedule.job(due)
    except Exception as exc:  # the next firing runs again; a streak opens an exception
        reason = exc.message if isinstance(exc, AccordError) else f"{type(exc).__name__}: {exc}"
        _finish(database, run_id, RunOutcome.FAILED, 0, reason)
        log.warning("schedule %s failed: %s", name, reason)
        _escalate(database, schedule, reason)
        return {"outcome": RunOutcome.FAILED.value, "detail": reason}
    finally:
        _release_lease(database, name, holder)
    _finish(database, run_id, RunOutcome.OK, result.items, result.detail)
    recovered(database, name)
    return {"outcome": RunOutcome.OK.value, "items": result.items, "detail": result.detail}


# -- the lease and the run rows ---------------------------------------------------------------
@retry_on_disconnect
def _take_lease(database: Database, name: str, holder: str, now: float,
                seconds: float) -> bool:
    with database.engine.begin() as connection:
        taken = connection.execute(update(schedule_lease).where(
            schedule_lease.c.schedule == name,
            (schedule_lease.c.expires_at.is_(None)) | (schedule_lease.c.expires_at < now)
        ).values(holder=holder, expires_at=now + seconds)).rowcount
        if taken:
            return True
        try:
            with connection.begin_nested():
                connection.execute(insert(schedule_lease).values(
                    schedule=name, holder=holder, expires_at=now + seconds))
        except IntegrityError:
            return False  # a live holder has it
        return True


@retry_on_disconnect
def release_leases_of(database: Database, executor: str) -> int:
    """Free the leases an earlier life of ``executor`` held (a worker starting again under
    its name knows its previous process is gone); returns how many."""
    with database.engine.begin() as connection:
        return int(connection.execute(update(schedule_lease).where(
            schedule_lease.c.holder.like(f"{executor}:%")
        ).values(holder=None, expires_at=None)).rowcount)


@retry_on_disconnect
def _close_cut_short(database: Database, name: str, due: datetime) -> None:
    """A firing run again after its worker died mid-run: its first run is marked failed."""
    with database.engine.begin() as connection:
        connection.execute(update(schedule_run).where(
            schedule_run.c.schedule == name, schedule_run.c.scheduled_at == due,
            schedule_run.c.outcome == RunOutcome.RUNNING.value
        ).values(outcome=RunOutcome.FAILED.value, finished_at=datetime.now(UTC),
                 detail="cut short: the worker running it stopped"))


@retry_on_disconnect
def _release_lease(database: Database, name: str, holder: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(update(schedule_lease).where(
            schedule_lease.c.schedule == name, schedule_lease.c.holder == holder
        ).values(holder=None, expires_at=None))


@retry_on_disconnect
def _record(database: Database, name: str, due: datetime, executor: str,
            outcome: RunOutcome, *, detail: str | None = None) -> int:
    now = datetime.now(UTC)
    with database.engine.begin() as connection:
        row_id = connection.execute(insert(schedule_run).values(
            schedule=name, scheduled_at=due, executor=executor, started_at=now,
            finished_at=None if outcome is RunOutcome.RUNNING else now,
            outcome=outcome.value, items=0, detail=detail
        ).returning(schedule_run.c.id)).scalar_one()
    return int(row_id)


@retry_on_disconnect
def _finish(database: Database, run_id: int, outcome: RunOutcome, items: int,
            detail: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(update(schedule_run).where(schedule_run.c.id == run_id).values(
            finished_at=datetime.now(UTC), outcome=outcome.value, items=items,
            detail=detail or None))


def _escalate(database: Database, schedule: Schedule, reason: str) -> None:
    """After a streak of failures, one exception about the schedule (repeats add to it)."""
    recent = [run.outcome for run in last_runs(database, schedule.name,
                                               FAILURES_BEFORE_EXCEPTION)]
    if len(recent) < FAILURES_BEFORE_EXCEPTION or any(
            outcome != RunOutcome.FAILED.value for outcome in recent):
        return
    error = PermanentError(f"schedule {schedule.name} failed {len(recent)} times in a row: "
                           f"{reason}", system=schedule.system)
    open_exception(database, current().options.routing, Problem(
        error=error.to_record(), correlation_id=streak_correlation(schedule.name),
        workflow_id=None, flow=WORKFLOW, step=schedule.name, system=schedule.system,
        entity="schedule", record_ref=schedule.name))


def streak_correlation(name: str) -> str:
    """The correlation id of a schedule's failure-streak exception."""
    return f"schedule:{name}"


def recovered(database: Database, name: str) -> list[int]:
    """A run of ``name`` succeeded: the exception its earlier failure streak opened (if
    any) is resolved, so the exception queue shows only what still fails."""
    return resolve_recovered(database, streak_correlation(name),
                             f"schedule {name} ran to its end again")


# -- reading ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RunView:
    schedule: str
    scheduled_at: datetime
    executor: str
    started_at: datetime
    finished_at: datetime | None
    outcome: str
    items: int
    detail: str | None


def last_runs(database: Database, name: str, count: int = 1) -> list[RunView]:
    """The newest ``count`` runs of schedule ``name``, newest first."""
    return _read(select(schedule_run).where(schedule_run.c.schedule == name)
                 .order_by(schedule_run.c.id.desc()).limit(count), database)


def runs(database: Database, name: str | None = None) -> list[RunView]:
    """Every run (of ``name``, or of all schedules), oldest first."""
    query = select(schedule_run).order_by(schedule_run.c.id)
    if name is not None:
        query = query.where(schedule_run.c.schedule == name)
    return _read(query, database)


def _read(query: Select[Any], database: Database) -> list[RunView]:
    with database.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [RunView(schedule=row.schedule, scheduled_at=_aware(row.scheduled_at),
                    executor=row.executor, started_at=_aware(row.started_at),
                    finished_at=_aware(row.finished_at) if row.finished_at else None,
                    outcome=row.outcome, items=row.items, detail=row.detail)
            for row in rows]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


__all__ = [
    "FAILURES_BEFORE_EXCEPTION",
    "NAME_PREFIX",
    "WORKFLOW",
    "Job",
    "JobResult",
    "RunOutcome",
    "RunView",
    "Schedule",
    "ScheduleError",
    "apply",
    "check_cron",
    "every",
    "fire",
    "last_runs",
    "recovered",
    "release_leases_of",
    "run_job",
    "runs",
    "streak_correlation",
]
