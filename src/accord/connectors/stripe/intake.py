"""Intake: verified webhook deliveries and an events poller over ``/v1/events``.

Webhooks are checked with stripe-python's own signature code (``WebhookSignature``:
HMAC-SHA256 of ``"{t}.{body}"`` with the endpoint secret, any ``v1`` entry may match); the
timestamp is checked against the caller's ``now`` (300 s tolerance by default, as
``stripe.Webhook.construct_event``), so tests never depend on the wall clock.

The poller is the fallback for missed deliveries (Stripe keeps events 30 days). Its cursor is
the id of the newest event handled; each poll returns the oldest events after it, oldest first.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

import stripe
from accord.connectors.base import ChangeBatch, InboundEvent, WebhookRejected
from accord.connectors.stripe.client import StripeClient
from accord.connectors.stripe.errors import SYSTEM
from accord.errors import DataQualityError

SIGNATURE_HEADER = "stripe-signature"


def signed_timestamp(header: str) -> int | None:
    """The timestamp stripe-python's ``WebhookSignature`` checks the signature against: the
    value of the first part whose key is exactly ``t`` (parts are split on ``,`` and are not
    stripped, so `` t=`` is not a timestamp). Parsing it any other way (stripping, another
    ``t=``) lets a header carry a fresh timestamp for the replay window while the signature
    was made with an old one."""
    items = [part.split("=", 2) for part in header.split(",")]
    try:
        # every "t" part is indexed, as stripe-python does (a bare "t" fails the header)
        return int([item[1] for item in items if item[0] == "t"][0])  # noqa: RUF015
    except (IndexError, ValueError):
        return None


EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")
EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,120}")
LATEST = 253402300799
"""9999-12-31T23:59:59Z, the last second a timestamp column holds."""


def _text_field(payload: Mapping[str, Any], name: str, pattern: re.Pattern[str],
                shape: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise WebhookRejected(f"expected a string, got {type(value).__name__}", name)
    if not pattern.fullmatch(value):
        raise WebhookRejected(f"expected {shape}", name)
    return value


def event_from(payload: Mapping[str, Any]) -> InboundEvent:
    """The event in ``payload``, its id, type and time checked as Stripe writes them (so a
    signed but hostile body names the field at fault instead of reaching the inbox)."""
    event_id = _text_field(payload, "id", EVENT_ID,
                           "1 to 255 letters, digits, '_' or '-'")
    event_type = _text_field(payload, "type", EVENT_TYPE,
                             "1 to 120 lower-case letters, digits, '_' or '.'")
    created = payload.get("created")
    if not isinstance(created, int) or isinstance(created, bool):
        raise WebhookRejected(f"expected an integer, got {type(created).__name__}", "created")
    if not 0 <= created <= LATEST:
        raise WebhookRejected(f"out of range (0 to {LATEST} seconds)", "created")
    return InboundEvent(system=SYSTEM, event_id=event_id, event_type=event_type,
                        occurred_at=datetime.fromtimestamp(created, UTC), payload=payload)


class StripeWebhookVerifier:
    """Implements :class:`~accord.connectors.base.WebhookVerifier` for Stripe."""

    def __init__(self, secret: SecretStr, tolerance_seconds: int = 300) -> None:
        self._secret = secret
        self.tolerance_seconds = tolerance_seconds

    def __repr__(self) -> str:
        return f"StripeWebhookVerifier(tolerance_seconds={self.tolerance_seconds})"

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> InboundEvent:
        header = next((value for key, value in headers.items()
                       if key.lower() == SIGNATURE_HEADER), None)
        if not header:
            raise WebhookRejected("missing Stripe-Signature header")
        signed_at = signed_timestamp(header)
        if signed_at is None:
            raise WebhookRejected("Stripe-Signature has no timestamp")
        try:
            body.decode("utf-8")  # Stripe signs the text; stripe-python decodes unchecked
        except UnicodeDecodeError:
            raise WebhookRejected("the body is not UTF-8 text") from None
        try:
            # the tolerance is checked below against the caller's clock, on the timestamp
            # this call verified the signature with (parsed the same way)
            stripe.WebhookSignature.verify_header(body, header, self._secret.get_secret_value(),
                                                  tolerance=None)
        except stripe.SignatureVerificationError:
            raise WebhookRejected("no signature matches the payload") from None
        if signed_at < now.timestamp() - self.tolerance_seconds:
            raise WebhookRejected("signature timestamp is outside the tolerance")
        try:
            payload = json.loads(body)
        except ValueError:
            raise WebhookRejected("the body is not JSON") from None
        if not isinstance(payload, dict) or payload.get("object") != "event":
            raise WebhookRejected("the body is not a Stripe event")
        return event_from(payload)


class StripeEventsPoller:
    """Implements :class:`~accord.connectors.base.ChangePoller` over ``/v1/events``."""

    def __init__(self, client: StripeClient) -> None:
        self.client = client

    def initial_cursor(self) -> str | None:
        """The newest event now (Stripe lists events newest first)."""
        newest = self.client.list_events(limit=1)
        return str(newest[0]["id"]) if newest else None

    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        limit = max(1, min(limit, 100))
        if cursor is not None:
            try:
                # ending_before gives the page just newer than the cursor, newest first
                newer = self.client.list_events(ending_before=cursor, limit=limit)
            except DataQualityError:
                # the cursor's event is past Stripe's 30-day retention: everything older
                # is gone too, so whatever Stripe still has comes after the cursor
                newer = None
            events = list(reversed(newer)) if newer is not None else self._oldest(limit)
        else:
            events = self._oldest(limit)
        if not events:
            return ChangeBatch((), cursor)
        return ChangeBatch(tuple(event_from(event) for event in events), events[-1]["id"])

    def _oldest(self, limit: int) -> list[dict[str, Any]]:
        """The ``limit`` oldest events Stripe still has, oldest first."""
        window: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            page = self.client.list_events(starting_after=after, limit=100)
            window = (window + page)[-limit:]
            if len(page) < 100:
                break
            after = page[-1]["id"]
        return list(reversed(window))


__all__ = ["StripeEventsPoller", "StripeWebhookVerifier", "event_from", "signed_timestamp"]
