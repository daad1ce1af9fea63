"""Retry inside steps (backoff, Retry-After, budget) and the exception queue (routing,
one record per problem, actions, audit). Waits go to an injected sleep: nothing sleeps."""

from __future__ import annotations

import pytest
from dbos import DBOS
from engine_support_flows import quote_to_cash
from engine_support_server import Scripted
from sqlalchemy import select

from accord.engine import FlowFailed, FlowInput, RetryBudget, run_flow
from accord.engine.exception_queue import (
    ExceptionStatus,
    get_exception,
    ignore_exception,
    list_exceptions,
    resolve_exception,
    retry_exception,
)
from accord.engine.owners import OwnerRule, OwnerRules, load_owner_rules
from accord.engine.tables import limit_rate
from accord.engine.timeline import Milestone, StepOutcome, StepRecord, search
from accord.errors import Team
from accord.resilience import LimitsProfile, RetryPolicy
from accord.store.models import AuditLog

KEYS = {"opportunity": "006A1", "customer": "cus_42", "invoice": "INV-7"}
POLICY = RetryPolicy(max_attempts=4, base_delay=0.5, max_delay=8, multiplier=2)


def run(correlation: str = "c-1") -> FlowInput:
    return FlowInput(correlation_id=correlation, keys=KEYS)


def attempts(runtime, step_action: str) -> list[tuple[StepOutcome, int]]:
    runtime.timeline.flush()
    return [(t.outcome, t.attempt) for t in search(runtime.database, "cus_42")
            if t.action == step_action]


def test_transient_errors_back_off_with_full_jitter_then_succeed(
        sqlite_url, engine_factory, effects, sleeps) -> None:
    runtime = engine_factory(sqlite_url, retry=RetryBudget(POLICY, 60))
    effects.state.fail_next("create_subscription", Scripted(503), Scripted(502), Scripted(500))
    assert len(run_flow(quote_to_cash, run()).get_result()) == 3

    assert attempts(runtime, "create_subscription") == [
        (StepOutcome.RETRYING, 1), (StepOutcome.RETRYING, 2), (StepOutcome.RETRYING, 3),
        (StepOutcome.SUCCEEDED, 4)]
    assert len(sleeps.waits) == 3
    for number, wait in enumerate(sleeps.waits, start=1):
        assert 0 <= wait <= POLICY.cap(number)
    assert len({round(w, 6) for w in sleeps.waits}) == 3  # jittered, not a fixed schedule
    assert sum(1 for e in effects.state.log if e["name"] == "create_subscription") == 1
    assert list_exceptions(runtime.database) == []


def test_a_declared_milestone_marks_only_the_succeeded_attempt(
        sqlite_url, engine_factory, effects, sleeps) -> None:
    runtime = engine_factory(sqlite_url, retry=RetryBudget(POLICY, 60))
    effects.state.fail_next("post_invoice", Scripted(503))
    run_flow(quote_to_cash, run("c-ok")).get_result()
    effects.state.fail_next("post_invoice", *[Scripted(503)] * 10)
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, run("c-bad")).get_result()
    runtime.timeline.flush()
    rows = [(t.correlation_id, t.action, t.outcome, t.milestone)
            for t in search(runtime.database, "cus_42")]
    assert [row for row in rows if row[3] is not None] == [
        ("c-ok", "post_invoice", StepOutcome.SUCCEEDED, Milestone.INVOICE_POSTED)]
    assert ("c-ok", "post_invoice", StepOutcome.RETRYING, None) in rows
    assert ("c-bad", "post_invoice", StepOutcome.FAILED, None) in rows
    # steps declaring no milestone reach none, though they succeed
    assert ("c-ok", "create_subscription", StepOutcome.SUCCEEDED, None) in rows


def test_a_milestone_cannot_be_written_on_an_attempt_that_failed() -> None:
    with pytest.raises(ValueError, match="reached only by a succeeded step"):
        StepRecord(correlation_id="c", workflow_id=None, flow="f", step="erp.post_invoice",
                   system="erp", action="post_invoice", outcome=StepOutcome.FAILED,
                   attempt=1, latency_ms=None, milestone=Milestone.INVOICE_POSTED)


def test_retry_after_is_a_floor_on_the_wait(sqlite_url, engine_factory, effects,
                                            sleeps) -> None:
    engine_factory(sqlite_url, retry=RetryBudget(POLICY, 60))
    effects.state.fail_next("post_invoice", Scripted(429, headers={"Retry-After": "7"}))
    run_flow(quote_to_cash, run()).get_result()
    assert sleeps.waits == [7.0]


