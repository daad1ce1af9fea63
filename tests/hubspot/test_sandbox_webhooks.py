"""Webhooks from the HubSpot sandbox: deal and company creations and property changes,
delivered in batches, signed with HubSpot's v3 signature (checked here with
``hubspot-api-client``'s own ``Signature``), retried with a growing attempt number, and the
duplicate and out-of-order faults."""

from __future__ import annotations

import json

import httpx
from hubspot.crm.deals import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.utils.signature import Signature

from accord.sandboxes.hubspot import DEFAULT_APP_SECRET
from hubspot import HubSpot
from tests.hubspot.receiver import Delivery, receiving


def signed(delivery: Delivery, body: str | None = None) -> bool:
    return bool(Signature.is_valid(
        signature=delivery.headers["x-hubspot-signature-v3"], client_secret=DEFAULT_APP_SECRET,
        request_body=delivery.body if body is None else body, http_uri=delivery.url,
        http_method="POST", signature_version="v3",
        timestamp=delivery.headers["x-hubspot-request-timestamp"]))


def test_a_batch_signed_v3_and_retried(hubspot: HubSpot, control: httpx.Client) -> None:
    with receiving() as receiver:
        receiver.answers = [500]
        control.put("/hubspot/webhooks", json={"target_url": receiver.url,
                                               "retry_seconds": 0.05,
                                               "linger_seconds": 30}).raise_for_status()
        company = hubspot.crm.companies.basic_api.create(
            SimplePublicObjectInputForCreate(properties={"name": "Contoso"}))
        deal = hubspot.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"dealname": "Contoso platform", "dealstage": "contractsent"}))
        hubspot.crm.deals.basic_api.update(deal.id, SimplePublicObjectInput(
            properties={"dealstage": "closedwon", "description": "not subscribed"}))
        assert control.post("/hubspot/webhooks/flush").json()["batches"] == 1
        first, second = receiver.wait_for(2)
    assert first.body == second.body.replace('"attemptNumber":1', '"attemptNumber":0')
    events = json.loads(second.body)
    assert [(e["subscriptionType"], e["objectId"], e.get("propertyValue")) for e in events] == [
        ("company.creation", int(company.id), None), ("deal.creation", int(deal.id), None),
        ("deal.propertyChange", int(deal.id), "closedwon")]
    assert {e["attemptNumber"] for e in events} == {1}
    assert len({e["eventId"] for e in events}) == 3
    assert signed(first)
    assert signed(second)
    assert not signed(second, second.body.replace("closedwon", "closedlost"))
    statuses = [a["status"] for a in control.get("/hubspot/webhooks/attempts").json()]
    assert statuses == [500, 200]


def test_duplicate_and_out_of_order_faults(hubspot: HubSpot, control: httpx.Client) -> None:
    with receiving() as receiver:
        control.put("/hubspot/webhooks", json={"target_url": receiver.url, "duplicate": True,
                                               "reverse": True, "linger_seconds": 30,
                                               "batch_size": 2}).raise_for_status()
        for name in ("A", "B", "C"):
            hubspot.crm.companies.basic_api.create(
                SimplePublicObjectInputForCreate(properties={"name": name}))
        control.post("/hubspot/webhooks/flush").raise_for_status()  # the last, partial batch
        deliveries = receiver.wait_for(4)
    bodies = [json.loads(d.body) for d in deliveries]
    assert bodies[0] == bodies[1]
    assert bodies[2] == bodies[3]
    assert [e["eventId"] for e in bodies[0]] == [2, 1]
    assert [e["eventId"] for e in bodies[2]] == [3]
    assert all(signed(d) for d in deliveries)
