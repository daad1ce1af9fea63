"""Batch flows: the pump hands several stored events of one type to one flow run; each event
keeps its own idempotency, timeline and exception record, and one bad event neither fails
nor doubles the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import batch_support as toy
from dbos import DBOS
from sqlalchemy import select, update

from accord.connectors.base import InboundEvent
from accord.engine.dispatch import CLAIMED, accept, batch_workflow_id, pump, store
from accord.engine.timeline import Milestone, StepOutcome
from accord.store.models import ExceptionRecord, InboxEntry, TimelineEntry


def event(n: int, amount: int = 100) -> InboundEvent:
    return InboundEvent(system=toy.SYSTEM, event_id=f"b{n}", event_type=toy.EVENT,
                        occurred_at=datetime.now(UTC),
                        payload={"number": f"INV-{n}", "amount": amount})


def later() -> datetime:
    return datetime.now(UTC) + timedelta(seconds=5)


def reset() -> None:
    toy.POSTED.clear()
    toy.BATCHES.clear()
    toy.FAIL_WHOLE[0] = False


def finish(database: Any) -> dict[str, InboxEntry]:
    """Wait for every flow the inbox names; the inbox rows by event id."""
    with database.session() as session:
        rows = {r.external_event_id: r for r in session.scalars(select(InboxEntry))}
    for workflow_id in {r.workflow_id for r in rows.values()}:
        assert workflow_id is not None
        DBOS.retrieve_workflow(workflow_id).get_result()
    return rows


def test_the_pump_batches_events_and_one_bad_event_fails_alone(sqlite_url,
                                                               engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    database = runtime.database
    reset()
    for n in range(7):
        store(database, event(n, amount=-5 if n == 4 else 100))
    store(database, event(2))  # a duplicate delivery
    assert pump(database, now=later()) == 7
    assert pump(database, now=later()) == 0
    rows = finish(database)
    assert {r.status for r in rows.values()} == {"started"}
    batches = {r.workflow_id for r in rows.values()}
    assert len(batches) == 3  # 3 + 3 + 1
    assert rows["b0"].workflow_id == rows["b2"].workflow_id != rows["b3"].workflow_id
    assert dict(toy.POSTED) == {f"INV-{n}": 1 for n in range(7) if n != 4}
    with database.session() as session:
        exceptions = session.scalars(select(ExceptionRecord)).all()
    assert [(e.correlation_id, e.record_ref, e.field, e.owner, e.step) for e in exceptions] == [
        ("toybatch:b4", "INV-4", "amount", "finance_operations", "toyerp.check")]
    outcome = DBOS.retrieve_workflow(str(rows["b4"].workflow_id)).get_result()
    assert outcome["items"] == 3
    assert "toybatch:b4" not in outcome["succeeded"]
    assert outcome["exceptions"] == {"toybatch:b4": exceptions[0].id}


def test_each_event_of_a_batch_has_its_own_timeline(sqlite_url, engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    reset()
    for n in range(3):
        store(runtime.database, event(n, amount=-1 if n == 1 else 10))
    pump(runtime.database, now=later())
    finish(runtime.database)
    runtime.timeline.flush()
    with runtime.database.session() as session:
        timeline = session.execute(select(TimelineEntry.correlation_id, TimelineEntry.step,
                                          TimelineEntry.outcome, TimelineEntry.milestone)).all()
    ok, failed, posted = (StepOutcome.SUCCEEDED, StepOutcome.FAILED, Milestone.INVOICE_POSTED)
    # each event that got through reached the milestone its batch step declares
    assert sorted(timeline) == [
        ("toybatch:b0", "toyerp.check", ok, None), ("toybatch:b0", "toyerp.post", ok, posted),
        ("toybatch:b1", "toyerp.check", failed, None),
        ("toybatch:b2", "toyerp.check", ok, None), ("toybatch:b2", "toyerp.post", ok, posted)]


def test_a_whole_batch_failure_opens_one_exception_per_event(sqlite_url,
                                                            engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    reset()
    toy.FAIL_WHOLE[0] = True
    for n in range(3):
        store(runtime.database, event(n))
    pump(runtime.database, now=later())
    finish(runtime.database)
    with runtime.database.session() as session:
        refs = sorted(session.scalars(select(ExceptionRecord.record_ref)))
    assert refs == ["INV-0", "INV-1", "INV-2"]
    assert not toy.POSTED


def test_claimed_rows_of_a_pump_that_died_are_started_once(sqlite_url,
                                                           engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    database = runtime.database
    reset()
    ids = [store(database, event(n))[0] for n in range(4)]
    # a pump claimed the first two rows, then died before enqueueing their batch
    orphan = batch_workflow_id(ids[0], 2)
    with database.session() as session:
        session.execute(update(InboxEntry).where(InboxEntry.id.in_(ids[:2])).values(
            status=CLAIMED, workflow_id=orphan))
    assert pump(database, now=later()) == 2  # the two still 'received'
    pump(database, now=later())
    rows = finish(database)
    assert rows["b0"].workflow_id == rows["b1"].workflow_id == orphan
    assert {r.status for r in rows.values()} == {"started"}
    assert dict(toy.POSTED) == {f"INV-{n}": 1 for n in range(4)}
    assert sorted(map(sorted, toy.BATCHES)) == [["INV-0", "INV-1"], ["INV-2", "INV-3"]]


def test_accept_starts_a_batch_of_one_and_duplicates_add_nothing(sqlite_url,
                                                                 engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    reset()
    first = accept(runtime.database, event(1))
    again = accept(runtime.database, event(1))
    assert first is not None
    assert again is not None
    assert (again.workflow_id, again.duplicate) == (first.workflow_id, True)
    DBOS.retrieve_workflow(first.workflow_id).get_result()
    pump(runtime.database, now=later())
    assert dict(toy.POSTED) == {"INV-1": 1}