def test_exhausted_retries_go_to_the_exception_queue_for_integration_engineering(
        sqlite_url, engine_factory, effects, sleeps) -> None:
    runtime = engine_factory(sqlite_url, retry=RetryBudget(POLICY, 60))
    effects.state.fail_next("post_invoice", *[Scripted(503)] * 10)
    handle = run_flow(quote_to_cash, run())
    with pytest.raises(FlowFailed) as failed:
        handle.get_result()

    assert len(sleeps.waits) == POLICY.max_attempts - 1
    assert attempts(runtime, "post_invoice")[-1] == (StepOutcome.FAILED, 4)
    [record] = list_exceptions(runtime.database)
    assert failed.value.exception_id == record.id
    assert record.kind == "retries_exhausted"
    assert record.owner is Team.INTEGRATION_ENGINEERING
    assert record.system == "erp"
    assert record.entity_type == "invoice"
    assert record.record_ref == "INV-7"
    assert record.correlation_id == "c-1"
    assert record.workflow_id == handle.workflow_id
    assert record.step == "erp.post_invoice"
    assert "503" in record.reason
    assert DBOS.get_workflow_status(handle.workflow_id).status == "ERROR"


def test_the_budget_stops_retries_before_a_long_wait(sqlite_url, engine_factory, effects,
                                                     sleeps) -> None:
    runtime = engine_factory(sqlite_url, retry=RetryBudget(POLICY, max_total_wait=5))
    effects.state.fail_next("post_invoice", Scripted(429, headers={"Retry-After": "30"}))
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, run()).get_result()
    assert sleeps.waits == []
    [record] = list_exceptions(runtime.database)
    assert record.kind == "retries_exhausted"


def test_data_quality_errors_are_not_retried_and_keep_their_owner(
        sqlite_url, engine_factory, effects, sleeps) -> None:
    runtime = engine_factory(sqlite_url, retry=RetryBudget(POLICY, 60))
    effects.state.fail_next("create_subscription", Scripted(
        422, {"field": "bill_to.email", "reason": "missing", "owner": "revenue_operations"}))
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, run()).get_result()

    assert sleeps.waits == []
    assert attempts(runtime, "create_subscription") == [(StepOutcome.FAILED, 1)]
    [record] = list_exceptions(runtime.database)
    assert record.kind == "data_quality"
    assert record.owner is Team.REVENUE_OPERATIONS
    assert record.field == "bill_to.email"
    assert record.reason == "missing"
    assert record.record_ref == "cus_42"
    assert record.system_said is not None
    assert "bill_to.email" in record.system_said
    assert [e["name"] for e in effects.state.log] == ["read_opportunity"]


def test_routing_rules_pick_the_owner_by_kind_system_and_entity(
        sqlite_url, engine_factory, effects) -> None:
    routing = OwnerRules(rules=(
        OwnerRule(kind="data_quality", system="erp", owner=Team.MASTER_DATA),
        OwnerRule(kind="data_quality", entity="customer", owner=Team.FINANCE_OPERATIONS),
    ))
    runtime = engine_factory(sqlite_url, routing=routing)
    effects.state.fail_next("create_subscription",
                            Scripted(422, {"field": "tax_id", "reason": "invalid"}))
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, run()).get_result()
    [record] = list_exceptions(runtime.database)
    assert record.owner is Team.FINANCE_OPERATIONS


def test_routing_rules_load_from_config() -> None:
    rules = load_owner_rules({"engine": {"exceptions": {
        "default_owner": "revenue_operations",
        "rules": [{"kind": "conflict", "system": "stripe", "owner": "finance_operations"}]}}})
    assert rules.owner_for("conflict", "stripe", None) is Team.FINANCE_OPERATIONS
    assert rules.owner_for("conflict", "netsuite", None) is Team.REVENUE_OPERATIONS
    assert rules.owner_for("permanent", None, None) is Team.REVENUE_OPERATIONS
    assert rules.owner_for("data_quality", None, None, Team.MASTER_DATA) is Team.MASTER_DATA
    with pytest.raises(ValueError, match="owner"):
        load_owner_rules({"engine": {"exceptions": {"rules": [{"kind": "x", "owner": "nobody"}]}}})


def test_the_same_problem_is_one_record_with_occurrences(sqlite_url, engine_factory,
                                                         effects) -> None:
    runtime = engine_factory(sqlite_url)
    for correlation in ("c-1", "c-2"):
        effects.state.fail_next("create_subscription",
                                Scripted(422, {"field": "tax_id", "reason": "invalid"}))
        with pytest.raises(FlowFailed):
            run_flow(quote_to_cash, run(correlation)).get_result()
    [record] = list_exceptions(runtime.database)
    assert record.occurrences == 2
    assert record.correlation_id == "c-2"


