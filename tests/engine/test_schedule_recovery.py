"""A schedule's failure-streak exception is resolved when the schedule runs to its end
again, so the exception queue shows only what still fails."""

from __future__ import annotations

from accord.engine.exception_queue import ExceptionStatus, Problem, get_exception, open_exception
from accord.engine.owners import OwnerRules
from accord.engine.schedules import WORKFLOW, recovered, streak_correlation
from accord.errors import PermanentError
from accord.store import Database, upgrade


def streak(database: Database, name: str) -> int:
    error = PermanentError(f"schedule {name} failed 3 times in a row: down", system="crm")
    return open_exception(database, OwnerRules(), Problem(
        error=error.to_record(), correlation_id=streak_correlation(name), workflow_id=None,
        flow=WORKFLOW, step=name, system="crm", entity="schedule", record_ref=name))


def test_a_success_resolves_the_streak_exception_of_its_schedule_only(sqlite_url: str) -> None:
    database = Database(sqlite_url)
    try:
        upgrade(database.engine)
        polls = streak(database, "poll.crm.deals")
        other = streak(database, "poll.erp.customers")
        assert recovered(database, "poll.crm.deals") == [polls]
        view = get_exception(database, polls)
        assert view.status == ExceptionStatus.RESOLVED.value
        assert view.resolved_by == "engine"
        assert get_exception(database, other).status == ExceptionStatus.OPEN.value
        assert recovered(database, "poll.crm.deals") == []  # nothing left to resolve
    finally:
        database.dispose()
