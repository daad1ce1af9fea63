"""Property-based fuzzing of every webhook verifier accord ships (Stripe, HubSpot v3): for
any body and any headers, a verifier returns events or raises ``WebhookRejected`` - never
another exception (which would be a 500); it accepts nothing unsigned, nothing altered, and
agrees with the vendor's own library on which signatures are valid."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hubspot.utils.signature import Signature
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

import stripe
from accord.api import create_app
from accord.connectors.base import InboundEvent, WebhookRejected
from accord.connectors.hubspot import HubSpotSettings
from accord.connectors.hubspot import webhook_verifier as hubspot_verifier
from accord.connectors.registry import available, connector_for
from accord.connectors.stripe import StripeSettings
from accord.connectors.stripe import webhook_verifier as stripe_verifier
from accord.settings import load_settings
from accord.store import Database, upgrade

SECRET = "whsec_fuzz_0123456789abcdef"
URI = "https://accord.example.com/hooks/hubspot"
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))

STRIPE = stripe_verifier(StripeSettings(webhook_secret=SecretStr(SECRET)))
HUBSPOT = hubspot_verifier(HubSpotSettings(webhook_secret=SecretStr(SECRET), webhook_url=URI))
assert STRIPE is not None
assert HUBSPOT is not None

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=15)
NUMBERISH = st.one_of(st.integers(min_value=-(10**40), max_value=10**40),
                      st.text(alphabet="0123456789-+.eE ²١", max_size=45))
HEADER_TEXT = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=255),
                      max_size=120)


def _verify(verifier: Any, body: bytes, headers: dict[str, str]) -> list[InboundEvent]:
    """The verifier's answer; any exception but ``WebhookRejected`` fails the test."""
    now = datetime.now(UTC)
    batch = getattr(verifier, "verify_batch", None)
    return batch(body, headers, now) if batch is not None else [verifier.verify(body, headers,
                                                                               now)]


def _outcome(verifier: Any, body: bytes, headers: dict[str, str]
             ) -> list[InboundEvent] | WebhookRejected:
    try:
        return _verify(verifier, body, headers)
    except WebhookRejected as refused:
        return refused


def test_every_verifier_shipped_is_fuzzed_here() -> None:
    with_webhooks = {name for name in available()
                     if (definition := connector_for(name)) is not None
                     and definition.webhook_verifier is not None}
    assert with_webhooks == {"stripe", "hubspot"}


# -- anything unsigned or wrongly signed ------------------------------------------------------
@FUZZ
@given(body=st.binary(max_size=300), header=HEADER_TEXT)
def test_stripe_refuses_every_unsigned_delivery(body: bytes, header: str) -> None:
    with pytest.raises(WebhookRejected):
        _verify(STRIPE, body, {"Stripe-Signature": header})


@FUZZ
@given(body=st.binary(max_size=300), signature=HEADER_TEXT, stamp=NUMBERISH.map(str),
       host=HEADER_TEXT)
def test_hubspot_refuses_every_unsigned_delivery(body: bytes, signature: str, stamp: str,
                                                 host: str) -> None:
    with pytest.raises(WebhookRejected):
        _verify(HUBSPOT, body, {"X-HubSpot-Signature-v3": signature,
                                "X-HubSpot-Request-Timestamp": stamp, "Host": host})


# -- signed with the secret: any content is an event or a refusal naming why -----------------
def _stripe_signed(body: bytes, timestamp: int) -> dict[str, str]:
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(
        body.decode("utf-8", "surrogateescape"), SECRET, timestamp)}


def _hubspot_signed(body: bytes, stamp: str) -> dict[str, str]:
    signature = Signature.get_signature(SECRET, body.decode("utf-8"), "v3", URI, "POST",
                                        stamp)
    return {"X-HubSpot-Signature-v3": signature, "X-HubSpot-Request-Timestamp": stamp}


@FUZZ
@given(event=st.dictionaries(st.sampled_from(["id", "object", "type", "created", "data",
                                              "livemode"]), JSONISH, max_size=6),
       skew=st.integers(min_value=-10**6, max_value=10**6))
def test_a_signed_stripe_delivery_is_an_event_or_a_refusal(event: dict[str, Any],
                                                           skew: int) -> None:
    body = json.dumps(event).encode()
    found = _outcome(STRIPE, body, _stripe_signed(body, int(time.time()) + skew))
    if isinstance(found, WebhookRejected):
        assert found.reason
    else:
        assert skew > -300
        assert found[0].event_id == event["id"]


