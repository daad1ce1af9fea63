"""Engine options from accord.toml, and limits applied to a flow's calls."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_support_flows import quote_to_cash

from accord.engine import FlowInput, run_flow
from accord.engine.context import RATE_HEADROOM
from accord.engine.leases import LeaseOptions
from accord.engine.retry import STEP_RETRY
from accord.engine.runtime import control_options, options_from_settings
from accord.errors import Team
from accord.resilience import LimitsProfile, RetryPolicy

CONFIG = """
[engine]
flow_modules = ["engine_support_flows"]
worker_concurrency = 4
polling_interval = 0.2
retry = {max_attempts = 3, base_delay = 1.0, max_total_wait = 30}

[engine.limits.netsuite]
max_concurrency = 5
requests_per_second = 10

[engine.exceptions]
default_owner = "revenue_operations"

[[engine.exceptions.rules]]
kind = "data_quality"
entity = "invoice"
owner = "finance_operations"
"""


def test_options_come_from_the_engine_table(tmp_path: Path) -> None:
    Path(tmp_path / "accord.toml").write_text(CONFIG, encoding="utf-8")
    options = options_from_settings()
    assert options.flow_modules == ("engine_support_flows",)
    assert (options.worker_concurrency, options.polling_interval) == (4, 0.2)
    # keys the table leaves out come from the engine's step default, not RetryPolicy's
    assert options.retry.policy == RetryPolicy(max_attempts=3, base_delay=1.0,
                                               max_delay=STEP_RETRY.max_delay)
    assert options.retry.max_total_wait == 30
    assert options.limits == {"netsuite": LimitsProfile(max_concurrency=5,
                                                        requests_per_second=10)}
    assert options.routing.owner_for("data_quality", "stripe", "invoice") is (
        Team.FINANCE_OPERATIONS)
    assert options.routing.owner_for("permanent", None, None) is Team.REVENUE_OPERATIONS
    assert options.database_url.startswith("sqlite:///")
    control = control_options()
    assert not control.listen
    assert control.executor_id.startswith("control-")


def test_lease_length_and_heartbeat_come_from_the_workers_table(tmp_path: Path) -> None:
    assert options_from_settings().lease == LeaseOptions(seconds=30.0, heartbeat=10.0)
    Path(tmp_path / "accord.toml").write_text(
        "[workers]\nlease_seconds = 12\nheartbeat_seconds = 3\n", encoding="utf-8")
    assert options_from_settings().lease == LeaseOptions(seconds=12.0, heartbeat=3.0)
    Path(tmp_path / "accord.toml").write_text(
        "[workers]\nlease_seconds = 5\nheartbeat_seconds = 3\n", encoding="utf-8")
    with pytest.raises(ValueError, match="at least twice"):
        options_from_settings()


def test_a_systems_rate_limit_paces_its_steps(sqlite_url, engine_factory, effects) -> None:
    waits: list[float] = []
    engine_factory(sqlite_url, limits={"crm": LimitsProfile(requests_per_second=10)},
                   gate_sleep=waits.append, clock=lambda: 5000.0)
    for n in range(3):
        run_flow(quote_to_cash, FlowInput(correlation_id=f"r-{n}")).get_result()
    # the clock stands still: each crm call reserves the next 100 ms slot
    assert [round(w, 3) for w in waits] == [0.1, 0.2]
    assert len(effects.state.log) == 9


def test_a_system_without_configured_limits_gets_its_connectors_published_ones(
        sqlite_url, engine_factory) -> None:
    runtime = engine_factory(sqlite_url, limits={"stripe": LimitsProfile()})
    netsuite = runtime.limiter("netsuite-eu")  # an instance has its connector's limits
    assert netsuite is not None
    assert netsuite.gate is not None
    assert (netsuite.gate.limit, netsuite.rate) == (5, None)
    salesforce = runtime.limiter("salesforce")
    assert salesforce is not None
    assert salesforce.gate is not None
    assert salesforce.gate.limit == 25
    assert runtime.limiter("stripe") is None  # configured without limits: none, as asked
    assert runtime.limiter("billing") is None  # no connector, nothing configured


def test_stripes_published_rate_paces_its_steps_by_default(sqlite_url, engine_factory) -> None:
    runtime = engine_factory(sqlite_url)
    stripe = runtime.limiter("stripe")
    assert stripe is not None
    assert stripe.gate is None
    assert stripe.rate is not None
    # Stripe's 25 requests per second in test mode, paced with headroom
    assert stripe.rate.interval == pytest.approx(1 / (25 * RATE_HEADROOM))
    assert RATE_HEADROOM < 1
