"""The real app on a throwaway SQLite database, with a token per role and a Stripe webhook
secret, driven through FastAPI's TestClient (the app's own middleware, routes and store)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from fastapi.testclient import TestClient
from pydantic import SecretStr

import stripe
from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.connectors.stripe import StripeSettings
from accord.settings import load_settings
from accord.store import Database, upgrade

SECRET = "whsec_security_suite_0123456789"


@dataclass
class App:
    db: Database
    client: TestClient
    tokens: dict[Access, str]

    def auth(self, role: Access) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@contextmanager
def running_app(database_url: str) -> Iterator[App]:
    db = Database(database_url)
    upgrade(db.engine)
    with db.session() as session:
        tokens = {role: create_token(session, f"security-{role.value}", role) for role in Access}
    app = create_app(load_settings(), db,
                     system_settings={"stripe": StripeSettings(webhook_secret=SecretStr(SECRET))})
    try:
        with TestClient(app, base_url="http://testserver",
                        raise_server_exceptions=False) as client:
            yield App(db, client, tokens)
    finally:
        db.dispose()


def event_body(event_id: str = "evt_security_1", **extra: Any) -> bytes:
    event = {"id": event_id, "object": "event", "type": "customer.created",
             "created": 1_765_000_000, "livemode": False, "api_version": "2025-01-27",
             "data": {"object": {"id": "cus_1", "object": "customer", "name": "Acme"}},
             **extra}
    return json.dumps(event).encode()


def sign(body: bytes | str, timestamp: int) -> str:
    """``t=..,v1=..`` exactly as Stripe's library computes it."""
    text = body.decode() if isinstance(body, bytes) else body
    return str(stripe.WebhookSignature.generate_signature_header(text, SECRET, timestamp))


def post_hook(app: App, body: bytes, signature: str) -> Any:
    return app.client.post("/hooks/stripe", content=body, headers={
        "Content-Type": "application/json", "Stripe-Signature": signature})


ORIGIN = "http://testserver"


def console_login(app: App, role: Access) -> None:
    """Sign in to the console as a browser on the app's own origin would."""
    answer = app.client.post("/console/login", data={"token": app.tokens[role]},
                             headers={"Origin": ORIGIN}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def open_an_exception(app: App, event_id: str = "evt_conflict") -> int:
    """An exception opened by the real intake: an event id redelivered with another body."""
    now = int(time.time())
    first = event_body(event_id)
    other = event_body(event_id, data={"object": {"id": "cus_2", "object": "customer"}})
    for body in (first, other):
        assert post_hook(app, body, sign(body, now)).status_code in (200, 202)
    listed = app.client.get("/v1/exceptions", params={"kind": "conflicting_redelivery"},
                            headers=app.auth(Access.VIEWER)).json()
    return next(int(row["id"]) for row in listed if row["record_ref"] == event_id)
