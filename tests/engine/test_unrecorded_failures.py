"""No flow fails with nobody told: a lost database connection inside a step is retried, an
error from a flow's own code opens an exception about the event, and the sweep opens one for
any failed flow that could not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import failure_support as support
import pytest
from dbos import DBOS
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accord.engine import FlowFailed, FlowInput, run_flow
from accord.engine.batch import BatchItem, batch_input
from accord.engine.exception_queue import (
    UNEXPECTED_ENTITY,
    ExceptionStatus,
    get_exception,
    list_exceptions,
    retry_exception,
)
from accord.engine.sweep import Sweeper
from accord.engine.timeline import StepOutcome, search
from accord.errors import Team
from accord.store.models import ExceptionRecord
from accord.store.transient import is_disconnect


@pytest.fixture(autouse=True)
def _reset() -> None:
    support.LOST_DATABASE[0] = 0
    support.BODY_BUG[0] = False
    support.BATCH_BUG[0] = False


def effect_count(effects, name: str) -> int:
    return sum(1 for entry in effects.state.log if entry["name"] == name)


def test_a_lost_connection_is_a_disconnect_and_a_constraint_is_not() -> None:
    assert is_disconnect(support.admin_shutdown())
    assert not is_disconnect(IntegrityError("INSERT", {}, Exception("duplicate key")))
    assert not is_disconnect(ValueError("currency"))


def test_a_lost_database_inside_a_step_is_retried_not_a_failed_flow(
        sqlite_url, engine_factory, effects, sleeps) -> None:
    runtime = engine_factory(sqlite_url)
    support.LOST_DATABASE[0] = 2
    run = FlowInput(correlation_id="lost-db-1", keys={"invoice": "INV-LOST"})

    assert run_flow(support.lookup_flow, run).get_result().startswith("lookup-")

    runtime.timeline.flush()
    rows = [(t.outcome, t.attempt, t.error_code)
            for t in search(runtime.database, "INV-LOST") if t.action == "lookup"]
    assert rows == [(StepOutcome.RETRYING, 1, "transient"), (StepOutcome.RETRYING, 2, "transient"),
                    (StepOutcome.SUCCEEDED, 3, None)]
    assert "database was unavailable (OperationalError)" in str(
        search(runtime.database, "INV-LOST")[0].error_message)
    assert len(sleeps.waits) == 2
    assert effect_count(effects, "lookup") == 1
    assert list_exceptions(runtime.database) == []


def test_an_error_in_the_flows_own_code_opens_an_exception_and_retry_finishes_it(
        sqlite_url, engine_factory, effects) -> None:
    runtime = engine_factory(sqlite_url)
    support.BODY_BUG[0] = True
    run = FlowInput(correlation_id="body-bug-1", keys={"invoice": "INV-BUG"})
    handle = run_flow(support.body_bug_flow, run)
    with pytest.raises(FlowFailed) as failed:
        handle.get_result()

    [exception] = list_exceptions(runtime.database)
    assert failed.value.exception_id == exception.id
    assert exception.owner is Team.INTEGRATION_ENGINEERING
    assert exception.entity_type == UNEXPECTED_ENTITY
    assert exception.record_ref == "body-bug-1"
    assert exception.workflow_id == handle.workflow_id
    assert "test.body_bug_flow stopped on an unexpected KeyError" in exception.reason
    assert effect_count(effects, "first_effect") == 1

    support.BODY_BUG[0] = False  # the bug is fixed
    new_id = retry_exception(runtime.database, exception.id, actor="ops")
    assert len(DBOS.retrieve_workflow(new_id).get_result()) == 2
    assert effect_count(effects, "first_effect") == 1  # kept from the first run
    assert effect_count(effects, "second_effect") == 1
    assert get_exception(runtime.database, exception.id).status is ExceptionStatus.RESOLVED


def test_the_sweep_opens_one_exception_for_a_failed_flow_without_one(
        sqlite_url, engine_factory, effects) -> None:
    runtime = engine_factory(sqlite_url)
    raw = DBOS.start_workflow(support.raw_failing_workflow,
                              FlowInput(correlation_id="stripe:evt_unrecorded"))
    with pytest.raises(RuntimeError):
        raw.get_result()
    support.BODY_BUG[0] = True  # a flow that opened its own record: not the sweep's business
    recorded = run_flow(support.body_bug_flow, FlowInput(correlation_id="body-bug-2"))
    with pytest.raises(FlowFailed):
        recorded.get_result()

    sweeper = Sweeper(runtime.database, runtime.options.routing)
    [opened] = sweeper.run()
    swept = get_exception(runtime.database, opened)
    assert swept.workflow_id == raw.workflow_id
    assert swept.record_ref == "stripe:evt_unrecorded"
    assert swept.correlation_id == "stripe:evt_unrecorded"
    assert swept.owner is Team.INTEGRATION_ENGINEERING
    assert "test.raw_failing_workflow failed on RuntimeError" in swept.reason
    assert "it opened no exception" in swept.reason

    # a second sweep (and another worker's first, which looks a week back) adds nothing
    assert sweeper.run() == [opened]
    assert Sweeper(runtime.database, runtime.options.routing).run() == [opened]
    assert len(list_exceptions(runtime.database)) == 2
    assert get_exception(runtime.database, opened).occurrences == 1


def test_the_sweep_looks_only_after_its_last_look(sqlite_url, engine_factory,
                                                  effects) -> None:
    runtime = engine_factory(sqlite_url)
    raw = DBOS.start_workflow(support.raw_failing_workflow,
                              FlowInput(correlation_id="stripe:evt_old"))
    with pytest.raises(RuntimeError):
        raw.get_result()
    sweeper = Sweeper(runtime.database, runtime.options.routing)
    assert sweeper.run(now=datetime.now(UTC) + timedelta(days=8)) == []  # a week back: not yet
    assert len(Sweeper(runtime.database, runtime.options.routing).run()) == 1


def test_a_batch_flows_own_error_opens_one_exception_per_event(
        sqlite_url, engine_factory, effects) -> None:
    runtime = engine_factory(sqlite_url)
    support.BATCH_BUG[0] = True
    items = [BatchItem(inbox_id=n, correlation_id=f"toy:evt-{n}",
                       keys={"invoice_number": f"INV-{n}"}, payload={"n": n})
             for n in range(3)]
    handle = run_flow(support.batch_bug_flow, batch_input(items, "batch:bug"))
    with pytest.raises(FlowFailed):
        handle.get_result()

    with runtime.database.session() as session:
        records = list(session.scalars(select(ExceptionRecord).order_by(ExceptionRecord.id)))
    assert [r.record_ref for r in records] == ["toy:evt-0", "toy:evt-1", "toy:evt-2"]
    assert {r.workflow_id for r in records} == {handle.workflow_id}
    assert all("ValueError" in r.reason for r in records)
    assert Sweeper(runtime.database, runtime.options.routing).run() == []
