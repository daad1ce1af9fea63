"""Webhook delivery: each event is POSTed to every enabled endpoint that wants it, signed
the way Stripe signs (``Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">``
with the endpoint's ``whsec_...`` secret), so ``stripe.Webhook.construct_event`` accepts it.

A delivery that fails (connection error or a non-2xx answer) is retried with exponential
backoff measured on the sandbox clock (``webhook_backoff_seconds``, doubling), up to
``webhook_max_attempts``. A background thread delivers whatever is due a few times a second;
``deliver_due`` does the same on demand (tests call it through the control plane instead of
waiting). Faults can duplicate deliveries or send a batch in reverse order.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

from accord.sandboxes.clock import SandboxClock
from accord.sandboxes.stripe.context import StripeSandboxSettings
from accord.sandboxes.stripe.resources.events import wants
from accord.sandboxes.stripe.state import Store, StripeObject


def signature_header(secret: str, payload: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


class WebhookFaults(BaseModel):
    """``PUT /__sandbox/stripe/webhooks``: misbehave like a real network would."""

    model_config = ConfigDict(extra="forbid")

    duplicate: bool = False
    """deliver every event twice"""
    reverse_order: bool = False
    """deliver each batch of due events newest first"""
    hold: bool = False
    """pause background delivery; deliveries wait for ``POST .../webhooks/deliver``"""


@dataclass
class Delivery:
    endpoint_id: str
    event_id: str
    event_type: str
    payload: bytes
    due_at: float
    sequence: int
    attempts: int = 0


@dataclass(frozen=True)
class Attempt:
    endpoint_id: str
    event_id: str
    event_type: str
    attempt: int
    status: int | None
    error: str | None
    delivered: bool


Poster = Callable[[str, bytes, dict[str, str]], int]


def http_post(url: str, body: bytes, headers: dict[str, str]) -> int:
    response = httpx.post(url, content=body, headers=headers, timeout=10.0)
    return response.status_code


@dataclass
class WebhookDispatcher:
    store: Store
    clock: SandboxClock
    settings: StripeSandboxSettings
    post: Poster = http_post
    wall: Callable[[], float] = time.time
    faults: WebhookFaults = field(default_factory=WebhookFaults)
    attempts: list[Attempt] = field(default_factory=list)
    _queue: list[Delivery] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _deliver_lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _sequence: itertools.count[int] = field(default_factory=itertools.count)

    # called under the store lock whenever an event is recorded
    def on_event(self, event: StripeObject) -> None:
        endpoints = [e for e in self.store.all("webhook_endpoint") if wants(e, event["type"])]
        if not endpoints:
            return
        event["pending_webhooks"] = len(endpoints)
        payload = json.dumps(event, indent=2).encode()
        now = self.clock.timestamp()
        with self._lock:
            for endpoint in endpoints:
                self._queue.append(Delivery(endpoint["id"], event["id"], event["type"],
                                            payload, now, next(self._sequence)))
        self._wake.set()

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self.attempts.clear()
            self.faults = WebhookFaults()

    def deliver_due(self) -> int:
        """Deliver every delivery due by the sandbox clock; return how many succeeded."""
        with self._deliver_lock:
            now = self.clock.timestamp()
            with self._lock:
                due = sorted((d for d in self._queue if d.due_at <= now),
                             key=lambda d: d.sequence)
                for delivery in due:
                    self._queue.remove(delivery)
                faults = self.faults
            if faults.reverse_order:
                due.reverse()
            succeeded = 0
            for delivery in due:
                ok = self._send(delivery)
                if ok and faults.duplicate:
                    self._send(delivery, count=False)
                succeeded += ok
            return succeeded

    def _send(self, delivery: Delivery, *, count: bool = True) -> bool:
        secret = self.store.webhook_secrets.get(delivery.endpoint_id)
        endpoint = self.store.find("webhook_endpoint", delivery.endpoint_id)
        if secret is None or endpoint is None:
            return False
        delivery.attempts += count
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            "Stripe-Signature": signature_header(secret, delivery.payload, int(self.wall())),
        }
        status: int | None = None
        error: str | None = None
        try:
            status = self.post(str(endpoint["url"]), delivery.payload, headers)
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        ok = status is not None and 200 <= status < 300
        self.attempts.append(Attempt(delivery.endpoint_id, delivery.event_id,
                                     delivery.event_type, delivery.attempts, status, error, ok))
        if not count:
            return ok
        if ok:
            self._settled(delivery)
        elif delivery.attempts < self.settings.webhook_max_attempts:
            delay = self.settings.webhook_backoff_seconds * 2 ** (delivery.attempts - 1)
            delivery.due_at = self.clock.timestamp() + delay
            with self._lock:
                self._queue.append(delivery)
        else:
            self._settled(delivery)
        return ok

    def _settled(self, delivery: Delivery) -> None:
        with self.store.lock:
            event = self.store.find("event", delivery.event_id)
            if event is not None and event["pending_webhooks"] > 0:
                event["pending_webhooks"] -= 1

    # -- background thread ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="stripe-webhooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=0.25)
            self._wake.clear()
            if self._stop.is_set():
                break
            if not self.faults.hold:
                self.deliver_due()

    def view(self) -> dict[str, Any]:
        return {"pending": self.pending(), "faults": self.faults.model_dump(),
                "attempts": [attempt.__dict__ for attempt in self.attempts]}
