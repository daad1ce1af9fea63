"""One deal won in the CRM, through the real sandboxes: its trace runs from the poll's
intake through the flow's steps to each vendor HTTP call, stored locally in ``trace_span``
and exported by OTLP to a collector, the same spans in both; the console draws it; a replay
of the flow joins the same trace."""

from __future__ import annotations

from dbos import DBOS
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from accord import bootstrap
from accord.api.app import create_app
from accord.api.tokens import Access, create_token
from accord.engine.replay import replay
from accord.engine.timeline import search
from accord.flows.keys import Key
from accord.observability import tracing
from accord.observability.settings import (
    BASE_ENDPOINT,
    TRACES_ENDPOINT,
    observability_settings,
)
from accord.observability.spanstore import read_trace, traces_of
from accord.settings import AccordSettings
from accord.store.models import BusinessKey
from tests.flows.vendors import Vendors

from .receivers import Received
from .support import win


def test_a_deal_is_one_trace_from_intake_to_vendor_calls_stored_and_exported(
        traced_engine: tuple[bootstrap.Service, Vendors],
        collector: tuple[str, Received]) -> None:
    service, found = traced_engine
    database = service.runtime.database
    won = win(service, found)
    results, failures = won.results, won.failures
    assert failures == []
    assert [result["outcome"] for result in results] == ["created"]
    assert tracing.flush()

    opportunity = won.seeded.deals[won.good]
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
    assert all(call.system == by_id[call.parent_span_id or ""].system for call in calls)
    assert all("?" not in str(call.attributes.get("http.url", call.attributes.get(
        "url.full", ""))) for call in calls)

    # the same spans reached the OTLP collector
    exported = {span.span_id: span for span in collector[1].spans
                if span.trace_id == traces[0]}
    assert set(exported) == set(by_id)
    assert {span.parent_span_id for span in exported.values()} == {
        span.parent_span_id for span in spans}
    assert {exported[call.span_id].attributes["accord.system"] for call in calls} == called

    # the console draws the same waterfall, linked from the deal's timeline
    with database.session() as session:
        token = create_token(session, "auditor", Access.VIEWER)
    app = create_app(AccordSettings(database_url=SecretStr(str(database.engine.url))),
                     database)
    with TestClient(app, headers={"Origin": "http://testserver"}) as client:
        assert client.post("/console/login", data={"token": token},
                           follow_redirects=False).status_code == 303
        timeline = client.get("/console/timeline", params={"q": opportunity})
        assert f"/console/traces?q={opportunity}" in timeline.text
        page = client.get("/console/traces", params={"q": opportunity})
        assert page.status_code == 200
        assert all(f'data-span="{span.span_id}"' in page.text for span in spans)
        # and from the customer's page, by the customer id the flow noted
        with database.session() as session:
            customer_id = session.scalars(select(BusinessKey.value).where(
                BusinessKey.correlation_id.in_(correlation_ids),
                BusinessKey.kind == Key.CUSTOMER_ID)).one()
        customer = client.get(f"/console/customers/{customer_id}")
        assert f"/console/traces?q={customer_id}" in customer.text
        by_customer = client.get("/console/traces", params={"q": customer_id})
        assert all(f'data-span="{span.span_id}"' in by_customer.text for span in spans)

    # a replay runs with the same input: it joins the same trace, under the same intake
    replayed = replay(database, opportunity, actor="ops")
    DBOS.retrieve_workflow(replayed.workflow_id).get_result()
    assert tracing.flush()
    assert traces_of(database, correlation_ids) == traces
    again = [span for span in read_trace(database, traces[0]) if span.name.startswith("flow ")]
    assert len(again) == 2
    assert all(span.parent_span_id == root.span_id for span in again)
    assert {span.attributes["accord.workflow_id"] for span in again} == {
        flows[0].attributes["accord.workflow_id"], replayed.workflow_id}


def test_opentelemetry_variables_name_the_collector_when_the_table_does_not() -> None:
    collector = "http://collector:4318"
    assert observability_settings({}, {}).otlp_endpoint is None
    assert observability_settings({}, {TRACES_ENDPOINT: f"{collector}/v1/traces"}
                                  ).otlp_endpoint == f"{collector}/v1/traces"
    assert observability_settings({}, {BASE_ENDPOINT: f"{collector}/"}
                                  ).otlp_endpoint == f"{collector}/v1/traces"
    mine = {"observability": {"otlp_endpoint": "http://mine:4318/v1/traces"}}
    assert observability_settings(mine, {BASE_ENDPOINT: collector}).otlp_endpoint == \
        "http://mine:4318/v1/traces"
