"""Inbound events are stored first, then started by the pump (or at once by accept); one flow
per event however often it arrives; events no flow handles stay visible as unhandled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dbos import DBOS
from dispatch_support import SEEN
from sqlalchemy import select

from accord.connectors.base import InboundEvent
from accord.engine.dispatch import UNHANDLED, accept, handler_for, pump, store
from accord.store.models import InboxDelivery, InboxEntry


def event(event_id: str, event_type: str = "invoice.finalized",
          system: str = "toybill") -> InboundEvent:
    return InboundEvent(system=system, event_id=event_id, event_type=event_type,
                        occurred_at=datetime.now(UTC),
                        payload={"number": f"INV-{event_id}", "customer": "cus_7"})


def test_store_then_pump_starts_one_flow_per_event(sqlite_url, engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    database = runtime.database
    SEEN.clear()
    for _ in range(3):  # the same webhook delivered three times
        store(database, event("e1"))
    store(database, event("e2"))
    store(database, event("n1", "customer.updated"))
    later = datetime.now(UTC) + timedelta(seconds=5)
    assert pump(database, now=later) == 3
    assert pump(database, now=later) == 0  # nothing left to start
    with database.session() as session:
        rows = {r.external_event_id: r for r in session.scalars(select(InboxEntry))}
        deliveries = session.scalars(select(InboxDelivery)).all()
    for workflow_id in (rows["e1"].workflow_id, rows["e2"].workflow_id):
        assert workflow_id is not None
        DBOS.retrieve_workflow(workflow_id).get_result()
    assert sorted(SEEN) == ["INV-e1", "INV-e2"]
    assert rows["e1"].delivery_count == 3
    assert len(deliveries) == 5
    assert rows["n1"].status == UNHANDLED
    assert rows["n1"].workflow_id is None


def test_accept_starts_at_once_and_a_racing_pump_adds_nothing(sqlite_url,
                                                             engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    SEEN.clear()
    intake = accept(runtime.database, event("e9"))
    assert intake is not None
    again = accept(runtime.database, event("e9"))
    assert again is not None
    assert (again.workflow_id, again.duplicate) == (intake.workflow_id, True)
    DBOS.retrieve_workflow(intake.workflow_id).get_result()
    pump(runtime.database, now=datetime.now(UTC) + timedelta(seconds=5))
    assert SEEN == ["INV-e9"]
    assert accept(runtime.database, event("x", "charge.updated")) is None


def test_instances_share_their_kind_handler() -> None:
    assert handler_for("toybill-eu", "invoice.finalized") is handler_for(
        "toybill", "invoice.finalized")
    assert handler_for("toybill", "nothing") is None


def test_the_workers_pump_starts_stored_events_by_itself(sqlite_url, engine_factory) -> None:
    import time

    runtime = engine_factory(sqlite_url, pump_interval=0.05)
    SEEN.clear()
    store(runtime.database, event("p1"))
    deadline = time.monotonic() + 20
    workflow_id = None
    while workflow_id is None and time.monotonic() < deadline:
        with runtime.database.session() as session:
            workflow_id = session.scalar(select(InboxEntry.workflow_id).where(
                InboxEntry.external_event_id == "p1"))
        time.sleep(0.05)
    assert workflow_id is not None, "the pump never started the stored event"
    assert DBOS.retrieve_workflow(workflow_id).get_result() == "INV-p1"
