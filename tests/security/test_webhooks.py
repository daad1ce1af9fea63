"""Hostile webhook deliveries against the real app; Stripe's own library is the reference
for what a valid ``Stripe-Signature`` is."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from sqlalchemy import func, select

import stripe
from accord.api.tokens import Access
from accord.store.models import InboxDelivery, InboxEntry
from tests.security.support import SECRET, App, console_login, event_body, post_hook, sign

OLD = 3600  # seconds: far outside Stripe's 300 s tolerance


def stripe_accepts(body: bytes, header: str) -> bool:
    """What ``stripe.Webhook.construct_event`` (default tolerance) says of a delivery."""
    try:
        stripe.Webhook.construct_event(body.decode(), header, SECRET)
    except (stripe.SignatureVerificationError, ValueError):
        return False
    return True


def test_an_extra_fresh_timestamp_does_not_reopen_the_replay_window(app: App) -> None:
    body = event_body("evt_replayed")
    now = int(time.time())
    old_signature = sign(body, now - OLD).split(",")[1]  # v1=<signature made an hour ago>
    header = f"x=1, t={now},t={now - OLD},{old_signature}"
    assert not stripe_accepts(body, header)
    answer = post_hook(app, body, header)
    assert answer.status_code == 400, answer.text
    assert "tolerance" in answer.json()["detail"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(["t=NOW", "t=OLD", " t=NOW", "t= NOW", "v1=SIG_NOW",
                                       "v1=SIG_OLD", " v1=SIG_NOW", "x=1", "t=", "t",
                                       "t=abc", "v0=00", "t=NOW=1"]),
                      min_size=1, max_size=5))
def test_the_verifier_agrees_with_stripes_library_on_every_header(app: App,
                                                                   parts: list[str]) -> None:
    body = event_body(f"evt_prop_{abs(hash(tuple(parts)))}")
    now = int(time.time())
    values = {"NOW": str(now), "OLD": str(now - OLD),
              "SIG_NOW": sign(body, now).split("v1=")[1],
              "SIG_OLD": sign(body, now - OLD).split("v1=")[1]}
    header = ",".join(_fill(part, values) for part in parts)
    answer = post_hook(app, body, header)
    assert answer.status_code in (200, 202, 400), answer.text
    assert (answer.status_code != 400) == stripe_accepts(body, header), header


def _fill(part: str, values: dict[str, str]) -> str:
    for name in sorted(values, key=len, reverse=True):
        part = part.replace(name, values[name])
    return part


def rejections(reason: str) -> float:
    return REGISTRY.get_sample_value("accord_webhook_rejections_total",
                                     {"system": "stripe", "reason": reason}) or 0.0


@pytest.mark.parametrize(("body", "named"), [
    (b'{"a":' + b"[" * 5000 + b"]" * 5000 + b"}", "nested deeper"),
    (b'{"id": "evt_1", "amount": ' + b"9" * 5000 + b"}", "too many digits"),
], ids=["nested-5000-deep", "integer-5000-digits"])
def test_a_body_python_cannot_parse_is_a_counted_400_with_one_log_line(
        app: App, caplog: pytest.LogCaptureFixture, body: bytes, named: str) -> None:
    before = rejections("malformed body")
    with caplog.at_level(logging.INFO):
        answer = post_hook(app, body, sign(body, int(time.time())))
    assert answer.status_code == 400, answer.text
    assert named in answer.json()["detail"]
    assert rejections("malformed body") == before + 1
    served = [record for record in caplog.records if record.name != "httpx"]  # the client's
    assert [record.levelno for record in served] == [logging.WARNING]
    assert all(record.exc_info is None for record in served)


NAN = float("nan")


def hostile(field: str, value: Any, raw: str | None = None) -> bytes:
    """A Stripe event with ``field`` (dotted) set to ``value``; ``raw`` replaces the value's
    JSON text (for numbers Python cannot write, such as ``1e999``)."""
    event = json.loads(event_body("evt_hostile"))
    *parents, last = field.split(".")
    node = event
    for parent in parents:
        node = node[parent]
    node[last] = "@RAW@" if raw is not None else value
    text = json.dumps(event)
    return text.replace('"@RAW@"', raw).encode() if raw is not None else text.encode()


@pytest.mark.parametrize(("body", "field"), [
    (hostile("created", 10**20), "created"),
    (hostile("created", None, raw="1e999"), "created"),
    (hostile("id", "evt_\ud800"), "id"),
    (hostile("id", "evt_\x00x"), "id"),
    (hostile("id", "e" * 5000), "id"),
    (hostile("id", {"nested": "object"}), "id"),
    (hostile("data.object.balance", NAN), "data.object.balance"),
    (hostile("data.object.balance", float("inf")), "data.object.balance"),
    (hostile("data.object.name", None, raw="-Infinity"), "data.object.name"),
    (hostile("type", "customer.created\x00"), "type"),
], ids=["created-1e20", "created-1e999", "id-lone-surrogate", "id-nul", "id-5000-chars",
        "id-object", "data-nan", "data-infinity", "data-minus-infinity", "type-nul"])
def test_a_signed_hostile_event_is_refused_naming_its_field(app: App, body: bytes,
                                                            field: str) -> None:
    answer = post_hook(app, body, sign(body, int(time.time())))
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert detail.split(":")[0] in (field, f"body.{field}"), detail
    with app.db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboxEntry)) == 0


def test_the_same_event_id_with_another_body_is_a_visible_conflict(app: App) -> None:
    now = int(time.time())
    first = event_body("evt_conflict")
    other = event_body("evt_conflict", data={"object": {"id": "cus_2", "object": "customer"}})
    assert post_hook(app, first, sign(first, now)).status_code == 202
    assert post_hook(app, first, sign(first, now)).status_code == 200  # a plain duplicate
    # Stripe counts down the endpoints still to be sent an event: not a different body
    retried = event_body("evt_conflict", pending_webhooks=0)
    assert post_hook(app, retried, sign(retried, now)).status_code == 200
    assert post_hook(app, other, sign(other, now)).status_code == 200
    with app.db.session() as session:
        deliveries = session.execute(select(InboxDelivery.duplicate, InboxDelivery.conflict)
                                     .order_by(InboxDelivery.id)).all()
        kept = session.scalar(select(InboxEntry.payload))
    assert [tuple(row) for row in deliveries] == [(False, False), (True, False), (True, False),
                                                  (True, True)]
    assert kept is not None
    assert kept["data"]["object"]["id"] == "cus_1"
    listed = app.client.get("/v1/exceptions", params={"kind": "conflicting_redelivery"},
                            headers=app.auth(Access.VIEWER)).json()
    assert [(row["system"], row["record_ref"]) for row in listed] == [("stripe", "evt_conflict")]
    console_login(app, Access.VIEWER)
    page = app.client.get("/console/exceptions", params={"kind": "conflicting_redelivery"})
    assert page.status_code == 200
    assert "evt_conflict" in page.text


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=12)


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=st.dictionaries(st.sampled_from(["id", "type", "created", "data", "object",
                                              "livemode", "request"]), JSONISH, max_size=4))
def test_any_signed_body_is_stored_or_refused_never_a_500(app: App,
                                                          extra: dict[str, Any]) -> None:
    event = json.loads(event_body("evt_fuzz"))
    event.update(extra)
    body = json.dumps(event).encode()
    answer = post_hook(app, body, sign(body, int(time.time())))
    assert answer.status_code in (200, 202, 400), answer.text
    if answer.status_code == 400:
        assert ":" in answer.json()["detail"]  # names what is wrong
