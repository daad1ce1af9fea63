"""Replay re-runs a finished or failed flow (DBOS fork) with no duplicate side effects."""

from __future__ import annotations

import pytest
from dbos import DBOS
from engine_support_flows import quote_to_cash
from engine_support_server import Scripted
from sqlalchemy import select

from accord.engine import FlowFailed, FlowInput, Runtime, UnknownTarget, run_flow
from accord.engine.exception_queue import ExceptionStatus, list_exceptions
from accord.engine.replay import ReplayMode, replay
from accord.store.models import AuditLog

KEYS = {"opportunity": "006A1", "customer": "cus_42", "invoice": "INV-7"}


def test_replaying_a_finished_flow_by_correlation_id_applies_nothing_twice(
        engine: Runtime, effects) -> None:
    original = run_flow(quote_to_cash, FlowInput(correlation_id="c-1", keys=KEYS))
    first = original.get_result()
    engine.timeline.flush()

    result = replay(engine.database, "c-1", actor="ops")
    assert result.mode is ReplayMode.FORKED
    assert result.source_workflow_id == original.workflow_id
    assert result.workflow_id != original.workflow_id
    assert DBOS.retrieve_workflow(result.workflow_id).get_result() == first
    assert len(effects.state.log) == 3
    assert effects.state.requests == 6  # every step ran again, each answered idempotently
    with engine.database.session() as session:
        [row] = session.scalars(select(AuditLog).where(AuditLog.action.like("workflow.%")))
    assert (row.actor, row.action, row.target_id) == (
        "ops", "workflow.replay.forked", original.workflow_id)


def test_replaying_a_failed_flow_by_business_key_completes_it(engine: Runtime,
                                                              effects) -> None:
    effects.state.fail_next("post_invoice", Scripted(422, {"field": "terms", "reason": "bad"}))
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, FlowInput(correlation_id="c-2", keys=KEYS)).get_result()
    assert [e["name"] for e in effects.state.log] == ["read_opportunity", "create_subscription"]
    engine.timeline.flush()

    result = replay(engine.database, "INV-7", actor="ops")
    assert len(DBOS.retrieve_workflow(result.workflow_id).get_result()) == 3
    assert [e["name"] for e in effects.state.log] == [
        "read_opportunity", "create_subscription", "post_invoice"]
    assert all(n == 1 for n in effects.state.applications.values())
    [record] = list_exceptions(engine.database)
    assert record.status is ExceptionStatus.RESOLVED


def test_replay_from_a_later_step_reuses_earlier_results(engine: Runtime, effects) -> None:
    handle = run_flow(quote_to_cash, FlowInput(correlation_id="c-3", keys=KEYS))
    handle.get_result()
    result = replay(engine.database, handle.workflow_id, actor="ops", from_step=3)
    DBOS.retrieve_workflow(result.workflow_id).get_result()
    assert effects.state.requests == 4


def test_unknown_targets_are_refused(engine: Runtime) -> None:
    with pytest.raises(UnknownTarget):
        replay(engine.database, "no-such-thing", actor="ops")
