"""The HubSpot connector against its sandbox: webhook batches the connector verifies (and
the tampered, stale or mis-signed ones it rejects), stored event by event through
``POST /hooks/hubspot``; the error table on real failures; the search poll on
``hs_lastmodifieddate`` behind the webhooks."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from accord.canonical.events import EventType
from accord.connectors.base import AdapterOptions, WebhookRejected
from accord.connectors.hubspot import CONNECTOR
from accord.connectors.hubspot.crm import HubSpotCrm
from accord.connectors.hubspot.intake import HubSpotWebhookVerifier, ModifiedPoller
from accord.connectors.hubspot.settings import HubSpotSettings
from accord.errors import DataQualityError, PermanentError, RateLimited
from accord.sandboxes.hubspot import DEFAULT_ACCESS_TOKEN, DEFAULT_APP_SECRET
from accord.sandboxes.server import RunningSandbox
from accord.store.models import InboxEntry
from tests.hubspot.receiver import receiving

sys.path.insert(0, str(Path(__file__).parents[1] / "api"))
from api_support import serve_api


def settings(sandbox: RunningSandbox, **extra: Any) -> HubSpotSettings:
    return HubSpotSettings(base_url=sandbox.base_url,
                           access_token=SecretStr(DEFAULT_ACCESS_TOKEN),
                           webhook_secret=SecretStr(DEFAULT_APP_SECRET), **extra)


@pytest.fixture
def crm(sandbox: RunningSandbox, control: httpx.Client) -> Iterator[HubSpotCrm]:
    assert CONNECTOR.adapter is not None
    adapter: HubSpotCrm = CONNECTOR.adapter("hubspot", settings(sandbox), AdapterOptions())
    yield adapter
    adapter.close()


def win_a_deal(crm: HubSpotCrm) -> tuple[str, str]:
    company = crm.client.create("companies", {"name": "Contoso"})
    deal = crm.client.create("deals", {"dealname": "Contoso platform",
                                       "dealstage": "contractsent"})
    crm.client.associate("deals", deal, "companies", company)
    crm.client.update("deals", deal, {"dealstage": "closedwon"})
    return company, deal


def delivered(crm: HubSpotCrm, control: httpx.Client, url: str) -> tuple[str, str]:
    control.put("/hubspot/webhooks", json={"target_url": url,
                                           "linger_seconds": 30}).raise_for_status()
    found = win_a_deal(crm)
    control.post("/hubspot/webhooks/flush").raise_for_status()
    return found


def test_the_connector_verifies_a_batch_and_rejects_a_forged_one(
        crm: HubSpotCrm, control: httpx.Client, sandbox: RunningSandbox) -> None:
    with receiving() as receiver:
        company, deal = delivered(crm, control, receiver.url)
        [delivery] = receiver.wait_for(1)
    build = CONNECTOR.webhook_verifier
    assert build is not None
    verifier = build(settings(sandbox, webhook_url=receiver.url))
    assert isinstance(verifier, HubSpotWebhookVerifier)
    now = datetime.now(UTC)
    events = verifier.verify_batch(delivery.body.encode(), delivery.headers, now)
    assert [(e.event_type, CONNECTOR.canonical_event(e.event_type)) for e in events] == [
        ("company.changed", EventType.CUSTOMER_CHANGED.value),
        ("deal.creation", "deal.creation"),
        ("deal.closedwon", EventType.DEAL_CLOSED_WON.value)]
    assert CONNECTOR.describe_event is not None
    facts = [CONNECTOR.describe_event(event) for event in events]
    assert (facts[0].keys, facts[0].customer_ref) == ({"account_id": company}, company)
    assert facts[2].keys == {"deal_id": deal}
    assert len({event.event_id for event in events}) == 3

    def rejected(body: str, headers: dict[str, str], at: datetime = now,
                 against: HubSpotWebhookVerifier = verifier) -> str:
        with pytest.raises(WebhookRejected) as caught:
            against.verify_batch(body.encode(), headers, at)
        return caught.value.reason

    assert "no signature" in rejected(delivery.body.replace("closedwon", "closedlost"),
                                      delivery.headers)
    assert "window" in rejected(delivery.body, delivery.headers, now + timedelta(minutes=6))
    stranger = HubSpotWebhookVerifier(SecretStr("another-app-secret"), uri=receiver.url)
    assert "no signature" in rejected(delivery.body, delivery.headers, against=stranger)
    unsigned = {k: v for k, v in delivery.headers.items() if k != "x-hubspot-signature-v3"}
    assert "missing" in rejected(delivery.body, unsigned)
    with pytest.raises(WebhookRejected):
        verifier.verify(delivery.body.encode(), delivery.headers, now)  # three events


def test_a_batch_is_stored_event_by_event_through_the_api(
        crm: HubSpotCrm, control: httpx.Client, sandbox: RunningSandbox,
        sqlite_url: str) -> None:
    with serve_api(sqlite_url, system_settings={"hubspot": settings(sandbox)}) as api:
        _company, deal = delivered(crm, control, f"{api.url}/hooks/hubspot")
        deadline = time.monotonic() + 10
        rows: list[InboxEntry] = []
        while time.monotonic() < deadline and len(rows) < 3:
            with api.db.session() as session:
                rows = list(session.scalars(select(InboxEntry).where(
                    InboxEntry.system == "hubspot").order_by(InboxEntry.id)))
            time.sleep(0.05)
        attempts = control.get("/hubspot/webhooks/attempts").json()
    assert [row.event_type for row in rows] == ["company.changed", "deal.creation",
                                                "deal.closedwon"]
    assert rows[2].payload["objectId"] == int(deal)
    assert [attempt["status"] for attempt in attempts] == [202]


def test_forged_deliveries_are_refused_by_the_api(
        crm: HubSpotCrm, control: httpx.Client, sandbox: RunningSandbox,
        sqlite_url: str) -> None:
    forged = settings(sandbox)
    forged.webhook_secret = SecretStr("not-the-app-secret")
    with serve_api(sqlite_url, system_settings={"hubspot": forged}) as api:
        delivered(crm, control, f"{api.url}/hooks/hubspot")
        deadline = time.monotonic() + 10
        attempts: list[dict[str, object]] = []
        while time.monotonic() < deadline and not attempts:
            attempts = control.get("/hubspot/webhooks/attempts").json()
            time.sleep(0.05)
    assert attempts[0]["status"] == 400


def test_the_error_table_on_real_failures(crm: HubSpotCrm, control: httpx.Client,
                                          sandbox: RunningSandbox) -> None:
    company = crm.client.create("companies", {"name": "Contoso"})
    with pytest.raises(DataQualityError) as typed:
        crm.client.update("companies", company, {"numberofemployees": "many"})
    assert typed.value.field == "numberofemployees"
    with pytest.raises(PermanentError) as missing:
        crm.client.read("companies", "999999", ["name"])
    assert missing.value.status == 404
    stranger = HubSpotSettings(base_url=sandbox.base_url, access_token=SecretStr("pat-wrong"))
    assert CONNECTOR.adapter is not None
    refused = CONNECTOR.adapter("hubspot", stranger, AdapterOptions())
    with pytest.raises(PermanentError) as unauthorized:
        refused.client.read("companies", company, ["name"])
    assert unauthorized.value.status == 401
    refused.close()
    control.put("/hubspot/limits", json={"ten_second_limit": 1}).raise_for_status()
    control.post("/clock/freeze", json={}).raise_for_status()
    control.post("/clock/advance", json={"seconds": 10}).raise_for_status()  # a fresh window
    crm.client.read("companies", company, ["name"])
    with pytest.raises(RateLimited) as limited:
        crm.client.read("companies", company, ["name"])
    assert limited.value.retry_after == 10.0
    assert CONNECTOR.probe(stranger).status.value == "failed"


def test_the_poll_reads_won_deals_once(crm: HubSpotCrm, control: httpx.Client) -> None:
    deals = next(spec for spec in CONNECTOR.polls if spec.stream == "deals")
    poller = deals.poller(crm)
    assert isinstance(poller, ModifiedPoller)
    assert poller.initial_cursor() is None
    crm.client.create("deals", {"dealname": "Old news", "dealstage": "closedwon"})
    cursor = poller.initial_cursor()
    control.post("/clock/advance", json={"seconds": 120}).raise_for_status()
    _company, deal = win_a_deal(crm)
    first = poller.poll(cursor, 50)
    assert [(e.event_type, e.payload["objectId"]) for e in first.events] == [
        ("deal.closedwon", int(deal))]
    assert poller.poll(first.cursor, 50).events == []
    control.post("/clock/advance", json={"seconds": 1}).raise_for_status()
    crm.client.update("deals", deal, {"dealname": "renamed"})
    again = poller.poll(first.cursor, 50)
    assert [e.payload["objectId"] for e in again.events] == [int(deal)]
    assert again.events[0].event_id != first.events[0].event_id


def test_doctor_sees_the_token_the_pipeline_and_the_custom_properties(
        sandbox: RunningSandbox, control: httpx.Client) -> None:
    found = settings(sandbox)
    assert CONNECTOR.probe(found).status.value == "ok"
    assert CONNECTOR.verify_setup is not None
    checks = CONNECTOR.verify_setup(found, [])
    assert {check.name: check.result.status.value for check in checks} == {
        "companies properties": "ok", "deals properties": "ok", "products properties": "ok"}
    assert CONNECTOR.probe(HubSpotSettings(enabled=False)).detail == "disabled"