def test_retry_reruns_from_the_failed_step_after_the_fix(database_url, engine_factory,
                                                         effects) -> None:
    runtime = engine_factory(database_url)
    effects.state.fail_next("create_subscription",
                            Scripted(422, {"field": "currency", "reason": "unsupported"}))
    failed = run_flow(quote_to_cash, run())
    with pytest.raises(FlowFailed):
        failed.get_result()
    [record] = list_exceptions(runtime.database, status=ExceptionStatus.OPEN)
    requests_before = effects.state.requests

    # the data is fixed at the source (the server no longer rejects); retry
    new_id = retry_exception(runtime.database, record.id, actor="ana", note="currency fixed")
    result = DBOS.retrieve_workflow(new_id).get_result()

    assert len(result) == 3
    assert [e["name"] for e in effects.state.log] == [
        "read_opportunity", "create_subscription", "post_invoice"]
    assert effects.state.requests == requests_before + 2  # step 1 was not called again
    after = get_exception(runtime.database, record.id)
    assert after.status is ExceptionStatus.RESOLVED
    assert after.resolved_by == "engine"
    with runtime.database.session() as session:
        actions = [(a.actor, a.action) for a in session.scalars(
            select(AuditLog).where(AuditLog.target_id == str(record.id)).order_by(AuditLog.id))]
    assert actions == [("engine", "exception.open"), ("ana", "exception.retry"),
                       ("engine", "exception.resolved_by_retry")]


def test_resolve_and_ignore_need_a_note_and_are_audited(sqlite_url, engine_factory,
                                                        effects) -> None:
    runtime = engine_factory(sqlite_url)
    for name in ("create_subscription", "post_invoice"):
        effects.state.fail_next(name, Scripted(409, {"reason": "stale"}))
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, run("c-1")).get_result()
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, run("c-2"), workflow_id="other").get_result()
    first, second = list_exceptions(runtime.database)
    assert first.owner is Team.REVENUE_OPERATIONS  # conflicts default to revenue operations

    with pytest.raises(ValueError, match="note"):
        resolve_exception(runtime.database, first.id, actor="bo", note=" ")
    resolved = resolve_exception(runtime.database, first.id, actor="bo", note="fixed by hand")
    ignored = ignore_exception(runtime.database, second.id, actor="cy", note="test account")
    assert (resolved.status, resolved.note, resolved.resolved_by) == (
        ExceptionStatus.RESOLVED, "fixed by hand", "bo")
    assert ignored.status is ExceptionStatus.IGNORED
    with runtime.database.session() as session:
        rows = [(a.actor, a.action, a.detail) for a in session.scalars(
            select(AuditLog).where(AuditLog.actor != "engine").order_by(AuditLog.id))]
    assert rows == [
        ("bo", "exception.resolved", {"note": "fixed by hand", "from": "open"}),
        ("cy", "exception.ignored", {"note": "test account", "from": "open"}),
    ]
    assert list_exceptions(runtime.database, status=ExceptionStatus.OPEN) == []


def test_concurrent_flows_hitting_the_same_problem_share_one_record(
        database_url, engine_factory, effects) -> None:
    runtime = engine_factory(database_url)
    for _ in range(4):
        effects.state.fail_next("create_subscription",
                                Scripted(422, {"field": "tax_id", "reason": "invalid"}))
    handles = [run_flow(quote_to_cash, run(f"c-{n}")) for n in range(4)]
    for handle in handles:
        with pytest.raises(FlowFailed):
            handle.get_result()
    [record] = list_exceptions(runtime.database)
    assert record.occurrences == 4


def test_a_429_holds_off_the_systems_rate_limiter_for_every_process(
        sqlite_url, engine_factory, effects, sleeps) -> None:
    clock = [1_000.0]
    runtime = engine_factory(sqlite_url, retry=RetryBudget(POLICY, 60), clock=lambda: clock[0],
                             gate_sleep=sleeps,
                             limits={"erp": LimitsProfile(requests_per_second=10)})
    effects.state.fail_next("post_invoice", Scripted(429, headers={"Retry-After": "7"}))
    run_flow(quote_to_cash, run()).get_result()

    with runtime.database.engine.connect() as connection:
        next_at = connection.execute(
            select(limit_rate.c.next_at).where(limit_rate.c.gate == "erp")).scalar_one()
    # the refusal pushed the shared schedule 7 s out; the retry then took the next start
    assert next_at == pytest.approx(1_000.0 + 7 + 0.1)
    assert 7.0 in sleeps.waits  # the step's own wait honoured Retry-After as before
