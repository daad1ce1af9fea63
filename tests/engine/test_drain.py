"""A clean stop lets the flows running on the worker finish: ``shutdown(drain_seconds)``
keeps the engine's runtime (timeline, limits, database) until DBOS has drained them."""

from __future__ import annotations

import time

from engine_support_flows import quote_to_cash
from sqlalchemy import create_engine, text

from accord.engine import FlowInput, run_flow, shutdown


def test_a_flow_running_at_a_clean_stop_finishes_during_the_drain(
        sqlite_url, engine_factory, effects) -> None:
    engine_factory(sqlite_url)
    handle = run_flow(quote_to_cash, FlowInput(correlation_id="drain-1",
                                               payload={"crm_delay_ms": 3000}))
    deadline = time.monotonic() + 60
    while effects.state.requests < 1:  # the first step's call is in flight
        assert time.monotonic() < deadline, "the flow never reached its ERP call"
        time.sleep(0.02)
    shutdown(drain_seconds=60)  # the next two steps start while it drains
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as connection:
            status = connection.execute(text(
                "SELECT status FROM workflow_status WHERE workflow_uuid = :id"),
                {"id": handle.get_workflow_id()}).scalar()
    finally:
        engine.dispose()
    assert status == "SUCCESS"
    assert [entry["name"] for entry in effects.state.log] == [
        "read_opportunity", "create_subscription", "post_invoice"]
