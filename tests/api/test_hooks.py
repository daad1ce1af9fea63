"""Webhook intake over real HTTP: Stripe-signed deliveries from the Stripe sandbox and hand-made
ones signed the way Stripe signs; good, bad, expired, duplicate, oversized, malformed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import Api, serve_api
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import select

import stripe
from accord.api.routes.hooks import MAX_BODY_BYTES
from accord.connectors.stripe import StripeSettings
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX
from accord.sandboxes.stripe.webhooks import signature_header
from accord.store.models import InboxDelivery, InboxEntry

SECRET = "whsec_test_hook_secret_0123456789"
NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path,
                                                      settings={"rate_limit": 0}))
    yield running
    running.stop()


@pytest.fixture
def hooked(database_url: str) -> Iterator[Api]:
    settings = {"stripe": StripeSettings(webhook_secret=SecretStr(SECRET))}
    with serve_api(database_url, system_settings=settings, clock=lambda: NOW) as running:
        yield running


def stripe_event(event_id: str = "evt_test_1", **extra: Any) -> bytes:
    event = {"id": event_id, "object": "event", "type": "customer.created",
             "created": int(NOW.timestamp()) - 5, "livemode": False, "api_version": "2025-01-27",
             "data": {"object": {"id": "cus_1", "object": "customer", "name": "Acme"}}, **extra}
    return json.dumps(event).encode()


def signed(body: bytes, at: datetime = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"Content-Type": "application/json; charset=utf-8",
            "Stripe-Signature": signature_header(secret, body, int(at.timestamp()))}


def rejections(reason: str) -> float:
    return REGISTRY.get_sample_value("accord_webhook_rejections_total",
                                     {"system": "stripe", "reason": reason}) or 0.0


def test_sandbox_deliveries_are_stored_and_duplicates_answered_200(
        database_url: str, sandbox: RunningSandbox) -> None:
    client = stripe.StripeClient(sandbox.credentials()["api_key"],
                                 base_addresses={"api": sandbox.base_url},
                                 max_network_retries=0)
    with serve_api(database_url) as api, httpx.Client(base_url=sandbox.base_url) as control:
        control.put("/__sandbox/stripe/webhooks", json={"hold": True}).raise_for_status()
        endpoint = client.v1.webhook_endpoints.create(params={
            "url": f"{api.url}/hooks/stripe", "enabled_events": ["customer.created"]})
        assert endpoint.secret is not None
        api.app.state.system_settings["stripe"] = StripeSettings(
            webhook_secret=SecretStr(endpoint.secret))
        first = client.v1.customers.create(params={"name": "First GmbH"})
        control.post("/__sandbox/stripe/webhooks/deliver").raise_for_status()
        control.put("/__sandbox/stripe/webhooks",
                    json={"hold": True, "duplicate": True}).raise_for_status()
        second = client.v1.customers.create(params={"name": "Second SA"})
        control.post("/__sandbox/stripe/webhooks/deliver").raise_for_status()
        attempts = control.get("/__sandbox/stripe/webhooks").json()["attempts"]
    assert [a["status"] for a in attempts] == [202, 202, 200]
    with api.db.session() as session:
        rows = session.scalars(select(InboxEntry).order_by(InboxEntry.id)).all()
        assert [row.payload["data"]["object"]["id"] for row in rows] == [first.id, second.id]
        assert [(row.system, row.event_type, row.status, row.delivery_count) for row in rows] == [
            ("stripe", "customer.created", "received", 1),
            ("stripe", "customer.created", "received", 2)]
        deliveries = session.scalars(select(InboxDelivery).where(
            InboxDelivery.inbox_id == rows[1].id).order_by(InboxDelivery.id)).all()
        assert [d.duplicate for d in deliveries] == [False, True]


def test_good_delivery_is_accepted_and_a_replay_is_a_duplicate(hooked: Api) -> None:
    body = stripe_event()
    with hooked.client(None) as http:
        first = http.post("/hooks/stripe", content=body, headers=signed(body))
        again = http.post("/hooks/stripe", content=body, headers=signed(body))
    assert first.status_code == 202
    assert first.json() == {"system": "stripe", "event_id": "evt_test_1",
                            "event_type": "customer.created",
                            "inbox_id": first.json()["inbox_id"], "duplicate": False,
                            "events": 1}
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["inbox_id"] == first.json()["inbox_id"]


def test_refusals_name_what_is_wrong_and_are_counted(
        hooked: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    body = stripe_event("evt_refused")
    before = {reason: rejections(reason) for reason in (
        "no signature matches the payload", "signature timestamp is outside the tolerance",
        "missing Stripe-Signature header", "malformed body", "too large")}
    oversized = stripe_event("evt_big", padding="x" * MAX_BODY_BYTES)
    infinite = body.replace(b'"id": "evt_refused"', b'"id": "evt_refused", "n": Infinity')
    assert infinite != body
    cases = [
        (body, signed(body, secret="whsec_someone_else"), 400,
         "signature: no signature matches the payload"),
        (body, signed(body, at=NOW - timedelta(seconds=301)), 400,
         "signature: signature timestamp is outside the tolerance"),
        (body, {"Content-Type": "application/json"}, 400,
         "signature: missing Stripe-Signature header"),
        (body[:-3], signed(body[:-3]), 400, "body: not valid JSON ("),
        (b"", signed(b""), 400, "body: empty; expected a JSON event"),
        (b"[1, 2]", signed(b"[1, 2]"), 400, "body: expected a JSON object"),
        (b"\xff\xfe{}", signed(b"\xff\xfe{}"), 400, "body: not UTF-8"),
        # Python's parser takes these, JSON has no such number, PostgreSQL refuses to store
        # them (the bad-data drill's fuzzed amount was a 503 there)
        (infinite, signed(infinite), 400, "body.n: inf is not a number JSON allows"),
        (oversized, signed(oversized), 413, f"body: larger than {MAX_BODY_BYTES} bytes"),
    ]
    with hooked.client(None) as http:
        for payload, headers, code, message in cases:
            answer = http.post("/hooks/stripe", content=payload, headers=headers)
            assert (answer.status_code, answer.json()["detail"][:len(message)]) == (code,
                                                                                      message)
            assert SECRET not in answer.text
        # a signature from exactly the tolerance edge is still good
        edge = http.post("/hooks/stripe", content=body,
                         headers=signed(body, at=NOW - timedelta(seconds=300)))
        assert edge.status_code == 202
        metrics = http.get("/metrics").text
    assert rejections("no signature matches the payload") == before[
        "no signature matches the payload"] + 1
    assert rejections("signature timestamp is outside the tolerance") == before[
        "signature timestamp is outside the tolerance"] + 1
    assert rejections("missing Stripe-Signature header") == before[
        "missing Stripe-Signature header"] + 1
    assert rejections("malformed body") == before["malformed body"] + 5
    assert rejections("too large") == before["too large"] + 1
    assert 'accord_webhook_rejections_total{reason="too large",system="stripe"}' in metrics
    assert SECRET not in caplog.text
    assert "signature timestamp is outside the tolerance" in caplog.text
    with hooked.db.session() as session:
        stored = session.scalars(select(InboxEntry.external_event_id)).all()
    assert stored == ["evt_refused"]


def test_unknown_systems_systems_without_webhooks_and_missing_configuration(
        database_url: str) -> None:
    body = stripe_event()
    with serve_api(database_url) as api, api.client(None) as http:
        unknown = http.post("/hooks/acme-crm", content=body, headers=signed(body))
        assert unknown.status_code == 404
        assert unknown.json()["detail"].startswith(
            "system: no connector or configured instance named 'acme-crm'")
        instance = http.post("/hooks/stripe-made-up", content=body, headers=signed(body))
        assert instance.status_code == 404
        polled = http.post("/hooks/salesforce", content=body, headers=signed(body))
        assert polled.status_code == 400
        assert polled.json()["detail"] == (
            "system: salesforce sends no webhooks; accord polls it for changes")
        unconfigured = http.post("/hooks/stripe", content=body, headers=signed(body))
        assert unconfigured.status_code == 503
        assert "set webhook_secret in [systems.stripe]" in unconfigured.json()["detail"]


def test_with_the_engine_in_process_a_delivery_starts_its_flow_at_once(
        sqlite_url: str) -> None:
    from dbos import DBOS
    from hook_flows import EVENT_TYPE, SEEN

    from accord.engine import EngineOptions, launch, shutdown

    launch(EngineOptions(database_url=sqlite_url, worker_concurrency=2))
    try:
        settings = {"stripe": StripeSettings(webhook_secret=SecretStr(SECRET))}
        body = stripe_event("evt_ping", type=EVENT_TYPE)
        with serve_api(sqlite_url, system_settings=settings, clock=lambda: NOW) as api, \
                api.client(None) as http:
            first = http.post("/hooks/stripe", content=body, headers=signed(body))
            again = http.post("/hooks/stripe", content=body, headers=signed(body))
            with api.db.session() as session:
                row = session.scalars(select(InboxEntry)).one()
                status, workflow_id, count = row.status, row.workflow_id, row.delivery_count
        assert (first.status_code, again.status_code) == (202, 200)
        assert (status, count) == ("started", 2)
        assert workflow_id is not None
        assert DBOS.retrieve_workflow(workflow_id).get_result() == "evt_ping"
        assert SEEN.count("evt_ping") == 1
    finally:
        shutdown()


def test_a_configured_instance_verifies_with_its_own_secret(database_url: str) -> None:
    eu_secret = "whsec_eu_instance_secret_987"
    settings = {"stripe-eu": StripeSettings(webhook_secret=SecretStr(eu_secret))}
    body = stripe_event("evt_eu")
    with serve_api(database_url, system_settings=settings, clock=lambda: NOW) as api, \
            api.client(None) as http:
        wrong = http.post("/hooks/stripe-eu", content=body, headers=signed(body))
        right = http.post("/hooks/stripe-eu", content=body,
                          headers=signed(body, secret=eu_secret))
        with api.db.session() as session:
            systems = session.scalars(select(InboxEntry.system)).all()
    assert wrong.status_code == 400
    assert right.status_code == 202
    assert right.json()["system"] == "stripe-eu"
    assert systems == ["stripe-eu"]
