"""Webhooks as HubSpot sends them to an app: subscriptions to creations and property changes
of deals and companies; events gathered into batches (at most 100 a request) and POSTed as a
JSON array to the app's target URL, signed with the v3 signature:

    X-HubSpot-Signature-v3 = base64(HMAC-SHA256(app secret,
                                    method + URI + body + X-HubSpot-Request-Timestamp))

with the timestamp in epoch milliseconds. A batch not answered with a 2xx within the timeout
is retried with a growing delay, ``attemptNumber`` counting up, until ``max_attempts``.
Faults: every batch delivered twice (``duplicate``), a batch's events in reverse order
(``reverse``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field

from accord.sandboxes.clock import SandboxClock
from accord.sandboxes.hubspot.store import Change

SINGULAR = {"deals": "deal", "companies": "company", "contacts": "contact"}


class Subscription(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int
    subscription_type: str = Field(pattern=r"^(deal|company|contact)\.(creation|propertyChange)$")
    property_name: str | None = None
    active: bool = True

    def wants(self, change: Change) -> bool:
        singular = SINGULAR.get(change.kind)
        if not self.active or singular is None:
            return False
        if self.subscription_type != f"{singular}.{change.change}":
            return False
        return change.change == "creation" or self.property_name in (None,
                                                                     change.property_name)


DEFAULT_SUBSCRIPTIONS = [
    Subscription(id=1, subscription_type="deal.creation"),
    Subscription(id=2, subscription_type="deal.propertyChange", property_name="dealstage"),
    Subscription(id=3, subscription_type="company.creation"),
    *(Subscription(id=4 + index, subscription_type="company.propertyChange", property_name=name)
      for index, name in enumerate(("name", "domain", "billing_email", "vat_number",
                                    "legal_entity", "address", "city", "country"))),
]
"""What accord's app subscribes to: deals created or moved between stages, companies
created or changed in what billing reads (not accord's own write-backs)."""


class WebhookSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    target_url: str | None = None
    max_attempts: int = Field(default=10, ge=1, le=20)
    retry_seconds: float = Field(default=1.0, ge=0, description="first retry's delay, doubling "
                                 "after each failure (HubSpot spreads its ten over a day)")
    timeout_seconds: float = Field(default=5.0, gt=0)
    batch_size: int = Field(default=100, ge=1, le=100)
    linger_seconds: float = Field(default=0.1, ge=0)
    duplicate: bool = False
    reverse: bool = False
    subscriptions: list[Subscription] = Field(default_factory=lambda: list(
        DEFAULT_SUBSCRIPTIONS))


@dataclass(frozen=True)
class Attempt:
    at: datetime
    attempt: int
    event_ids: list[int]
    status: int | None
    error: str | None = None


@dataclass
class _Batch:
    events: list[dict[str, Any]]
    attempt: int = 0
    due: float = 0.0


def signature(secret: str, method: str, uri: str, body: str, timestamp: str) -> str:
    digest = hmac.new(secret.encode(), f"{method}{uri}{body}{timestamp}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


@dataclass
class Dispatcher:
    clock: SandboxClock
    secret: str
    portal_id: int
    app_id: int
    settings: WebhookSettings = field(default_factory=WebhookSettings)
    attempts: list[Attempt] = field(default_factory=list)
    _pending: list[dict[str, Any]] = field(default_factory=list)
    _retries: list[_Batch] = field(default_factory=list)
    _first_pending: float = 0.0
    _next_event: int = 1
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _sending: threading.Lock = field(default_factory=threading.Lock)
    """One request in flight at a time (the app's ``maxConcurrentRequests`` of 1), so batches
    arrive in the order they were cut unless the ``reverse`` fault says otherwise."""
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def reset(self) -> None:
        with self._lock:
            self._pending.clear()
            self._retries.clear()
            self.attempts.clear()
            self._next_event = 1

    def configure(self, settings: WebhookSettings) -> None:
        with self._lock:
            self.settings = settings

    def notify(self, change: Change) -> None:
        with self._lock:
            for subscription in self.settings.subscriptions:
                if not subscription.wants(change):
                    continue
                event: dict[str, Any] = {
                    "eventId": self._next_event, "subscriptionId": subscription.id,
                    "portalId": self.portal_id, "appId": self.app_id,
                    "occurredAt": int(change.at.timestamp() * 1000),
                    "subscriptionType": subscription.subscription_type, "attemptNumber": 0,
                    "objectId": int(change.object_id), "changeSource": "INTEGRATION",
                    "sourceId": str(self.app_id)}
                if change.change == "creation":
                    event["changeFlag"] = "NEW"
                else:
                    event["propertyName"] = change.property_name
                    event["propertyValue"] = change.property_value or ""
                self._next_event += 1
                if not self._pending:
                    self._first_pending = time.monotonic()
                self._pending.append(event)

    # -- delivery -------------------------------------------------------------------------
    def _due(self, force: bool) -> list[_Batch]:
        with self._lock:
            settings = self.settings
            if settings.target_url is None:
                return []
            now = time.monotonic()
            batches: list[_Batch] = []
            if self._pending and (force or len(self._pending) >= settings.batch_size
                                  or now - self._first_pending >= settings.linger_seconds):
                while self._pending:
                    batches.append(_Batch(self._pending[:settings.batch_size]))
                    del self._pending[:settings.batch_size]
            ready = [b for b in self._retries if force or b.due <= now]
            self._retries = [b for b in self._retries if b not in ready]
            return batches + ready

    def _send(self, batch: _Batch) -> None:
        settings = self.settings
        url = str(settings.target_url)
        events = [{**event, "attemptNumber": batch.attempt} for event in batch.events]
        if settings.reverse:
            events.reverse()
        body = json.dumps(events, separators=(",", ":"))
        timestamp = str(int(self.clock.now().timestamp() * 1000))
        headers = {"Content-Type": "application/json",
                   "X-HubSpot-Request-Timestamp": timestamp,
                   "X-HubSpot-Signature-v3": signature(self.secret, "POST", url, body,
                                                       timestamp),
                   "X-HubSpot-Signature-Version": "v3",
                   "User-Agent": "HubSpot Connect 2.0 (http://dev.hubspot.com/) (sandbox)"}
        status: int | None = None
        error: str | None = None
        for _copy in range(2 if settings.duplicate else 1):
            try:
                answer = httpx.post(url, content=body, headers=headers,
                                    timeout=settings.timeout_seconds)
                status = answer.status_code
            except httpx.HTTPError as exc:
                status, error = None, type(exc).__name__
        ids = [int(event["eventId"]) for event in events]
        with self._lock:
            self.attempts.append(Attempt(self.clock.now(), batch.attempt, ids, status, error))
            if (status is None or not 200 <= status < 300) \
                    and batch.attempt + 1 < settings.max_attempts:
                delay = settings.retry_seconds * (2 ** batch.attempt)
                self._retries.append(_Batch(batch.events, batch.attempt + 1,
                                            time.monotonic() + delay))

    def flush(self) -> int:
        """Deliver everything pending and due for a retry now; how many batches were sent."""
        with self._sending:
            batches = self._due(force=True)
            for batch in batches:
                self._send(batch)
        return len(batches)

    def pending(self) -> int:
        with self._lock:
            return len(self._pending) + sum(len(b.events) for b in self._retries)

    # -- the delivery thread --------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="hubspot-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            with self._sending:
                for batch in self._due(force=False):
                    self._send(batch)


__all__ = ["DEFAULT_SUBSCRIPTIONS", "Attempt", "Dispatcher", "Subscription", "WebhookSettings",
           "signature"]
