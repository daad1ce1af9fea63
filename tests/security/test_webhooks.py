"""Hostile webhook deliveries against the real app; Stripe's own library is the reference
for what a valid ``Stripe-Signature`` is."""

from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import stripe
from tests.security.support import SECRET, App, event_body, post_hook, sign

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
