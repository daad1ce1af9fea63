"""FakeBill's events reach accord two ways: signed webhooks to ``POST /hooks/fakebill``
(``FakeBill-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``, checked
against the caller's clock), and the poll of ``GET /v1/events``, oldest first after the id
of the newest event handled (FakeBill's event ids sort in order), which catches up what a
delivery missed. FakeBill does not retry a failed delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr

from accord.connectors.base import ChangeBatch, InboundEvent, WebhookRejected
from tests.fakebill.connector.client import FakeBillClient


def event_from(system: str, event: dict[str, Any]) -> InboundEvent:
    return InboundEvent(system=system, event_id=str(event["id"]), event_type=str(event["type"]),
                        occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
                        payload=event)


SIGNATURE_HEADER = "fakebill-signature"


class FakeBillWebhookVerifier:
    """:class:`accord.connectors.base.WebhookVerifier` for FakeBill's deliveries."""

    def __init__(self, secret: SecretStr, tolerance_seconds: int = 300) -> None:
        self._secret = secret
        self.tolerance_seconds = tolerance_seconds

    def __repr__(self) -> str:
        return f"FakeBillWebhookVerifier(tolerance_seconds={self.tolerance_seconds})"

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> InboundEvent:
        header = next((value for key, value in headers.items()
                       if key.lower() == SIGNATURE_HEADER), None)
        if not header:
            raise WebhookRejected("missing FakeBill-Signature header")
        parts = dict(part.strip().partition("=")[::2] for part in header.split(","))
        try:
            signed_at = int(parts.get("t", ""))
        except ValueError:
            raise WebhookRejected("FakeBill-Signature has no timestamp") from None
        expected = hmac.new(self._secret.get_secret_value().encode(),
                            f"{signed_at}.".encode() + body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, parts.get("v1", "")):
            raise WebhookRejected("no signature matches the payload")
        if abs(now.timestamp() - signed_at) > self.tolerance_seconds:
            raise WebhookRejected("signature timestamp is outside the tolerance")
        try:
            payload = json.loads(body)
            return event_from("fakebill", payload)
        except (ValueError, KeyError, TypeError):
            raise WebhookRejected("the body is not a FakeBill event") from None


class FakeBillEventsPoller:
    """:class:`accord.connectors.base.ChangePoller` over FakeBill's event feed."""

    def __init__(self, client: FakeBillClient) -> None:
        self.client = client

    def initial_cursor(self) -> str | None:
        newest = self.client.list("events", newest="true")
        return str(newest[0]["id"]) if newest else None

    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        query: dict[str, str | int] = {"limit": max(1, min(limit, 100))}
        if cursor:
            query["after"] = cursor
        events = self.client.list("events", **query)
        if not events:
            return ChangeBatch((), cursor)
        return ChangeBatch(tuple(event_from(self.client.system, e) for e in events),
                           str(events[-1]["id"]))
