"""Per-customer ordering with customers in parallel, and a system's concurrency limit held
across two worker processes on PostgreSQL. Plus the database-backed gate and rate limiter."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbos import DBOS
from engine_support_flows import customer_event, limited

from accord.engine import EngineOptions, FlowInput, Runtime, launch, shutdown, start_flow
from accord.engine.inbox import Delivery, deliver
from accord.engine.limits import DbRateLimiter, DbSlotGate
from accord.store import Database, upgrade

WORKER = Path(__file__).parent / "engine_worker.py"
CUSTOMERS = ("cus-a", "cus-b", "cus-c")
EVENTS = 6


def test_one_customers_events_run_in_order_while_customers_run_in_parallel(
        engine: Runtime, effects) -> None:
    intakes = [deliver(customer_event, Delivery(
        system="billing", external_event_id=f"{customer}-{seq}", event_type="usage",
        payload={"seq": seq, "delay_ms": 40}, customer=customer))
        for seq in range(EVENTS) for customer in CUSTOMERS]
    for intake in intakes:
        DBOS.retrieve_workflow(intake.workflow_id).get_result()

    for customer in CUSTOMERS:
        seqs = [e["body"]["seq"] for e in effects.state.log if e["body"]["customer"] == customer]
        assert seqs == list(range(EVENTS))
        assert effects.state.peak[f"billing/{customer}"] == 1
    assert effects.state.peak["billing"] > 1


@pytest.fixture
def clock() -> list[float]:
    return [1000.0]


@pytest.fixture
def store(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def test_slot_gate_caps_holders_and_reclaims_expired_leases(store: Database,
                                                            clock: list[float]) -> None:
    gate = DbSlotGate(store.engine, "erp", 2, lease_seconds=30, clock=lambda: clock[0])
    first, second = gate.try_acquire("a"), gate.try_acquire("b")
    assert {first, second} == {0, 1}
    assert gate.try_acquire("c") is None
    assert sorted(gate.holders()) == ["a", "b"]
    assert first is not None
    gate.release(first, "a")
    assert gate.try_acquire("c") == first
    clock[0] += 31  # "b" and "c" died holding their slots: the leases run out
    assert gate.try_acquire("d") is not None
    assert gate.try_acquire("e") is not None
    assert gate.try_acquire("f") is None


def test_rate_limiter_spaces_starts_across_callers(store: Database,
                                                   clock: list[float]) -> None:
    waits: list[float] = []
    one = DbRateLimiter(store.engine, "crm", 4, clock=lambda: clock[0], sleep=waits.append)
    other = DbRateLimiter(store.engine, "crm", 4, clock=lambda: clock[0], sleep=waits.append)
    assert [one.acquire(), other.acquire(), one.acquire()] == [0.0, 0.25, 0.5]
    assert waits == [0.25, 0.5]
    clock[0] += 10
    assert other.acquire() == 0.0


def test_a_refusal_holds_off_every_callers_next_start(store: Database,
                                                     clock: list[float]) -> None:
    waits: list[float] = []
    one = DbRateLimiter(store.engine, "stripe", 20, clock=lambda: clock[0], sleep=waits.append)
    other = DbRateLimiter(store.engine, "stripe", 20, clock=lambda: clock[0], sleep=waits.append)
    assert one.acquire() == 0.0
    one.hold_off(1.0)  # the system answered 429 with Retry-After: 1
    assert other.acquire() == pytest.approx(1.0)
    assert one.acquire() == pytest.approx(1.05)  # then paced again from there
    other.hold_off(0.5)  # a shorter hold never brings the schedule forward
    assert other.acquire() == pytest.approx(1.1)


@pytest.mark.postgres
@pytest.mark.parametrize("limit", [2, None])
def test_a_systems_concurrency_limit_holds_across_two_workers(
        limit: int | None, postgres_url: str, effects) -> None:
    env = {**os.environ, "ACCORD_TEST_EFFECTS_URL": effects.base_url}
    if limit:
        env["ACCORD_TEST_LIMIT"] = str(limit)
    # this process only enqueues (listen=False); it also migrates before the workers start
    launch(EngineOptions(database_url=postgres_url, listen=False))
    workers = [subprocess.Popen([sys.executable, str(WORKER), "serve", postgres_url, name],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for name in ("w1", "w2")]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        handles = [start_flow(limited, FlowInput(correlation_id=f"lim-{n}",
                                                 payload={"n": n, "delay_ms": 60}))
                   for n in range(24)]
        for handle in handles:
            handle.get_result()
        executors = {s.executor_id for s in DBOS.list_workflows(name="test.limited")}
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        shutdown()

    assert executors == {"w1", "w2"}
    assert len(effects.state.log) == 24
    if limit:
        assert effects.state.peak["erp"] == limit
    else:  # the control: without the gate the same load exceeds the limit
        assert effects.state.peak["erp"] > 2


@pytest.mark.postgres
def test_per_customer_order_holds_across_two_workers(postgres_url: str, effects) -> None:
    env = {**os.environ, "ACCORD_TEST_EFFECTS_URL": effects.base_url}
    launch(EngineOptions(database_url=postgres_url, listen=False))
    workers = [subprocess.Popen([sys.executable, str(WORKER), "serve", postgres_url, name],
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True) for name in ("w1", "w2")]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready"
        intakes = [deliver(customer_event, Delivery(
            system="billing", external_event_id=f"{customer}-{seq}", event_type="usage",
            payload={"seq": seq, "delay_ms": 30}, customer=customer))
            for seq in range(EVENTS) for customer in CUSTOMERS]
        for intake in intakes:
            DBOS.retrieve_workflow(intake.workflow_id).get_result()
        executors = {s.executor_id for s in DBOS.list_workflows(name="test.customer_event")}
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        shutdown()

    assert executors == {"w1", "w2"}
    for customer in CUSTOMERS:
        seqs = [e["body"]["seq"] for e in effects.state.log if e["body"]["customer"] == customer]
        assert seqs == list(range(EVENTS))
        assert effects.state.peak[f"billing/{customer}"] == 1
    assert effects.state.peak["billing"] > 1