@FUZZ
@given(events=st.lists(st.dictionaries(
    st.sampled_from(["eventId", "objectId", "occurredAt", "portalId", "subscriptionType",
                     "propertyName", "propertyValue"]),
    NUMBERISH | JSONISH, max_size=7), max_size=3) | JSONISH,
    stamp=st.one_of(NUMBERISH.map(str),
                    st.integers(min_value=-10**6, max_value=10**6).map(
                        lambda skew: str(int(time.time() * 1000) + skew))))
def test_a_signed_hubspot_delivery_is_events_or_a_refusal(events: Any, stamp: str) -> None:
    body = json.dumps(events).encode()
    found = _outcome(HUBSPOT, body, _hubspot_signed(body, stamp))
    if isinstance(found, WebhookRejected):
        assert found.reason
    else:
        assert isinstance(events, list)
        assert len(found) == len(events)


# -- altered after signing -------------------------------------------------------------------
@FUZZ
@given(position=st.integers(min_value=0), bit=st.integers(min_value=0, max_value=7))
def test_a_single_flipped_bit_is_refused_by_either_verifier(position: int, bit: int) -> None:
    stripe_body = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created",
                              "created": int(time.time()), "data": {}}).encode()
    hubspot_body = json.dumps([{"eventId": 1, "objectId": 2, "portalId": 3,
                                "occurredAt": int(time.time() * 1000),
                                "subscriptionType": "deal.creation"}]).encode()
    stamp = str(int(time.time() * 1000))
    for verifier, body, headers in (
            (STRIPE, stripe_body, _stripe_signed(stripe_body, int(time.time()))),
            (HUBSPOT, hubspot_body, _hubspot_signed(hubspot_body, stamp))):
        assert _verify(verifier, body, headers)  # intact: accepted
        altered = bytearray(body)
        altered[position % len(body)] ^= 1 << bit
        with pytest.raises(WebhookRejected):
            _verify(verifier, bytes(altered), headers)


# -- the vendor's own library decides the same way -------------------------------------------
@FUZZ
@given(body=st.text(max_size=200), tamper=st.booleans(),
       # milliseconds well inside HubSpot's five minutes, or well past them (its library
       # floors to seconds, and takes any future time; accord allows five minutes either way)
       skew=st.integers(min_value=-290_000, max_value=290_000)
       | st.integers(min_value=-10**8, max_value=-310_000))
def test_hubspot_agrees_with_hubspots_library_on_the_signature(body: str, skew: int,
                                                               tamper: bool) -> None:
    stamp = str(int(time.time() * 1000) + skew)
    headers = _hubspot_signed(body.encode(), stamp)
    if tamper:
        headers["X-HubSpot-Signature-v3"] = headers["X-HubSpot-Signature-v3"][::-1]
        assume(headers["X-HubSpot-Signature-v3"] != _hubspot_signed(body.encode(),
                                                                    stamp)[
            "X-HubSpot-Signature-v3"])
    try:
        theirs = Signature.is_valid(headers["X-HubSpot-Signature-v3"], SECRET, body, URI,
                                    "POST", "v3", stamp)
    except Exception:  # hubspot raises on a timestamp out of its window
        theirs = False
    found = _outcome(HUBSPOT, body.encode(), headers)
    # past the signature, a body HubSpot would accept may still not be an event batch
    ours = not isinstance(found, WebhookRejected) or (
        "signature" not in found.reason and "window" not in found.reason)
    assert ours == theirs


# -- through the intake route ----------------------------------------------------------------
@pytest.fixture
def hubspot_app(sqlite_url: str) -> Iterator[TestClient]:
    db = Database(sqlite_url)
    upgrade(db.engine)
    app = create_app(load_settings(), db, system_settings={"hubspot": HubSpotSettings(
        webhook_secret=SecretStr(SECRET), webhook_url=URI)})
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client
    finally:
        db.dispose()


@FUZZ
@given(body=st.binary(max_size=200), signature=HEADER_TEXT, stamp=NUMBERISH.map(str))
def test_the_hubspot_intake_answers_400_to_any_unsigned_delivery(
        hubspot_app: TestClient, body: bytes, signature: str, stamp: str) -> None:
    answer = hubspot_app.post("/hooks/hubspot", content=body, headers={
        # as a client sends them: bytes, any of Latin-1
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": signature.encode("latin-1"),  # type: ignore[dict-item]
        "X-HubSpot-Request-Timestamp": stamp.encode("latin-1", "replace"),  # type: ignore[dict-item]
    })
    assert answer.status_code == 400, answer.text
    assert answer.json()["detail"]
