"""HubSpot's changes into accord: signed webhook batches, and a search poll on
``hs_lastmodifieddate`` behind them.

**Webhooks.** HubSpot POSTs a JSON array of up to 100 events, signed with the v3 signature:
``X-HubSpot-Signature-v3`` is base64(HMAC-SHA256(app secret, method + URI + body +
X-HubSpot-Request-Timestamp)). A delivery is refused when the signature does not match or
its timestamp is more than five minutes from the receiver's clock (a replay). Each event
becomes an :class:`InboundEvent` typed in HubSpot's words as accord reads them: a deal
moved to ``closedwon`` is ``deal.closedwon``, a company created or changed
``company.changed``; anything else keeps its subscription type and starts no flow.

**Poll.** The search API, filtered on ``hs_lastmodifieddate`` at or after the cursor and
sorted by it, re-reading an overlap window for late indexing; a cursor remembers which
records it saw in that window, so a re-read is not a new event.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import SecretStr

from accord.connectors.base import ChangeBatch, InboundEvent, WebhookRejected
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.errors import SYSTEM
from accord.connectors.hubspot.mapping import WON_STAGE

SIGNATURE_HEADER = "x-hubspot-signature-v3"
TIMESTAMP_HEADER = "x-hubspot-request-timestamp"
WINDOW = timedelta(minutes=5)
DEAL_WON = "deal.closedwon"
COMPANY_CHANGED = "company.changed"


def signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    source = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def event_type(event: Mapping[str, Any]) -> str:
    kind = str(event.get("subscriptionType") or "")
    if kind == "deal.propertyChange" and event.get("propertyName") == "dealstage" \
            and event.get("propertyValue") == WON_STAGE:
        return DEAL_WON
    if kind in ("company.creation", "company.propertyChange"):
        return COMPANY_CHANGED
    return kind


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((value for key, value in headers.items() if key.lower() == name), None)


class HubSpotWebhookVerifier:
    """Implements :class:`~accord.connectors.base.WebhookVerifier` for HubSpot's v3
    signature; :meth:`verify_batch` returns every event of a delivery."""

    def __init__(self, secret: SecretStr, *, uri: str | None, system: str = SYSTEM,
                 window: timedelta = WINDOW) -> None:
        self._secret = secret
        self.uri = uri
        self.system = system
        self.window = window

    def __repr__(self) -> str:
        return f"HubSpotWebhookVerifier(uri={self.uri!r})"

    def _uri(self, headers: Mapping[str, str]) -> str:
        if self.uri:
            return self.uri
        host = _header(headers, "host")
        if not host:
            raise WebhookRejected("no webhook_url configured and no Host header")
        scheme = _header(headers, "x-forwarded-proto") or "http"
        return f"{scheme}://{host}/hooks/{self.system}"

    def verify_batch(self, body: bytes, headers: Mapping[str, str], now: datetime
                     ) -> list[InboundEvent]:
        given = _header(headers, SIGNATURE_HEADER)
        stamp = _header(headers, TIMESTAMP_HEADER)
        if not given:
            raise WebhookRejected("missing X-HubSpot-Signature-v3 header")
        # milliseconds in ASCII digits (str.isdigit also admits '²' and other scripts'
        # digits), at most 15 of them: until the year 33658, and a datetime can hold it
        if not stamp or not (stamp.isascii() and stamp.isdigit()) or len(stamp) > 15:
            raise WebhookRejected("missing or malformed X-HubSpot-Request-Timestamp")
        expected = signature(self._secret.get_secret_value(), "POST", self._uri(headers), body,
                             stamp)
        # compared as bytes: a header can hold any Latin-1 text, which compare_digest
        # refuses (TypeError) when given as a str
        if not hmac.compare_digest(expected.encode(), given.encode("utf-8", "surrogateescape")):
            raise WebhookRejected("no signature matches the payload")
        signed_at = datetime.fromtimestamp(int(stamp) / 1000, tz=UTC)
        if abs(now - signed_at) > self.window:
            raise WebhookRejected("signature timestamp is outside the five-minute window")
        try:
            events = json.loads(body)
        except ValueError:
            raise WebhookRejected("the body is not JSON") from None
        if not isinstance(events, list) or not events:
            raise WebhookRejected("the body is not a batch of HubSpot events")
        return [self._event(index, event) for index, event in enumerate(events)]

    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> InboundEvent:
        """The one event of a delivery (a batch of several needs :meth:`verify_batch`)."""
        events = self.verify_batch(body, headers, now)
        if len(events) != 1:
            raise WebhookRejected(f"a batch of {len(events)} events; this receiver takes one")
        return events[0]

    def _event(self, index: int, event: Any) -> InboundEvent:
        if not isinstance(event, dict):
            raise WebhookRejected("is not an object", field=f"[{index}]")
        for name in ("eventId", "objectId", "occurredAt", "portalId"):
            if not isinstance(event.get(name), int) or isinstance(event.get(name), bool):
                raise WebhookRejected("is not an integer", field=f"[{index}].{name}")
        try:
            occurred = datetime.fromtimestamp(event["occurredAt"] / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            raise WebhookRejected("is out of range", field=f"[{index}].occurredAt") from None
        return InboundEvent(system=self.system,
                            event_id=f"{event['portalId']}:{event['eventId']}",
                            event_type=event_type(event), occurred_at=occurred,
                            payload=event)


# -- the poll ---------------------------------------------------------------------------------
def parse_stamp(value: str) -> datetime:
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, tz=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


@dataclass
class StampCursor:
    """The newest ``hs_lastmodifieddate`` handled and the records seen near it."""

    stamp: datetime | None = None
    seen: dict[str, str] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps({"stamp": millis(self.stamp) if self.stamp else None,
                           "seen": self.seen}, separators=(",", ":"), sort_keys=True)

    @classmethod
    def decode(cls, text: str | None) -> StampCursor:
        if not text:
            return cls()
        found = json.loads(text)
        stamp = found.get("stamp")
        return cls(parse_stamp(str(stamp)) if stamp else None, dict(found.get("seen") or {}))


class ModifiedPoller:
    """A :class:`~accord.connectors.base.ChangePoller` over one object type by search."""

    def __init__(self, client: HubSpotClient, kind: str, properties: tuple[str, ...], *,
                 system: str = SYSTEM) -> None:
        self.client = client
        self.kind = kind
        self.properties = tuple(dict.fromkeys(("hs_lastmodifieddate", *properties)))
        self.overlap = timedelta(seconds=client.settings.poll_overlap_seconds)
        self.system = system

    def _rows(self, since: datetime | None, limit: int) -> list[dict[str, Any]]:
        filters = [{"propertyName": "hs_lastmodifieddate", "operator": "GTE",
                    "value": millis(since)}] if since else []
        request = {"filter_groups": [{"filters": filters}] if filters else [],
                   "properties": list(self.properties), "limit": max(1, min(limit, 200)),
                   "sorts": [{"propertyName": "hs_lastmodifieddate",
                              "direction": "ASCENDING"}]}
        return list(self.client.search_page(self.kind, request, None).items)

    def initial_cursor(self) -> str | None:
        request = {"filter_groups": [], "properties": ["hs_lastmodifieddate"], "limit": 1,
                   "sorts": [{"propertyName": "hs_lastmodifieddate",
                              "direction": "DESCENDING"}]}
        newest = self.client.search_page(self.kind, request, None).items
        if not newest:
            return None
        stamp = parse_stamp(str(newest[0]["hs_lastmodifieddate"]))
        recent = self._rows(stamp - self.overlap, 200)
        return StampCursor(stamp, {str(r["id"]): str(r["hs_lastmodifieddate"])
                                   for r in recent}).encode()

    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        state = StampCursor.decode(cursor)
        since = state.stamp - self.overlap if state.stamp else None
        rows = self._rows(since, limit + len(state.seen))
        fresh = [row for row in rows
                 if state.seen.get(str(row["id"])) != str(row["hs_lastmodifieddate"])][:limit]
        if not fresh:
            return ChangeBatch(events=[], cursor=cursor)
        events = [InboundEvent(
            system=self.system,
            event_id=f"{self.kind}:{row['id']}:{row['hs_lastmodifieddate']}",
            event_type=self.typed(row),
            occurred_at=parse_stamp(str(row["hs_lastmodifieddate"])),
            payload={"objectType": self.kind, "objectId": int(row["id"]), "record": row},
        ) for row in fresh]
        newest = max([*(event.occurred_at for event in events),
                      *([state.stamp] if state.stamp else [])])
        horizon = newest - self.overlap
        seen = {key: stamp for key, stamp in state.seen.items()
                if parse_stamp(stamp) >= horizon}
        seen.update({str(row["id"]): str(row["hs_lastmodifieddate"]) for row in fresh})
        return ChangeBatch(events=events, cursor=StampCursor(newest, seen).encode())

    def typed(self, row: Mapping[str, Any]) -> str:
        if self.kind == "deals":
            return DEAL_WON if row.get("dealstage") == WON_STAGE else "deal.changed"
        return COMPANY_CHANGED


__all__ = ["COMPANY_CHANGED", "DEAL_WON", "HubSpotWebhookVerifier", "ModifiedPoller",
           "StampCursor", "event_type", "signature"]
