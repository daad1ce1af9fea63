"""One deal won in the CRM, through the real sandboxes: its trace runs from the poll's
intake through the flow's steps to each vendor HTTP call, stored locally in ``trace_span``
and exported by OTLP to a collector, the same spans in both."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from accord import bootstrap
from accord.api.app import create_app
from accord.api.tokens import Role, create_token
from accord.bootstrap import ClientOptions
from accord.demo.scenario import Defect, generate
from accord.demo.seeding import payment_methods, seed_scenario, win_deals
from accord.engine import EngineOptions
from accord.engine.timeline import search
from accord.flows.keys import Key
from accord.flows.systems import FlowSettings
from accord.observability import tracing
from accord.observability.spanstore import read_trace, traces_of
from accord.resilience import RetryPolicy
from accord.settings import AccordSettings
from tests.flows.conftest import NoSleep, Sandboxes, sandbox_overrides
from tests.flows.support import finish
from tests.flows.vendors import Vendors, opportunity_poller, poll

from .receivers import Received, receiver


@pytest.fixture
def collector() -> Iterator[tuple[str, Received]]:
    with receiver() as found:
        yield found


@pytest.fixture
def traced_engine(sandboxes: Sandboxes, tmp_path: Path, collector: tuple[str, Received]
                  ) -> Iterator[tuple[bootstrap.Service, Vendors]]:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    config = {"observability": {"otlp_endpoint": f"{collector[0]}/v1/traces",
                                "export_interval_ms": 100}}
    deployment = bootstrap.prepare(
        AccordSettings(database_url=SecretStr(url)), config=config,
        overrides=sandbox_overrides(sandboxes),
        flow_settings=FlowSettings(wait_interval=0.2, wait_attempts=50),
        client_options=ClientOptions(policy=RetryPolicy(max_attempts=4, base_delay=0),
                                     sleep=NoSleep()))
    options = EngineOptions(database_url=url, sleep=NoSleep(), rng=random.Random(7),
                            worker_concurrency=4)
    try:
        with bootstrap.running(deployment, options) as service:
            yield service, Vendors(deployment.systems)
    finally:
        deployment.close()


def test_a_deal_is_one_trace_from_intake_to_vendor_calls_stored_and_exported(
        traced_engine: tuple[bootstrap.Service, Vendors],
        collector: tuple[str, Received]) -> None:
    service, found = traced_engine
    database = service.runtime.database
    scenario = generate(seed=3, accounts=12)
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    bad = {a.ref for a in scenario.accounts if a.defect}
    deal = next(d for d in scenario.deals if d.defect is None and d.account_ref not in bad
                and d.legal_entity == "US01")
    if deal.defect is Defect.UNKNOWN_SKU:  # pragma: no cover - filtered above
        pytest.fail("picked a bad deal")
    win_deals(found.salesforce, seeded, [deal.ref])
    results, failures = finish(poll(database, "salesforce", "opportunity",
                                    opportunity_poller(found.salesforce)).started)
    assert failures == []
    assert [result["outcome"] for result in results] == ["created"]
    service.runtime.timeline.flush()
    assert tracing.flush()

    opportunity = seeded.deals[deal.ref]
    correlation_ids = {row.correlation_id for row in search(database, opportunity,
                                                            kind=Key.DEAL_ID)}
    traces = traces_of(database, correlation_ids)
    assert len(traces) == 1, "one business event, one trace"
    spans = read_trace(database, traces[0])
    by_id = {span.span_id: span for span in spans}

    root = spans[0]
    assert root.depth == 0
    assert root.name.startswith("intake salesforce")
    flows = [span for span in spans if span.name.startswith("flow ")]
    assert len(flows) == 1
    assert flows[0].parent_span_id == root.span_id
    assert flows[0].attributes["accord.key.deal_id"] == opportunity
    assert flows[0].attributes["accord.correlation_id"] in correlation_ids
    steps = [span for span in spans if span.name.startswith("step ")]
    assert steps
    assert all(step.parent_span_id == flows[0].span_id for step in steps)
    # every vendor call is a child of the step that made it, to the system the step names
    calls = [span for span in spans if span.kind == "client"]
    assert calls
    assert all(by_id[call.parent_span_id or ""].name.startswith("step ")
                         for call in calls)
    called = {by_id[call.parent_span_id or ""].system for call in calls}
    assert called == {"salesforce", "stripe", "netsuite"}
    assert all("?" not in str(call.attributes.get("http.url", call.attributes.get(
        "url.full", ""))) for call in calls)

    # the same spans reached the OTLP collector
    exported = {span.span_id: span for span in collector[1].spans
                if span.trace_id == traces[0]}
    assert set(exported) == set(by_id)
    assert {span.parent_span_id for span in exported.values()} == {
        span.parent_span_id for span in spans}

    # the console draws the same waterfall, linked from the deal's timeline
    with database.session() as session:
        token = create_token(session, "auditor", Role.VIEWER)
    app = create_app(AccordSettings(database_url=SecretStr(str(database.engine.url))),
                     database)
    with TestClient(app) as client:
        assert client.post("/console/login", data={"token": token},
                           follow_redirects=False).status_code == 303
        timeline = client.get("/console/timeline", params={"q": opportunity})
        assert f"/console/traces?q={opportunity}" in timeline.text
        page = client.get("/console/traces", params={"q": opportunity})
        assert page.status_code == 200
        assert all(f'data-span="{span.span_id}"' in page.text for span in spans)
