"""A Stripe webhook endpoint for the demo and tests: verify, store, answer.

Phase one of the engine's two-phase intake: a verified event is stored in the inbox (dedup
on the event id) and acknowledged with 200; the inbox pump starts its flow. A bad signature
gets 400 and nothing is stored; a storage failure gets 500, so Stripe delivers it again.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from accord.connectors.base import WebhookRejected
from accord.connectors.stripe.intake import StripeWebhookVerifier
from accord.engine.dispatch import store
from accord.flows.intake import storable
from accord.store import Database

log = logging.getLogger(__name__)


class WebhookReceiver:
    """Listens on loopback (port 0 = a free one) at ``/webhooks/stripe``."""

    def __init__(self, database: Database, verifier: StripeWebhookVerifier, *,
                 port: int = 0) -> None:
        receiver = self
        self.database = database
        self.verifier = verifier
        self.received = 0
        self.rejected = 0
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = receiver.handle(body, dict(self.headers.items()))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="accord-stripe-webhooks")

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def handle(self, body: bytes, headers: dict[str, str]) -> int:
        try:
            event = self.verifier.verify(body, headers, datetime.now(UTC))
        except WebhookRejected:
            with self._lock:
                self.rejected += 1
            return 400
        try:
            store(self.database, storable(event))
        except Exception:  # answer 5xx: Stripe delivers the event again
            log.exception("could not store Stripe event %s", event.event_id)
            return 500
        with self._lock:
            self.received += 1
        return 200

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


__all__ = ["WebhookReceiver"]
