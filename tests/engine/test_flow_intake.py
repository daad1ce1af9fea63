"""Flows, steps, the timeline and intake dedup, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from dbos import DBOS
from engine_support_flows import quote_to_cash
from sqlalchemy import func, select

from accord.engine import FlowInput, Runtime, run_flow, start_flow
from accord.engine.inbox import Delivery, deliver
from accord.engine.timeline import StepOutcome, search
from accord.store.models import InboxDelivery, InboxEntry

KEYS = {"opportunity": "006A1", "customer": "cus_42", "invoice": "INV-7"}


def test_three_step_flow_writes_a_searchable_timeline(engine: Runtime, effects) -> None:
    run = FlowInput(correlation_id="corr-1", keys=KEYS, payload={"plan": "gold"})
    handle = run_flow(quote_to_cash, run)
    ids = handle.get_result()
    engine.timeline.flush()

    assert len(ids) == 3
    assert [e["name"] for e in effects.state.log] == [
        "read_opportunity", "create_subscription", "post_invoice"]
    for key in ("006A1", "cus_42", "INV-7", "corr-1"):
        timeline = search(engine.database, key)
        assert [(t.system, t.action, t.outcome, t.attempt) for t in timeline] == [
            ("crm", "read_opportunity", StepOutcome.SUCCEEDED, 1),
            ("billing", "create_subscription", StepOutcome.SUCCEEDED, 1),
            ("erp", "post_invoice", StepOutcome.SUCCEEDED, 1),
        ]
        assert all(t.workflow_id == handle.workflow_id for t in timeline)
        assert all(t.latency_ms is not None and t.latency_ms >= 0 for t in timeline)
    assert search(engine.database, "cus_42", kind="invoice") == []
    assert search(engine.database, "nobody") == []


def test_idempotency_keys_are_distinct_per_step_and_stable_per_flow(engine: Runtime,
                                                                    effects) -> None:
    run = FlowInput(correlation_id="corr-2", keys=KEYS)
    run_flow(quote_to_cash, run).get_result()
    keys = [e["key"] for e in effects.state.log]
    assert len(set(keys)) == 3
    # the same correlation under another workflow id sends the same keys: nothing new applies
    run_flow(quote_to_cash, run, workflow_id="again").get_result()
    assert len(effects.state.log) == 3
    assert effects.state.requests == 6


def test_five_concurrent_deliveries_make_one_flow_and_one_side_effect(engine: Runtime,
                                                                      effects) -> None:
    delivery = Delivery(system="stripe", external_event_id="evt_1", event_type="invoice.paid",
                        payload={"amount": "10.00"}, keys=KEYS)
    barrier = threading.Barrier(5)
    intakes = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            intakes.append(deliver(quote_to_cash, delivery))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len({i.workflow_id for i in intakes}) == 1
    assert sorted(i.duplicate for i in intakes) == [False, True, True, True, True]
    DBOS.retrieve_workflow(intakes[0].workflow_id).get_result()

    with engine.database.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxEntry)) == 1
        entry = session.scalars(select(InboxEntry)).one()
        assert entry.delivery_count == 5
        assert entry.workflow_id == intakes[0].workflow_id
        deliveries = list(session.scalars(select(InboxDelivery)))
        assert len(deliveries) == 5
        assert sum(d.duplicate for d in deliveries) == 4
    assert len(DBOS.list_workflows(name="test.quote_to_cash")) == 1
    assert [e["name"] for e in effects.state.log] == [
        "read_opportunity", "create_subscription", "post_invoice"]
    assert all(count == 1 for count in effects.state.applications.values())


def test_a_later_duplicate_is_a_no_op(engine: Runtime, effects) -> None:
    delivery = Delivery(system="crm", external_event_id="e-9", event_type="opp.won", keys=KEYS)
    first = deliver(quote_to_cash, delivery)
    DBOS.retrieve_workflow(first.workflow_id).get_result()
    second = deliver(quote_to_cash, delivery)
    assert second.duplicate
    assert second.workflow_id == first.workflow_id
    DBOS.retrieve_workflow(second.workflow_id).get_result()
    assert len(effects.state.log) == 3


def test_queued_flow_runs_on_the_worker(engine: Runtime, effects) -> None:
    handle = start_flow(quote_to_cash, FlowInput(correlation_id="q-1", keys=KEYS),
                        workflow_id="wf-q-1")
    assert len(handle.get_result()) == 3
    same = start_flow(quote_to_cash, FlowInput(correlation_id="q-1"), workflow_id="wf-q-1")
    assert same.get_result() == handle.get_result()
    assert len(effects.state.log) == 3


def test_sqlite_runs_in_wal_mode(engine: Runtime) -> None:
    if engine.database.dialect != "sqlite":
        pytest.skip("SQLite only")
    with engine.system_engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
