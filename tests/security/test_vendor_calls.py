"""Readers do not drive vendor calls: an invoice's status is answered from a short-lived
cache, a probe is for operators, and requests that would reach a vendor are rate-limited per
token (429 with Retry-After). Vendor calls are counted by the Stripe sandbox's own request
log (its :class:`Recorder`), over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

import stripe
from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.connectors.stripe import StripeSettings
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.recording import Recorder
from accord.sandboxes.server import RunningSandbox, serve_in_thread, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.settings import load_settings
from accord.store import Database, upgrade

CALLS_PER_MINUTE = 1
PATIENCE = 120.0
"""Seconds a client waits for an answer: a loaded machine is slow, not wrong."""
"""Permits per token: a refill takes a minute, far longer than these tests' few requests."""


@dataclass
class Wired:
    url: str
    tokens: dict[Access, str]
    recorder: Recorder
    billing: RunningSandbox

    def headers(self, role: Access) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}

    def client(self, role: Access | None = None) -> httpx.Client:
        headers = self.headers(role) if role is not None else {}
        return httpx.Client(base_url=self.url, timeout=PATIENCE, headers=headers)

    def vendor_calls(self) -> int:
        return len(list(self.recorder.of("stripe")))


@pytest.fixture
def wired(sqlite_url: str, tmp_path: Path) -> Iterator[Wired]:
    recorder = Recorder()
    billing = start_in_thread(STRIPE, SandboxOptions(data_dir=tmp_path / "stripe",
                                                     settings={"rate_limit": 0},
                                                     recorder=recorder))
    db = Database(sqlite_url)
    upgrade(db.engine)
    with db.session() as session:
        tokens = {role: create_token(session, f"vendor-{role.value}", role) for role in Access}
    settings = load_settings().model_copy(update={"vendor_read_cache_seconds": 600.0,
                                                  "vendor_calls_per_minute": CALLS_PER_MINUTE})
    app = create_app(settings, db, system_settings={"stripe": StripeSettings(
        base_url=billing.base_url, api_key=SecretStr(billing.credentials()["api_key"]),
        webhook_secret=SecretStr("whsec_vendor_calls"))})
    server = serve_in_thread(app, name="api")
    try:
        yield Wired(f"http://127.0.0.1:{server.port}", tokens, recorder, billing)
    finally:
        server.stop()
        billing.stop()
        db.dispose()


def _an_invoice(billing: RunningSandbox) -> Any:
    client = stripe.StripeClient(billing.credentials()["api_key"],
                                 base_addresses={"api": billing.base_url},
                                 max_network_retries=0)
    customer = client.v1.customers.create(params={"name": "Acme Inc"})
    invoice = client.v1.invoices.create(params={"customer": customer.id, "currency": "usd"})
    client.v1.invoice_items.create(params={"customer": customer.id, "invoice": invoice.id,
                                           "amount": 5000, "currency": "usd"})
    return client.v1.invoices.finalize_invoice(invoice.id)


def test_an_invoice_read_twice_calls_the_vendor_once(wired: Wired) -> None:
    invoice = _an_invoice(wired.billing)
    wired.recorder.clear()
    with wired.client(Access.VIEWER) as http:
        first = http.get(f"/v1/invoices/{invoice.number}")
        assert first.status_code == 200, first.text
        assert first.json()["billing"]["invoice_id"] == invoice.id
        asked = wired.vendor_calls()
        assert asked >= 1
        again = http.get(f"/v1/invoices/{invoice.number}")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert wired.vendor_calls() == asked


def test_invoice_lookups_that_reach_the_vendor_are_rate_limited_per_token(
        wired: Wired) -> None:
    viewer = wired.client(Access.VIEWER)
    other = wired.client(Access.OPERATOR)
    with viewer, other:
        # no system knows these numbers (404; 200 if billing could not answer in time)
        first = [viewer.get(f"/v1/invoices/INV-NONE-{number}").status_code
                 for number in range(CALLS_PER_MINUTE)]
        assert set(first) <= {200, 404}
        before = wired.vendor_calls()
        limited = viewer.get("/v1/invoices/INV-NONE-LAST")
        assert limited.status_code == 429, limited.text
        assert int(limited.headers["Retry-After"]) >= 1
        assert "rate limit" in limited.json()["detail"]
        assert wired.vendor_calls() == before  # refused before any vendor call
        # a cached answer costs no permit, and another token has its own bucket
        assert viewer.get("/v1/invoices/INV-NONE-0").status_code == first[0]
        assert other.get("/v1/invoices/INV-NONE-LAST").status_code in (200, 404)


def test_a_probe_is_for_operators_and_rate_limited(wired: Wired) -> None:
    with wired.client() as http:
        refused = http.post("/v1/systems/stripe/probe", headers=wired.headers(Access.VIEWER))
        assert refused.status_code == 403
        assert wired.vendor_calls() == 0
        operator = wired.headers(Access.OPERATOR)
        for _ in range(CALLS_PER_MINUTE):
            probed = http.post("/v1/systems/stripe/probe", headers=operator)
            assert probed.status_code == 200, probed.text
            assert probed.json()["status"] == "ok"
        calls = wired.vendor_calls()
        assert calls >= CALLS_PER_MINUTE
        limited = http.post("/v1/systems/stripe/probe", headers=operator)
        assert limited.status_code == 429
        assert int(limited.headers["Retry-After"]) >= 1
        assert wired.vendor_calls() == calls


def test_the_console_probes_only_for_operators(wired: Wired) -> None:
    with wired.client() as browser:
        signed = browser.post("/console/login", data={"token": wired.tokens[Access.VIEWER]},
                              headers={"Origin": wired.url})
        assert signed.status_code == 303, signed.text
        page = browser.get("/console/systems")
        assert page.status_code == 200
        assert 'name="probe"' not in page.text
        assert browser.get("/console/systems", params={"probe": "stripe"}).status_code == 403
    assert wired.vendor_calls() == 0


def test_the_console_invoice_page_shares_the_limit_and_says_when_to_retry(
        wired: Wired) -> None:
    with wired.client() as browser:
        assert browser.post("/console/login", data={"token": wired.tokens[Access.VIEWER]},
                            headers={"Origin": wired.url}).status_code == 303
        for number in range(CALLS_PER_MINUTE):
            page = browser.get("/console/invoices", params={"number": f"INV-PAGE-{number}"})
            assert page.status_code == 200
            assert "No system knows invoice" in page.text
        limited = browser.get("/console/invoices", params={"number": "INV-PAGE-LAST"})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    assert "rate limit" in limited.text
